// vmnctl-ofc's northbound API (libvmnmob's vmnmob/northbound, docs/API.md): the `northbound`
// configuration section, and the Api wired to the App: site names, the running configuration
// (token redacted) and POST /v1/reload, which does what SIGHUP does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/northbound/api.hpp"

namespace boost::asio {
class io_context;
}

namespace vmnctl {

class App;
class Logger;

/// `northbound: {"listen": "127.0.0.1:8080", "token": "..."}`; absent: no API.
struct NorthboundConfig {
  std::string host = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 8080;
  std::string token;  // empty: no token
  friend bool operator==(const NorthboundConfig&, const NorthboundConfig&) = default;
};

/// Parses the `northbound` section; problems are appended as "northbound.key: reason".
std::optional<NorthboundConfig> parse_northbound(const nlohmann::json& j, std::vector<std::string>& errors);

class Northbound {
 public:
  /// `reload` is the host's SIGHUP handler; `app` and `log` must outlive this.
  Northbound(boost::asio::io_context& io, App& app, const NorthboundConfig& config, Logger& log,
             std::function<vmnmob::northbound::ReloadResult()> reload);
  ~Northbound();
  /// Listens (call before App::start, so the switches' arrival times are seen).
  vmnmob::Expected<void, std::string> start();
  void stop();

 private:
  App& app_;
  NorthboundConfig config_;
  Logger& log_;
  std::unique_ptr<vmnmob::northbound::Api> api_;
};

}  // namespace vmnctl
