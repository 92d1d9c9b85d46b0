// Snapshot and restore (engine.hpp): the engine's state as JSON and back. A restore reads the
// document through one JsonCheck, so a broken snapshot is refused with every problem named by
// its path ("switches[2].uplink_port: not a number") and no exception, and the engine is
// changed only once all of it has been read.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mobility/detail/engine_impl.hpp"
#include "mobility/detail/json_check.hpp"
#include "vmnmob/ofp/constants.hpp"

namespace vmnmob::mobility {

namespace {

constexpr std::string_view kFormat = "vmnmob-mobility-snapshot/1";

/// What a snapshot holds for one switch.
struct RestoredSwitch {
  AddressPool pool;
  std::optional<MacAddress> gateway_mac;
  std::optional<std::uint32_t> uplink;
  std::uint32_t base_generation = 0;
};

/// Reads switches[i] (`path`) of a snapshot for the configured switch state `st`; what it
/// could not read is an error in `c` and left at its default.
RestoredSwitch read_switch(detail::JsonCheck& c, const nlohmann::json& j, const std::string& path,
                           const detail::SwitchState& st, Duration hold_time, TimePoint now) {
  using detail::JsonCheck;
  RestoredSwitch r;
  if (const nlohmann::json* pool = c.required(j, path, "pool")) {
    const std::string pool_path = JsonCheck::member(path, "pool");
    auto read = AddressPool::from_json(*pool, hold_time, now, pool_path);
    const AddressPool configured(AddressPool::site_ranges(*st.site), hold_time);  // O(ranges)
    if (!read) {
      c.errors_from(read.error());
    } else if (auto outside = read->first_outside(configured.ranges())) {
      // A snapshot of another configuration (pools swapped between sites, a pool shrunk): its
      // addresses would be handed out by a site that does not own them.
      c.error(JsonCheck::member(pool_path, "ranges"),
              fmt::format("{} is not in the configured pool of datapath {:#x} (a state of another configuration?)",
                          outside->to_string(), st.site->datapath_id));
    } else {
      // A pool grown in the configuration since the snapshot: grown to the configured pool, which
      // covers the snapshot's, keeping every address's state.
      (void)read->grow(AddressPool::site_ranges(*st.site));
      r.pool = std::move(*read);
    }
  }
  if (const nlohmann::json* g = c.required(j, path, "learned_gateway_mac"); g && !g->is_null())
    r.gateway_mac = c.parsed(*g, JsonCheck::member(path, "learned_gateway_mac"), MacAddress::parse, "a MAC address");
  if (r.gateway_mac && (r.gateway_mac->is_multicast() || r.gateway_mac->is_zero())) {
    c.error(JsonCheck::member(path, "learned_gateway_mac"), "not a unicast MAC address");
    r.gateway_mac.reset();
  }
  if (const nlohmann::json* u = c.required(j, path, "uplink_port"); u && !u->is_null()) {
    r.uplink = c.integer<std::uint32_t>(*u, JsonCheck::member(path, "uplink_port"));
    if (r.uplink && (*r.uplink == 0 || *r.uplink > ofp::port::kMax)) {
      c.error(JsonCheck::member(path, "uplink_port"), fmt::format("not a port from 1 to {:#x}", ofp::port::kMax));
      r.uplink.reset();
    }
  }
  if (const nlohmann::json* g = JsonCheck::optional(j, "base_generation"))
    r.base_generation = c.integer<std::uint32_t>(*g, JsonCheck::member(path, "base_generation")).value_or(0);
  return r;
}

}  // namespace

nlohmann::json MobilityEngine::snapshot(TimePoint now) const {
  using nlohmann::json;
  const detail::EngineState& s = impl_->state;
  json switches = json::array();
  std::vector<std::uint64_t> dps;
  for (const auto& [dp, st] : s.switches) dps.push_back(dp);
  std::sort(dps.begin(), dps.end());
  for (std::uint64_t dp : dps) {
    const detail::SwitchState& st = s.switches.at(dp);
    json sw = {{"datapath_id", dp}, {"pool", st.pool.to_json(now)}, {"base_generation", st.base_generation}};
    sw["learned_gateway_mac"] = (!st.site->gateway_mac && st.gateway_mac) ? json(st.gateway_mac->to_string()) : json(nullptr);
    sw["uplink_port"] = st.uplink ? json(*st.uplink) : json(nullptr);
    switches.push_back(std::move(sw));
  }
  return {{"format", kFormat}, {"vmns", s.registry.to_json(now)}, {"switches", switches}};
}

Expected<void, std::string> MobilityEngine::restore(const nlohmann::json& snapshot, TimePoint now, Batch& out) {
  using detail::JsonCheck;
  detail::EngineState& s = impl_->state;
  JsonCheck c;
  if (!c.is_object(snapshot, "snapshot")) return unexpected(c.message());
  const nlohmann::json* format = c.required(snapshot, "", "format");
  if (format && (!format->is_string() || format->get_ref<const std::string&>() != kFormat))
    c.error("format", fmt::format("not a {}", kFormat));
  const nlohmann::json* vmns = c.required(snapshot, "", "vmns");
  const nlohmann::json* switches = c.required(snapshot, "", "switches");
  if (!c.ok()) return unexpected(c.message());

  std::optional<VmnRegistry> registry;
  if (auto read = VmnRegistry::from_json(*vmns, now))
    registry = std::move(*read);
  else
    c.errors_from(read.error());
  std::unordered_map<std::uint64_t, RestoredSwitch> restored;
  if (c.is_array(*switches, "switches")) {
    for (std::size_t i = 0; i < switches->size(); ++i) {
      const nlohmann::json& j = (*switches)[i];
      const std::string path = JsonCheck::element("switches", i);
      if (!c.is_object(j, path)) continue;
      const nlohmann::json* dp_field = c.required(j, path, "datapath_id");
      if (dp_field == nullptr) continue;
      const std::string dp_path = JsonCheck::member(path, "datapath_id");
      const auto dp = c.integer<std::uint64_t>(*dp_field, dp_path);
      if (!dp) continue;
      const detail::SwitchState* st = s.find(*dp);
      if (st == nullptr) {
        c.error(dp_path, "not in the configuration");
        continue;
      }
      if (restored.contains(*dp)) {
        c.error(dp_path, fmt::format("datapath {:#x} is listed twice", *dp));
        continue;
      }
      restored.emplace(*dp, read_switch(c, j, path, *st, s.config.hold_time, now));
    }
  }
  if (!c.ok()) return unexpected(c.message());
  // What the registry holds must fit the running configuration. The registry lists VMNs in
  // increasing id order, one per element of "vmns", so the k-th is vmns[k].
  const Ipv4Prefix& home = s.config.home_prefix;
  const std::uint32_t network = home.network.value & home.mask();
  const std::uint32_t broadcast = network | ~home.mask();
  std::size_t k = 0;
  for (const Vmn& v : *registry) {
    const std::string path = JsonCheck::element("vmns", k++);
    if (!home.contains(v.home_address))
      c.error(JsonCheck::member(path, "home_address"),
              fmt::format("{} is not inside the home prefix {}", v.home_address.to_string(), home.to_string()));
    else if (home.length < 31 && (v.home_address.value == network || v.home_address.value == broadcast))
      c.error(JsonCheck::member(path, "home_address"),
              fmt::format("{} is the {} address of {}", v.home_address.to_string(),
                          v.home_address.value == network ? "network" : "broadcast", home.to_string()));
    else if (v.home_address == s.config.home_gateway)
      c.error(JsonCheck::member(path, "home_address"), fmt::format("{} is the home gateway", v.home_address.to_string()));
    if (v.location.port == 0 || v.location.port > ofp::port::kMax)
      c.error(JsonCheck::member(path, "port"), fmt::format("{} is not a port from 1 to {:#x}", v.location.port, ofp::port::kMax));
    if (v.mac.is_multicast() || v.mac.is_zero()) c.error(JsonCheck::member(path, "mac"), "not a unicast MAC address");
    auto r = restored.find(v.location.datapath_id);
    if (s.find(v.location.datapath_id) == nullptr)
      c.error(JsonCheck::member(path, "datapath_id"), fmt::format("{:#x} is not in the configuration", v.location.datapath_id));
    else if (r == restored.end() || !r->second.pool.in_use(v.mobile_address))
      c.error(JsonCheck::member(path, "mobile_address"),
              fmt::format("{} is not in use in the pool of datapath {:#x}", v.mobile_address.to_string(),
                          v.location.datapath_id));
  }
  if (!c.ok()) return unexpected(c.message());

  s.registry = std::move(*registry);
  s.pending.clear();
  // The freezes the snapshot carries (their refusal events start afresh).
  s.frozen.clear();
  for (const Vmn& v : s.registry)
    if (v.frozen_until) s.frozen.emplace(v.id, detail::RefusalNotice{});
  for (auto& [dp, st] : s.switches) {
    auto r = restored.find(dp);
    if (r != restored.end()) {
      st.pool = std::move(r->second.pool);
      st.gateway_mac = st.site->gateway_mac ? st.site->gateway_mac : r->second.gateway_mac;
      if (!st.connected) st.uplink = r->second.uplink;
      st.base_generation = r->second.base_generation;
    } else {
      st.pool = AddressPool::for_site(*st.site, s.config.hold_time);
    }
  }
  impl_->flows.rebuild_refs();
  // Connected switches are reconciled as if they had just come up with the ports they have.
  for (auto& [dp, st] : s.switches) {
    if (!st.connected) continue;
    std::vector<ofp::Port> ports;
    for (const auto& [no, name] : st.port_names) {
      ofp::Port p;
      p.port_no = no;
      p.name = name;
      ports.push_back(std::move(p));
    }
    Batch one;
    on_switch_up(now, dp, ports, one);
    for (Outgoing& o : one.messages) out.messages.push_back(std::move(o));
    for (Event& e : one.events) out.events.push_back(e);
  }
  out.break_at = out.messages.size();
  out.changes.everything = true;
  return {};
}

}  // namespace vmnmob::mobility
