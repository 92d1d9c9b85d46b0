// The mobility engine's public entry points (engine.hpp): each event opens a batch, hands the
// work to the part that decides it, and closes the batch in send order. The parts:
//   detail/engine_state.hpp  the state they share (switches, registry, pools, probes)
//   arp_decisions.cpp        ARP -> registry and pools (detection, migration, proxy ARP, probes)
//   flow_sync.cpp            wanted versus installed flows -> flow-mods, and batch assembly
//   hygiene.cpp              VMN limits, duplicate-move freeze, expiry of idle VMNs
//   snapshot.cpp             snapshot and restore
#include "vmnmob/mobility/engine.hpp"

#include "mobility/detail/engine_impl.hpp"

namespace vmnmob::mobility {

using detail::make_event;
using detail::SwitchState;

MobilityEngine::MobilityEngine(MobilityConfig config, std::unique_ptr<MobilityPolicy> policy)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(policy))) {}
MobilityEngine::~MobilityEngine() = default;

Expected<MobilityEngine, std::vector<std::string>> MobilityEngine::create(MobilityConfig config,
                                                                          std::unique_ptr<MobilityPolicy> policy) {
  if (auto valid = validate(config); !valid) return unexpected(std::move(valid.error()));
  return MobilityEngine(std::move(config), std::move(policy));
}
MobilityEngine::MobilityEngine(MobilityEngine&&) noexcept = default;
MobilityEngine& MobilityEngine::operator=(MobilityEngine&&) noexcept = default;

// ---- events ----

void MobilityEngine::on_switch_up(TimePoint now, std::uint64_t datapath_id, std::span<const ofp::Port> ports,
                                  Batch& out) {
  on_switch_up(now, datapath_id, ports, SwitchAbilities{}, out);
}

void MobilityEngine::on_switch_up(TimePoint now, std::uint64_t datapath_id, std::span<const ofp::Port> ports,
                                  const SwitchAbilities& abilities, Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  if (SwitchState* st = m.known_switch(datapath_id, 0)) {
    st->connected = true;
    const SwitchMeters& meters = m.state.config.switch_meters;
    st->meters = meters.enabled;
    if (meters.enabled && abilities.meters_probed) {
      const std::optional<std::string_view> why =
          abilities.meters ? meters_unusable(meters, *abilities.meters) : "METER_FEATURES refused (no meters)";
      if (why) {
        st->meters = false;
        Event e = make_event(Event::Kind::MetersUnusable);
        e.to = {datapath_id, 0};
        e.reason = *why;
        m.batch.event(e);
      }
    }
    st->port_names.clear();
    for (const ofp::Port& p : ports) st->port_names[p.port_no] = p.name;
    detail::EngineState::resolve_uplink(*st);
    m.batch.changed_switch(datapath_id);  // uplink port and base generation may change here
    // A VMN whose port went while the switch was away no longer counts as there: a new
    // interface may get the number.
    for (const Vmn& v : m.state.registry)
      if (v.location.datapath_id == datapath_id && !st->port_names.contains(v.location.port))
        m.state.registry.detach(v.id);
    m.flows.reconcile(datapath_id, *st);
    m.arp.probe_gateway(datapath_id, *st);
    Event e = make_event(Event::Kind::SwitchUp);
    e.to = {datapath_id, 0};
    m.batch.event(e);
  }
  m.batch.finish();
}

void MobilityEngine::on_switch_down(TimePoint now, std::uint64_t datapath_id, Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  if (SwitchState* st = m.state.find(datapath_id)) {
    st->connected = false;
    st->forget_installed();
    Event e = make_event(Event::Kind::SwitchDown);
    e.from = {datapath_id, 0};
    m.batch.event(e);
  }
  m.batch.finish();
}

void MobilityEngine::on_port_status(TimePoint now, std::uint64_t datapath_id, const ofp::PortStatus& status,
                                    Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  if (SwitchState* st = m.state.find(datapath_id)) {
    if (status.reason == ofp::PortReason::Delete) {
      st->port_names.erase(status.desc.port_no);
      // The VMNs there no longer count as at that port (VmnRegistry::detach); a scan, but only
      // when somebody was there, and port deletions are rare.
      const Location gone{datapath_id, status.desc.port_no};
      if (m.state.registry.count_at(gone) > 0)
        for (const Vmn& v : m.state.registry)
          if (v.location == gone) m.state.registry.detach(v.id);
    } else {
      st->port_names[status.desc.port_no] = status.desc.name;
    }
    const std::optional<std::uint32_t> before = st->uplink;
    detail::EngineState::resolve_uplink(*st);
    if (st->uplink != before) m.batch.changed_switch(datapath_id);
    if (st->uplink != before && st->connected) {
      m.flows.sync_base(datapath_id, *st);
      m.flows.sync_all_local(datapath_id);
      m.arp.probe_gateway(datapath_id, *st);
    }
  }
  m.batch.finish();
}

void MobilityEngine::on_arp(TimePoint now, std::uint64_t datapath_id, std::uint32_t in_port, const ArpFrame& frame,
                            Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  if (SwitchState* st = m.known_switch(datapath_id, in_port); st != nullptr && st->connected) {
    if (st->uplink && *st->uplink == in_port)
      m.arp.on_uplink_arp(datapath_id, in_port, *st, frame);
    else
      m.arp.on_vm_port_arp(datapath_id, in_port, *st, frame);
  }
  m.batch.finish();
}

void MobilityEngine::on_packet_in(TimePoint now, std::uint64_t datapath_id, const ofp::PacketIn& packet_in,
                                  Batch& out) {
  auto frame = parse_arp_frame(packet_in.data.span());
  if (!frame) return;
  on_arp(now, datapath_id, packet_in.in_port(), *frame, out);
}

void MobilityEngine::on_flow_removed(TimePoint now, std::uint64_t datapath_id, const ofp::FlowRemoved& removed,
                                     Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  const std::uint64_t c = removed.cookie;
  SwitchState* st = m.state.find(datapath_id);
  if (st != nullptr && st->connected && Cookie::owner(c) == m.state.config.cookie_owner) {
    using Idle = detail::Hygiene::IdleOutcome;
    const Idle idle = m.hygiene.on_flow_removed(datapath_id, *st, removed);
    if (idle == Idle::Restored || (idle == Idle::NotIdle && m.flows.restore_removed(datapath_id, *st, c))) {
      Event e = make_event(Event::Kind::FlowRestored);
      e.to = {datapath_id, 0};
      const VmnId id = Cookie::vmn(c);
      if (Cookie::kind(c) != FlowKind::Base && m.state.registry.contains(id)) e.mac = m.state.registry.at(id).mac;
      m.batch.event(e);
    }
  }
  m.batch.finish();
}

void MobilityEngine::on_tick(TimePoint now, Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  for (auto& [dp, st] : m.state.switches) {
    st.pool.expire(now);
    if (st.connected && !st.gateway_mac && now - st.last_gateway_probe >= m.state.config.gateway_probe_interval)
      m.arp.probe_gateway(dp, st);
  }
  m.arp.expire_probes();
  m.hygiene.tick();
  m.batch.finish();
}

bool MobilityEngine::unfreeze(TimePoint now, MacAddress mac, Batch& out) {
  Impl& m = *impl_;
  m.batch.begin(now, out);
  const Vmn* v = m.state.registry.find(mac);
  const bool was = v != nullptr && v->frozen_until.has_value();
  if (was) m.hygiene.unfreeze(v->id);
  m.batch.finish();
  return was;
}

Expected<std::uint64_t, std::string> MobilityEngine::grow_pool(std::uint64_t datapath_id,
                                                                std::vector<AddressRange> ranges,
                                                                std::vector<Ipv4Prefix> prefixes) {
  return impl_->state.grow_pool(datapath_id, std::move(ranges), std::move(prefixes));
}

// ---- state ----

const MobilityConfig& MobilityEngine::config() const { return impl_->state.config; }
const VmnRegistry& MobilityEngine::registry() const { return impl_->state.registry; }
bool MobilityEngine::connected(std::uint64_t datapath_id) const { return impl_->state.connected(datapath_id); }
std::size_t MobilityEngine::pending_probes() const { return impl_->state.pending.size(); }
const EngineCounters& MobilityEngine::counters() const { return impl_->state.counters; }
bool MobilityEngine::frozen(MacAddress mac, TimePoint now) const {
  const Vmn* v = impl_->state.registry.find(mac);
  return v != nullptr && v->frozen_until && now < *v->frozen_until;
}

const AddressPool* MobilityEngine::pool(std::uint64_t datapath_id) const {
  const SwitchState* st = impl_->state.find(datapath_id);
  return st == nullptr ? nullptr : &st->pool;
}
std::optional<MacAddress> MobilityEngine::gateway_mac(std::uint64_t datapath_id) const {
  const SwitchState* st = impl_->state.find(datapath_id);
  return st == nullptr ? std::nullopt : st->gateway_mac;
}
std::optional<std::uint32_t> MobilityEngine::uplink_port(std::uint64_t datapath_id) const {
  const SwitchState* st = impl_->state.find(datapath_id);
  return st == nullptr ? std::nullopt : st->uplink;
}
std::uint32_t MobilityEngine::base_generation(std::uint64_t datapath_id) const {
  const SwitchState* st = impl_->state.find(datapath_id);
  return st == nullptr ? 0 : st->base_generation;
}
SwitchFlowContext MobilityEngine::flow_context(std::uint64_t datapath_id) const {
  const SwitchState* st = impl_->state.find(datapath_id);
  return st == nullptr ? SwitchFlowContext{} : impl_->state.context(*st);
}
std::vector<ofp::FlowMod> MobilityEngine::installed_flows(std::uint64_t datapath_id) const {
  const SwitchState* st = impl_->state.find(datapath_id);
  return st == nullptr ? std::vector<ofp::FlowMod>{} : impl_->flows.installed(*st);
}

}  // namespace vmnmob::mobility
