// vmnctl-ofc's JSON configuration: parsed into the engine's MobilityConfig plus the
// controller's own settings. Every problem is reported at once as "path: reason", the way
// Faucet's config checker does; unknown keys are errors, not silently ignored.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/connection/switch_manager.hpp"
#include "vmnmob/delivery/delivery.hpp"
#include "vmnmob/mobility/admission.hpp"
#include "vmnmob/mobility/config.hpp"

namespace vmnctl {

enum class LogLevel { Debug, Info, Warn, Error };
enum class LogFormat { Text, Json };

using Transport = vmnmob::connection::Transport;

/// "ssl:ADDR:PORT", "tcp:ADDR:PORT" or "ADDR:PORT" (= tcp); IPv6 as "[::1]:6653".
struct Endpoint {
  std::string host;  // IPv4 or IPv6 literal
  std::uint16_t port = 6653;
  Transport transport = Transport::Tcp;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  std::string to_string() const;
};

/// An IPv4 or IPv6 network ("10.1.0.0/16", "fd00::/8"; a bare address is a /32 or /128).
struct PeerNetwork {
  boost::asio::ip::address network;
  unsigned prefix_length = 0;
  bool contains(const boost::asio::ip::address& a) const;
};

/// Who may be a site's switch (sites[].certificate, sites[].allowed_peers).
struct SiteAccess {
  std::string certificate;  // as written in the file ("" = any certificate the CA signed)
  std::string fingerprint;  // "sha256:" binding: 64 upper-case hex digits, no colons
  std::vector<std::pair<std::string, std::string>> subject;  // "subject:" binding: KEY=VALUE parts
  std::vector<std::string> allowed_peers_text;  // as written
  std::vector<PeerNetwork> allowed_peers;       // empty = any source address
};

/// When the flows of the old location are deleted after a migration (mobility.make_before_break;
/// see vmnmob/delivery/delivery.hpp).
using BreakOrder = vmnmob::delivery::BreakOrder;

/// The top-level `limits` section: connection limits (vmnmob/connection/switch_manager.hpp,
/// ConnectionLimits) and packet-in token buckets (vmnmob/mobility/admission.hpp).
struct LimitsConfig {
  std::size_t connections_per_address = 16;  // 0: no limit
  std::size_t connections_total = 4096;      // 0: no limit
  vmnmob::Duration handshake_timeout = std::chrono::seconds(10);
  vmnmob::mobility::AdmissionConfig packet_in;  // per_switch, per_port, announce_per_switch
  /// OpenFlow meters on the packet-in flows (docs/MOBILITY.md), at the per-switch and announce
  /// rates; off by default (sets MobilityConfig::switch_meters).
  bool switch_meters = false;
  friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

/// `northbound: {"listen": "127.0.0.1:8080", "token": "..."}`; absent: no API.
struct NorthboundConfig {
  std::string host = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 8080;
  std::string token;  // empty: no token
  friend bool operator==(const NorthboundConfig&, const NorthboundConfig&) = default;
};

/// Parses the `northbound` section; problems are appended as "northbound.key: reason".
std::optional<NorthboundConfig> parse_northbound(const nlohmann::json& j, std::vector<std::string>& errors);

struct ControllerConfig {
  Endpoint listen{"0.0.0.0", 6653};
  /// Active mode: switches that listen (ovs-vsctl set-controller BR ptcp:PORT).
  std::vector<Endpoint> connect;
  /// openflow.tls: needed by ssl: endpoints.
  std::optional<vmnmob::connection::TlsOptions> tls;
  vmnmob::mobility::MobilityConfig mobility;
  std::vector<std::string> site_names;  // parallel to mobility.sites
  std::vector<SiteAccess> site_access;  // parallel to mobility.sites
  std::optional<std::string> state_file;
  BreakOrder make_before_break = BreakOrder::Switch;
  LimitsConfig limits;
  LogLevel log_level = LogLevel::Info;
  LogFormat log_format = LogFormat::Text;
  /// Lines of one kind a peer can cause, per second (the rest are counted); 0: no limit.
  std::uint32_t log_lines_per_second = 10;
  /// The northbound API (northbound.hpp); absent: off.
  std::optional<NorthboundConfig> northbound;
  /// The document this was parsed from (GET /v1/config shows it, redacted).
  std::shared_ptr<const nlohmann::json> document;
};

using ConfigErrors = std::vector<std::string>;  // each "path: reason"

vmnmob::Expected<ControllerConfig, ConfigErrors> parse_config(const nlohmann::json& doc);
/// Reads and parses a file; a JSON syntax error is reported with its byte position.
vmnmob::Expected<ControllerConfig, ConfigErrors> load_config(const std::string& path);

std::optional<Endpoint> parse_endpoint(std::string_view s);
std::optional<PeerNetwork> parse_peer_network(std::string_view s);
/// The admission rule of vmnctl-ofc: unknown datapath ids are refused; a site's
/// allowed_peers restricts the source address; its certificate binds the TLS certificate
/// (a site with a binding refuses plain TCP).
vmnmob::connection::Admission admit_switch(const ControllerConfig& config,
                                           const vmnmob::connection::AdmissionRequest& request);
/// "0x000000000000000a", "00:00:00:00:00:00:00:0a" or "10".
std::optional<std::uint64_t> parse_datapath_id(std::string_view s);
std::optional<LogLevel> parse_log_level(std::string_view s);

}  // namespace vmnctl
