// Limits and hygiene (see detail/hygiene.hpp).
#include "mobility/detail/hygiene.hpp"

#include <algorithm>

namespace vmnmob::mobility::detail {

namespace {

/// The local flows of a VMN all idle out in the same expiry sweep of the switch (they were
/// added together, and RESET_COUNTS makes every re-add restart their timers together); their
/// FLOW_REMOVED messages arrive within this much of each other.
constexpr Duration kIdleSkew = std::chrono::seconds(3);

/// Which local flow a table is: T+1 deliver, T+2 ingress, T+3 egress by source.
std::optional<std::size_t> local_flow_index(std::uint8_t first_table, std::uint8_t table_id) {
  const int offset = int{table_id} - int{first_table};
  if (offset < table::kEgress || offset > table::kEgressSource) return std::nullopt;
  return static_cast<std::size_t>(offset - table::kEgress);
}

Event about(Event::Kind kind, const Vmn& v) {
  Event e = make_event(kind);
  e.mac = v.mac;
  e.home_address = v.home_address;
  e.mobile_address = v.mobile_address;
  return e;
}

}  // namespace

void Hygiene::refused(RefusalNotice& notice, Event e, Duration interval) {
  ++notice.unreported;
  const TimePoint now = batch_.now();
  if (notice.last_event && now - *notice.last_event < interval) return;
  e.count = notice.unreported;
  notice.unreported = 0;
  notice.last_event = now;
  batch_.event(e);
}

bool Hygiene::admit_new(std::uint64_t dp, std::uint32_t port, SwitchState& st, MacAddress mac, Ipv4Address hoa) {
  const MobilityConfig& c = s_.config;
  Event e = make_event(Event::Kind::VmnLimit);
  e.mac = mac;
  e.home_address = hoa;
  e.to = {dp, port};
  if (c.max_vmns_per_port != 0 && s_.registry.count_at({dp, port}) >= c.max_vmns_per_port) {
    // The port holds VMNs, so this entry is bounded by the registry (and pruned on tick).
    ++s_.counters.port_limit_refusals;
    refused(st.port_refusals[port], e, c.limit_event_interval);
    return false;
  }
  if (c.max_vmns_per_site != 0 && s_.registry.count_on(dp) >= c.max_vmns_per_site) {
    ++s_.counters.site_limit_refusals;
    e.kind = Event::Kind::SiteVmnLimit;
    refused(st.site_refusals, e, c.limit_event_interval);
    return false;
  }
  return true;
}

bool Hygiene::admit_move(const Vmn& v, Location to) {
  if (!v.frozen_until) return true;
  if (batch_.now() >= *v.frozen_until) {
    unfreeze(v.id);
    return true;
  }
  ++s_.counters.frozen_moves_refused;
  Event e = about(Event::Kind::FrozenMoveRefused, v);
  e.from = v.location;
  e.to = to;
  refused(s_.frozen[v.id], e, s_.config.move_freeze.window);
  return false;
}

void Hygiene::moved(VmnId id) {
  const MoveFreeze& f = s_.config.move_freeze;
  if (f.moves == 0) return;
  const std::size_t keep = std::min(f.moves, MoveFreeze::kMaxMoves);
  if (s_.registry.record_move(id, batch_.now(), f.window, keep) < keep) return;
  // RFC 7432 section 15: N moves within M seconds; the MAC stays where it is now.
  s_.registry.set_frozen(id, batch_.now() + f.freeze);
  batch_.changed_vmn(s_.registry.at(id).mac);
  s_.frozen[id] = RefusalNotice{};
  ++s_.counters.moves_frozen;
  const Vmn& v = s_.registry.at(id);
  Event e = about(Event::Kind::MoveFrozen, v);
  e.to = v.location;
  e.count = keep;
  batch_.event(e);
}

void Hygiene::unfreeze(VmnId id) {
  s_.registry.set_frozen(id, std::nullopt);
  batch_.changed_vmn(s_.registry.at(id).mac);
  s_.frozen.erase(id);
  Event e = about(Event::Kind::MoveUnfrozen, s_.registry.at(id));
  e.to = s_.registry.at(id).location;
  batch_.event(e);
}

Hygiene::IdleOutcome Hygiene::on_flow_removed(std::uint64_t dp, SwitchState& st, const ofp::FlowRemoved& removed) {
  const Duration idle = s_.config.vmn_idle;
  const std::uint64_t cookie = removed.cookie;
  if (idle == Duration::zero() || removed.reason != ofp::FlowRemovedReason::IdleTimeout ||
      Cookie::kind(cookie) != FlowKind::Local)
    return IdleOutcome::NotIdle;
  const VmnId id = Cookie::vmn(cookie);
  auto installed = st.local.find(id);
  const auto index = local_flow_index(s_.config.first_table, removed.table_id);
  if (installed == st.local.end() || !index ||
      static_cast<std::uint16_t>(installed->second.params.generation) != Cookie::generation(cookie))
    return IdleOutcome::NotIdle;  // not a flow the engine still wants: nothing to restore
  InstalledLocal& l = installed->second;
  const TimePoint now = batch_.now();
  l.idle_at[*index] = now;
  const Vmn& v = s_.registry.at(id);
  if (now - v.last_seen >= idle) {
    // No ARP for vmn_idle, and no traffic: every local flow it has timed out just now.
    const std::size_t timed = l.gateway_mac && l.uplink ? 3 : 2;
    bool all_idle = true;
    for (std::size_t i = 0; i < timed; ++i) all_idle = all_idle && l.idle_at[i] && now - *l.idle_at[i] <= kIdleSkew;
    if (all_idle) {
      expire(id);
      return IdleOutcome::Expired;
    }
  }
  // Still ARPing, or another of its flows carries traffic: the flow comes back (re-adding the
  // group restarts the timers of all of them, so they stay in step).
  ++s_.counters.idle_flows_restored;
  return flows_.restore_removed(dp, st, cookie) ? IdleOutcome::Restored : IdleOutcome::NotIdle;
}

void Hygiene::expire(VmnId id) {
  if (!s_.registry.contains(id)) return;
  const Vmn& v = s_.registry.at(id);
  Event e = about(Event::Kind::VmnExpired, v);
  e.mobile_address = {};
  e.old_mobile_address = v.mobile_address;
  e.from = v.location;
  flows_.forget_vmn(v);
  std::erase_if(s_.pending, [id](const PendingProbe& p) { return p.asker == id; });
  if (SwitchState* home = s_.find(v.location.datapath_id)) (void)home->pool.release(v.mobile_address, batch_.now());
  // Removed, and gone from its correspondents' lists.
  batch_.changed_vmn(v.mac);
  for (VmnId p : v.correspondents) batch_.changed_vmn(s_.registry.at(p).mac);
  batch_.changed_address(v.location.datapath_id, v.mobile_address);
  s_.frozen.erase(id);
  s_.registry.remove(id);
  ++s_.counters.vmns_expired;
  batch_.event(e);
  e.kind = Event::Kind::MoaReleased;
  batch_.event(e);
}

void Hygiene::tick() {
  const TimePoint now = batch_.now();
  std::vector<VmnId> thawed;
  for (const auto& [id, notice] : s_.frozen)
    if (const Vmn& v = s_.registry.at(id); v.frozen_until && now >= *v.frozen_until) thawed.push_back(id);
  std::sort(thawed.begin(), thawed.end());  // deterministic event order
  for (VmnId id : thawed) unfreeze(id);
  const Duration keep = 2 * s_.config.limit_event_interval;
  for (auto& [dp, st] : s_.switches)
    std::erase_if(st.port_refusals, [&](const auto& entry) {
      return !entry.second.last_event || now - *entry.second.last_event >= keep;
    });
}

}  // namespace vmnmob::mobility::detail
