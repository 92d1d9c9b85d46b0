#include "vmnmob/northbound/api.hpp"

#include <ctime>

#include <fmt/format.h>

namespace vmnmob::northbound {

namespace {

using json = nlohmann::json;
using WallTime = std::chrono::system_clock::time_point;

/// RFC 3339 UTC with milliseconds: "2026-12-04T08:00:00.000Z".
std::string rfc3339(WallTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms - std::int64_t{seconds} * 1000));
}

/// An engine time (steady clock) as a date, through the age it has now.
std::string wall_time_of(TimePoint t, TimePoint now, WallTime wall) {
  return rfc3339(wall - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - t));
}

json location_json(const mobility::Location& l) { return {{"dpid", dpid_string(l.datapath_id)}, {"port", l.port}}; }

json port_json(const ofp::Port& p) {
  constexpr std::uint32_t kPortDown = 1;   // OFPPC_PORT_DOWN (config)
  constexpr std::uint32_t kLinkDown = 1;   // OFPPS_LINK_DOWN (state)
  return {{"port_no", p.port_no},
          {"name", p.name},
          {"hw_addr", p.hw_addr.to_string()},
          {"up", (p.config & kPortDown) == 0 && (p.state & kLinkDown) == 0}};
}

json counters_json(const connection::SwitchCounters& c) {
  return {{"messages_in", c.messages_in},   {"bytes_in", c.bytes_in},
          {"messages_out", c.messages_out}, {"bytes_out", c.bytes_out},
          {"packet_ins", c.packet_ins},     {"errors_in", c.errors_in},
          {"decode_errors", c.decode_errors}, {"dropped", c.dropped},
          {"queue_depth", c.queue_depth},   {"queue_high_water", c.queue_high_water}};
}

}  // namespace

std::string dpid_string(std::uint64_t datapath_id) { return fmt::format("{:#018x}", datapath_id); }

json event_to_json(const mobility::Event& e, std::uint64_t seq) {
  json j{{"seq", seq}, {"kind", mobility::to_string(e.kind)}};
  if (!e.mac.is_zero()) j["mac"] = e.mac.to_string();
  if (!e.peer_mac.is_zero()) j["peer_mac"] = e.peer_mac.to_string();
  if (!e.home_address.is_unspecified()) j["hoa"] = e.home_address.to_string();
  if (!e.mobile_address.is_unspecified()) j["moa"] = e.mobile_address.to_string();
  if (!e.old_mobile_address.is_unspecified()) j["old_moa"] = e.old_mobile_address.to_string();
  if (e.from.datapath_id != 0) j["from"] = location_json(e.from);
  if (e.to.datapath_id != 0) j["to"] = location_json(e.to);
  if (e.count != 0) j["count"] = e.count;
  if (!e.reason.empty()) j["reason"] = e.reason;
  return j;
}

Api::Api(boost::asio::io_context& io, controller::Controller& controller, ApiOptions options,
         ServerOptions server_options)
    : controller_(controller), options_(std::move(options)), server_(io, router_, std::move(server_options)) {
  router_.add("GET", "/healthz", [this](const Request&) { return healthz(); });
  router_.add("GET", "/readyz", [this](const Request&) { return readyz(); });
  router_.add("GET", "/v1/switches", [this](const Request&) { return switches(); });
  router_.add("GET", "/v1/vmns", [this](const Request&) { return vmns(); });
  router_.add("GET", "/v1/vmns/{mac}", [this](const Request& r) { return vmn(r); });
  router_.add("GET", "/v1/pools", [this](const Request&) { return pools(); });
  router_.add("GET", "/v1/config", [this](const Request&) {
    Response r;
    r.body = options_.config ? options_.config() : json::object();
    return r;
  });
  router_.add("POST", "/v1/reload", [this](const Request& r) { return reload(r); });
  router_.add("GET", "/v1/events", [](const Request&) {
    Response r;
    r.event_stream = true;
    return r;
  });
}

Expected<std::uint16_t, std::string> Api::listen(const std::string& address, std::uint16_t port) {
  return server_.listen(address, port);
}

void Api::stop() { server_.stop(); }

void Api::on_switch_up(const connection::SwitchUp& e) { connected_since_[e.datapath_id] = options_.wall_clock(); }

void Api::on_switch_down(const connection::SwitchDown& e) { connected_since_.erase(e.datapath_id); }

void Api::on_events(std::span<const mobility::Event> events, Duration) {
  for (const auto& e : events) server_.publish(event_to_json(e, ++event_seq_).dump());
}

std::string Api::site_name(std::uint64_t datapath_id) const {
  auto it = options_.site_names.find(datapath_id);
  return it == options_.site_names.end() ? std::string() : it->second;
}

Response Api::healthz() const {
  Response r;
  r.body = {{"status", "ok"}};
  return r;
}

Response Api::readyz() const {
  json missing = json::array();
  std::size_t connected = 0;
  const auto& sites = controller_.engine().config().sites;
  for (const auto& site : sites) {
    if (controller_.engine().connected(site.datapath_id)) ++connected;
    else missing.push_back({{"dpid", dpid_string(site.datapath_id)}, {"site", site_name(site.datapath_id)}});
  }
  Response r;
  if (missing.empty()) {
    r.body = {{"ready", true}, {"switches", {{"configured", sites.size()}, {"connected", connected}}}};
    return r;
  }
  std::vector<std::string> names;
  for (const auto& m : missing) names.push_back(fmt::format("{} ({})", m["site"].get<std::string>(), m["dpid"].get<std::string>()));
  r = error_response(503, "not_ready", fmt::format("switches not connected: {}", fmt::join(names, ", ")));
  r.body["error"]["missing"] = std::move(missing);
  return r;
}

Response Api::switches() const {
  json list = json::array();
  for (const auto& site : controller_.engine().config().sites) {
    const auto dp = site.datapath_id;
    json s{{"dpid", dpid_string(dp)}, {"site", site_name(dp)}};
    auto sw = controller_.switches().find(dp);
    if (!sw || !sw->connected()) {
      s["connected"] = false;
      list.push_back(std::move(s));
      continue;
    }
    s["connected"] = true;
    s["peer"] = sw->peer();
    if (auto it = connected_since_.find(dp); it != connected_since_.end()) s["connected_since"] = rfc3339(it->second);
    else s["connected_since"] = nullptr;  // up before the Api observed it
    json ports = json::array();
    for (const auto& p : sw->ports()) ports.push_back(port_json(p));
    s["ports"] = std::move(ports);
    s["counters"] = counters_json(sw->counters());
    list.push_back(std::move(s));
  }
  Response r;
  r.body = {{"switches", std::move(list)}};
  return r;
}

json Api::vmn_json(const mobility::Vmn& v, TimePoint now, WallTime wall) const {
  const auto& registry = controller_.engine().registry();
  json correspondents = json::array();
  for (auto id : v.correspondents)
    if (registry.contains(id)) correspondents.push_back(registry.at(id).mac.to_string());
  return {{"mac", v.mac.to_string()},
          {"hoa", v.home_address.to_string()},
          {"moa", v.mobile_address.to_string()},
          {"site", site_name(v.location.datapath_id)},
          {"dpid", dpid_string(v.location.datapath_id)},
          {"port", v.location.port},
          {"generation", v.generation},
          {"correspondents", std::move(correspondents)},
          {"detected_at", wall_time_of(v.detected_at, now, wall)},
          {"moved_at", wall_time_of(v.moved_at, now, wall)},
          {"frozen", controller_.engine().frozen(v.mac, now)}};
}

Response Api::vmns() const {
  const auto now = options_.clock();
  const auto wall = options_.wall_clock();
  json list = json::array();
  for (const auto& v : controller_.engine().registry()) list.push_back(vmn_json(v, now, wall));
  Response r;
  r.body = {{"vmns", std::move(list)}};
  return r;
}

Response Api::vmn(const Request& request) const {
  const auto text = request.param("mac");
  const auto mac = MacAddress::parse(text);
  if (!mac) return error_response(400, "bad_request", fmt::format("not a MAC address: \"{}\"", text));
  const auto* v = controller_.engine().registry().find(*mac);
  if (v == nullptr) return error_response(404, "not_found", fmt::format("no VMN with MAC {}", mac->to_string()));
  Response r;
  r.body = vmn_json(*v, options_.clock(), options_.wall_clock());
  return r;
}

Response Api::pools() const {
  json list = json::array();
  for (const auto& site : controller_.engine().config().sites) {
    const auto* pool = controller_.engine().pool(site.datapath_id);
    if (pool == nullptr) continue;
    list.push_back({{"site", site_name(site.datapath_id)},
                    {"dpid", dpid_string(site.datapath_id)},
                    {"size", pool->capacity()},
                    {"in_use", pool->in_use_count()},
                    {"held", pool->held_count()},
                    {"free", pool->available()}});
  }
  Response r;
  r.body = {{"pools", std::move(list)}};
  return r;
}

Response Api::reload(const Request& request) const {
  // The body is optional; when present it must be a JSON object without members (room for
  // options later), so a client that sends something learns that it was not understood.
  if (!request.body.empty()) {
    auto body = parse_json_body(request.body);
    if (!body) return error_response(400, "bad_request", body.error());
    if (!body->is_object()) return error_response(400, "bad_request", "the body must be a JSON object");
    if (!body->empty())
      return error_response(400, "bad_request", fmt::format("unknown key \"{}\" (POST /v1/reload takes none)", body->begin().key()));
  }
  if (!options_.reload) return error_response(501, "not_implemented", "this host does not reload");
  const auto result = options_.reload();
  if (!result.applied) {
    auto r = error_response(409, "reload_refused",
                            fmt::format("reload refused ({} problems); nothing changed", result.refusals.size()));
    r.body["error"]["refusals"] = result.refusals;
    return r;
  }
  Response r;
  r.body = {{"applied", true}, {"changes", result.changes}};
  return r;
}

}  // namespace vmnmob::northbound
