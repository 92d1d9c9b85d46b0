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

#include "config.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/northbound/api.hpp"

namespace boost::asio {
class io_context;
}

namespace vmnctl {

class App;
class Logger;

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
