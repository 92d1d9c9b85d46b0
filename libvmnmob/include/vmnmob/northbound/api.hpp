// The northbound API of a Controller, versioned under /v1 (docs/API.md):
//   GET /healthz, GET /readyz, GET /v1/switches, GET /v1/vmns, GET /v1/vmns/{mac},
//   GET /v1/pools, GET /v1/config, POST /v1/reload, GET /v1/events (Server-Sent Events).
// It is a ControllerObserver (switch up/down times, engine events for the stream): a host adds
// it to an ObserverTee next to its own observer. Later slices add routes to router().
// Everything runs on the controller's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "vmnmob/controller/controller.hpp"
#include "vmnmob/northbound/router.hpp"
#include "vmnmob/northbound/server.hpp"

namespace vmnmob::northbound {

/// What POST /v1/reload answers: 200 with `body` when applied, 409 when refused.
struct ReloadResult {
  bool applied = false;
  std::vector<std::string> changes;   // applied: what changed ("pool of site-a grown by 8 addresses")
  std::vector<std::string> refusals;  // refused: each problem, "path: reason"
};

struct ApiOptions {
  /// Site names by datapath id (the host's configuration knows them; the engine does not).
  std::map<std::uint64_t, std::string> site_names;
  /// GET /v1/config: the running configuration as the host shows it (secrets redacted).
  std::function<nlohmann::json()> config;
  /// POST /v1/reload: what the host does on SIGHUP. Without it the route answers 501.
  std::function<ReloadResult()> reload;
  /// Clocks: `clock` is the engine's (ages of VMN times), `wall_clock` turns them into dates.
  std::function<TimePoint()> clock = [] { return Clock::now(); };
  std::function<std::chrono::system_clock::time_point()> wall_clock = [] { return std::chrono::system_clock::now(); };
};

/// One engine event as the stream sends it: {"seq": n, "kind": "migrated", "mac": ..., ...}.
nlohmann::json event_to_json(const mobility::Event& e, std::uint64_t seq);
/// "0x000000000000000a".
std::string dpid_string(std::uint64_t datapath_id);

class Api final : public controller::ControllerObserver {
 public:
  /// `controller` must outlive the Api.
  Api(boost::asio::io_context& io, controller::Controller& controller, ApiOptions options,
      ServerOptions server_options = {});

  /// Listens for HTTP on an IP literal; port 0 picks one. Returns the bound port.
  Expected<std::uint16_t, std::string> listen(const std::string& address, std::uint16_t port);
  void stop();
  Router& router() { return router_; }
  Server& server() { return server_; }

  void on_switch_up(const connection::SwitchUp& e) override;
  void on_switch_down(const connection::SwitchDown& e) override;
  void on_events(std::span<const mobility::Event> events, Duration reaction) override;

 private:
  Response healthz() const;
  Response readyz() const;
  Response switches() const;
  Response vmns() const;
  Response vmn(const Request& r) const;
  Response pools() const;
  Response reload(const Request& r) const;
  nlohmann::json vmn_json(const mobility::Vmn& v, TimePoint now, std::chrono::system_clock::time_point wall) const;
  std::string site_name(std::uint64_t datapath_id) const;

  controller::Controller& controller_;
  ApiOptions options_;
  Router router_;
  Server server_;
  std::map<std::uint64_t, std::chrono::system_clock::time_point> connected_since_;
  std::uint64_t event_seq_ = 0;
};

}  // namespace vmnmob::northbound
