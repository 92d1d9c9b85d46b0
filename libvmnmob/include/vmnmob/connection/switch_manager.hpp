// The OpenFlow 1.3 switch connection manager.
//
// Layers (STYLE.md "Connections"):
//   transport (Asio TCP, src/connection/connection.cpp, the only place that does I/O)
//   -> session (vmnmob/connection/session.hpp: HELLO, handshake, echo; pure, takes `now`)
//   -> switch registry by datapath id (this class)
//   -> observers (vmnmob/connection/events.hpp).
//
// Modes: passive (listen(): switches connect to us, OVS `set-controller br tcp:IP:6653`) and
// active (connect(): we connect to a switch that listens, OVS `ptcp:PORT`, reconnecting with
// exponential backoff after every failure or disconnect).
//
// Transports: plain TCP, or TLS (OVS `ssl:IP:6653` / `pssl:PORT`, `ovs-vsctl set-ssl`) with
// ManagerOptions::tls: TLS 1.2 or newer only, our certificate and key, a CA that every switch
// certificate must chain to; in passive mode a switch without a client certificate is refused.
// The TLS handshake counts against SessionConfig::handshake_timeout like the OpenFlow one.
//
// Admission (who may be which switch): ManagerOptions::admit, when set, is asked after the
// OpenFlow handshake (FEATURES_REPLY and PORT_DESC known) and before the connection is
// registered, i.e. before it could replace a connection with the same datapath id. A refused
// connection is closed, never counts as up, replaces nothing, and is reported as
// HandshakeFailed{reason = Refused, detail = the refusal's reason}.
//
// Threading model
// ---------------
// * The manager runs on the io_context you pass in; run it on one thread or several.
// * Every connection has its own strand. Everything about one switch (reading, decoding,
//   its session and request table, its timers, and every observer callback for it) runs on
//   that strand: callbacks for one switch are never concurrent and arrive in wire order.
//   Callbacks for different switches may run concurrently when several threads run the
//   io_context; an observer shared by switches must then synchronise its own state (or run
//   the io_context on one thread, where nothing is ever concurrent).
// * Callbacks must not block: they hold up that switch's reading.
// * Switch member functions may be called from any thread. Called on the switch's own
//   strand (from its callbacks, or from a handler posted to it) send() encodes straight into
//   the write buffer and reports QueueFull synchronously; from elsewhere it encodes on the
//   calling thread and hands the bytes to the strand: at once when that thread runs the
//   io_context and the strand is idle (a callback of one switch writing to another, the
//   usual case of a migration, costs no extra trip through the io_context), else posted.
// * Request handlers (Switch::request) run on the switch's strand.
// * SwitchManager's own functions (listen, connect, find, stop, ...) are thread-safe.
//   add_observer() must be called before listen()/connect().
// * Destroy the manager only after the io_context threads have stopped, or from a handler
//   running on the io_context; after destruction no observer is called any more.
//
// Write policy: each switch has its own bounded send queue (`send_queue_limit`); a message
// that does not fit is refused with QueueFull, and a connection whose write makes no progress
// for `write_stall_timeout` is closed (SendQueueStalled). The queue itself is internal
// (libvmnmob/src/connection/detail/write_queue.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/connection/events.hpp"
#include "vmnmob/connection/session.hpp"
#include "vmnmob/connection/switch.hpp"

namespace boost::asio {
class io_context;
}

namespace vmnmob::connection {

/// The transport of one listen address or connect target.
enum class Transport : std::uint8_t { Tcp, Tls };
std::string_view to_string(Transport transport);

/// TLS material, as PEM file paths (what `ovs-pki` writes).
struct TlsOptions {
  std::string certificate;     // our certificate (chain), PEM
  std::string private_key;     // its private key, PEM, unencrypted
  std::string ca_certificate;  // CA(s) a switch's certificate must chain to, PEM
};

/// Loads the files and builds both contexts once, as listen()/connect() would. The error
/// names the field: "certificate: /etc/x.pem: no such file or directory".
Expected<void, std::string> check_tls(const TlsOptions& tls);

/// The peer's certificate after a TLS handshake (already verified against the CA).
struct PeerCertificate {
  std::string sha256_fingerprint;  // SHA-256 of the DER certificate, "AB:CD:..." (32 pairs)
  std::string subject;             // RFC 2253 form, e.g. "CN=site-a,OU=switchca,O=Example"
};

/// What the admission hook is asked about one connection.
struct AdmissionRequest {
  DatapathId datapath_id;
  std::string peer;          // "ip:port" as Switch::peer()
  std::string peer_address;  // the IP alone; IPv4-mapped IPv6 written as IPv4
  Transport transport;
  const PeerCertificate* certificate;  // nullptr on plain TCP; valid during the call
};

/// The hook's answer: accepted, or refused with a reason (logged and reported).
struct Admission {
  bool accepted = true;
  std::string reason;
  static Admission accept() { return {}; }
  static Admission refuse(std::string why) { return {false, std::move(why)}; }
};

/// Runs on the connection's strand; must not block. Connections of different switches may ask
/// concurrently when several threads run the io_context.
using AdmissionHook = std::function<Admission(const AdmissionRequest&)>;

/// Bounds on who may hold a TCP connection (passive mode). A connection over a limit is
/// accepted and closed at once (it is counted, and reported once per burst, see LimitHit); the
/// handshake timeout (SessionConfig::handshake_timeout) bounds a peer that stays silent.
struct ConnectionLimits {
  /// Connections from one source address, handshake included (0: no limit).
  std::size_t per_address = 16;
  /// Connections in all, both modes (0: no limit).
  std::size_t total = 4096;
  /// After a failed accept (EMFILE, ENFILE, ENOBUFS...) the listener waits this long before
  /// accepting again instead of spinning; connected switches keep being served meanwhile.
  Duration accept_backoff = std::chrono::milliseconds(100);
  /// Hits of one kind closer together than this form one burst, reported once.
  Duration burst_gap = std::chrono::seconds(1);
};

/// What the limits did since the manager started (SwitchManager::counters()).
struct ManagerCounters {
  std::uint64_t accepted = 0;             // connections adopted in passive mode
  std::uint64_t refused_per_address = 0;  // closed at once: ConnectionLimits::per_address
  std::uint64_t refused_total = 0;        // closed at once: ConnectionLimits::total
  std::uint64_t accept_errors = 0;        // accept() failures, each followed by a backoff
  std::uint64_t connections = 0;          // open now, handshake included
};

struct ManagerOptions {
  SessionConfig session;
  ConnectionLimits limits;
  BackoffConfig backoff;
  /// Bytes of bulk messages that may wait besides the batch being written.
  std::size_t send_queue_limit = 4u << 20;
  /// A write that makes no progress for this long closes the connection.
  Duration write_stall_timeout = std::chrono::seconds(15);
  /// Longest message accepted from a switch (at most 65535, the length field's range).
  std::size_t max_message_size = 0xffff;
  /// Required for Transport::Tls listeners and connectors.
  std::optional<TlsOptions> tls;
  /// Who may be which switch (see "Admission" above); unset admits every datapath id.
  AdmissionHook admit;
};

namespace detail {
class Hub;
struct Endpoints;
}

class SwitchManager {
 public:
  explicit SwitchManager(boost::asio::io_context& io, ManagerOptions options = {});
  ~SwitchManager();
  SwitchManager(const SwitchManager&) = delete;
  SwitchManager& operator=(const SwitchManager&) = delete;

  /// The observer must outlive the manager. Call before listen()/connect().
  void add_observer(SwitchObserver& observer);

  /// Passive mode on one address ("0.0.0.0", "::", "127.0.0.1", ...). Port 0 picks a free
  /// port. Returns the bound port, or why binding failed.
  /// Transport::Tls needs ManagerOptions::tls (the error says why it could not be loaded).
  Expected<std::uint16_t, std::string> listen(const std::string& address,
                                              std::uint16_t port = ofp::kDefaultPort,
                                              Transport transport = Transport::Tcp);
  /// Passive mode on every IPv4 and IPv6 address: a dual-stack "::" socket, or "0.0.0.0"
  /// where the host has no IPv6.
  Expected<std::uint16_t, std::string> listen_any(std::uint16_t port = ofp::kDefaultPort);

  /// Active mode: connects to a switch listening at address:port (an IP literal or a host
  /// name) and keeps reconnecting with backoff until stop().
  void connect(const std::string& address, std::uint16_t port);
  /// Active mode over `transport`; fails only when TLS is asked for and cannot be set up.
  Expected<void, std::string> connect(const std::string& address, std::uint16_t port, Transport transport);

  /// Closes listeners, connectors and every connection (observers see SwitchDown/Shutdown).
  void stop();

  /// The up switch with this datapath id, or nullptr.
  std::shared_ptr<Switch> find(DatapathId datapath_id) const;
  std::vector<DatapathId> datapath_ids() const;
  /// TCP connections, including those still in the handshake.
  std::size_t connection_count() const;
  /// Limit counters (thread-safe snapshot).
  ManagerCounters counters() const;

  const ManagerOptions& options() const;

 private:
  std::shared_ptr<detail::Hub> hub_;
  std::shared_ptr<detail::Endpoints> endpoints_;  // listeners and connectors, for stop()
};

}  // namespace vmnmob::connection
