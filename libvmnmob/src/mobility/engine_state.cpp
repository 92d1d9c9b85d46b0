// The engine's state (see detail/engine_state.hpp): building it from the configuration, the
// lookups every part of the engine uses, and live pool growth.
#include "mobility/detail/engine_state.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace vmnmob::mobility {

const SiteConfig* find_site(const MobilityConfig& config, std::uint64_t datapath_id) {
  for (const SiteConfig& s : config.sites)
    if (s.datapath_id == datapath_id) return &s;
  return nullptr;
}

namespace detail {

void SwitchState::forget_installed() {
  base.reset();
  local.clear();
  for (auto it = remote.begin(); it != remote.end();) {
    it->second.installed = false;
    it = it->second.refs == 0 ? remote.erase(it) : std::next(it);
  }
}

EngineState::EngineState(MobilityConfig c, std::unique_ptr<MobilityPolicy> p)
    : config(std::move(c)), policy(std::move(p)) {
  if (!policy) policy = std::make_unique<MobilityPolicy>();
  for (const SiteConfig& site : config.sites) {
    SwitchState& st = switches[site.datapath_id];
    st.site = &site;
    st.pool = AddressPool::for_site(site, config.hold_time);
    st.gateway_mac = site.gateway_mac;
    st.uplink = site.uplink_port;
  }
}

SwitchState* EngineState::find(std::uint64_t datapath_id) {
  auto it = switches.find(datapath_id);
  return it == switches.end() ? nullptr : &it->second;
}
const SwitchState* EngineState::find(std::uint64_t datapath_id) const {
  auto it = switches.find(datapath_id);
  return it == switches.end() ? nullptr : &it->second;
}
bool EngineState::connected(std::uint64_t datapath_id) const {
  const SwitchState* st = find(datapath_id);
  return st != nullptr && st->connected;
}

SwitchFlowContext EngineState::context(const SwitchState& st) const {
  SwitchFlowContext ctx;
  ctx.first_table = config.first_table;
  ctx.cookie_owner = config.cookie_owner;
  ctx.home_prefix = config.home_prefix;
  ctx.virtual_gateway_mac = config.virtual_gateway_mac;
  ctx.uplink_port = st.uplink;
  ctx.gateway_mac = st.gateway_mac;
  ctx.non_vmn = policy->non_vmn_traffic(*st.site);
  if (st.meters) {
    ctx.arp_meter = config.switch_meters.arp_meter_id;
    ctx.announce_meter = config.switch_meters.announce_meter_id;
  }
  const auto idle_s = std::chrono::ceil<std::chrono::seconds>(config.vmn_idle).count();
  ctx.local_idle_timeout = static_cast<std::uint16_t>(std::clamp<std::int64_t>(idle_s, 0, 0xffff));
  return ctx;
}

PortRef EngineState::port_ref(const SwitchState& st, std::uint32_t port) const {
  auto name = st.port_names.find(port);
  return PortRef{*st.site, port, name == st.port_names.end() ? std::string_view{} : std::string_view{name->second},
                 st.uplink && *st.uplink == port, registry.count_at({st.site->datapath_id, port})};
}

void EngineState::resolve_uplink(SwitchState& st) {
  if (st.site->uplink_port) {
    st.uplink = st.site->uplink_port;
    return;
  }
  st.uplink.reset();
  if (st.site->uplink_name.empty()) return;
  for (const auto& [no, name] : st.port_names)
    if (name == st.site->uplink_name) st.uplink = no;
}

Expected<std::uint64_t, std::string> EngineState::grow_pool(std::uint64_t datapath_id,
                                                             std::vector<AddressRange> ranges,
                                                             std::vector<Ipv4Prefix> prefixes) {
  SwitchState* st = find(datapath_id);
  if (st == nullptr) return unexpected(fmt::format("dp {:#x}: not in the configuration", datapath_id));
  SiteConfig next = *st->site;
  next.pool_ranges = std::move(ranges);
  next.pool_prefixes = std::move(prefixes);
  AddressPool pool = st->pool;  // grown on a copy: all or nothing
  auto added = pool.grow(AddressPool::site_ranges(next));
  if (!added)
    return unexpected(fmt::format("dp {:#x}: {} would leave the pool (a pool may only grow while running)",
                                  datapath_id, added.error().to_string()));
  const Ipv4Prefix& home = config.home_prefix;
  const std::uint32_t home_first = home.network.value & home.mask();
  const std::uint32_t home_last = home_first | ~home.mask();
  for (const AddressRange& r : pool.ranges()) {
    if (!(r.last.value < home_first) && !(home_last < r.first.value))
      return unexpected(fmt::format("dp {:#x}: {}-{} overlaps the home prefix", datapath_id, r.first.to_string(),
                                    r.last.to_string()));
    for (const auto& [dp, other] : switches) {
      if (dp == datapath_id) continue;
      for (const AddressRange& o : other.pool.ranges())
        if (!(o.last < r.first) && !(r.last < o.first))
          return unexpected(fmt::format("dp {:#x}: {}-{} overlaps the pool of dp {:#x}", datapath_id,
                                        r.first.to_string(), r.last.to_string(), dp));
    }
  }
  st->pool = std::move(pool);
  for (SiteConfig& site : config.sites)
    if (site.datapath_id == datapath_id) site = std::move(next);  // st->site points here
  return *added;
}

}  // namespace detail
}  // namespace vmnmob::mobility
