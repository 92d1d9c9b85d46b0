#include "vmnmob/mobility/engine.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmnmob::mobility {

const SiteConfig* find_site(const MobilityConfig& config, std::uint64_t datapath_id) {
  for (const SiteConfig& s : config.sites)
    if (s.datapath_id == datapath_id) return &s;
  return nullptr;
}

std::string_view to_string(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::SwitchUp: return "switch-up";
    case Event::Kind::SwitchDown: return "switch-down";
    case Event::Kind::UnknownSwitch: return "unknown-switch";
    case Event::Kind::GatewayResolved: return "gateway-resolved";
    case Event::Kind::VmnDetected: return "vmn-detected";
    case Event::Kind::MoaAssigned: return "moa-assigned";
    case Event::Kind::MoaReleased: return "moa-released";
    case Event::Kind::Migrated: return "migrated";
    case Event::Kind::PoolExhausted: return "pool-exhausted";
    case Event::Kind::SpoofRefused: return "spoof-refused";
    case Event::Kind::AddressConflict: return "address-conflict";
    case Event::Kind::CorrespondentsLinked: return "correspondents-linked";
    case Event::Kind::ProbeSent: return "probe-sent";
    case Event::Kind::ProbeExpired: return "probe-expired";
    case Event::Kind::FlowRestored: return "flow-restored";
  }
  return "unknown";
}

std::string to_string(const Event& e) {
  auto at = [](const Location& l) { return fmt::format("dp {:#x} port {}", l.datapath_id, l.port); };
  const std::string_view name = to_string(e.kind);
  switch (e.kind) {
    case Event::Kind::SwitchUp:
    case Event::Kind::UnknownSwitch: return fmt::format("{} dp {:#x}", name, e.to.datapath_id);
    case Event::Kind::SwitchDown: return fmt::format("{} dp {:#x}", name, e.from.datapath_id);
    case Event::Kind::GatewayResolved:
      return fmt::format("{} dp {:#x} gateway {} at {}", name, e.to.datapath_id, e.home_address.to_string(),
                         e.peer_mac.to_string());
    case Event::Kind::VmnDetected:
    case Event::Kind::MoaAssigned:
      return fmt::format("{} {} hoa {} moa {} at {}", name, e.mac.to_string(), e.home_address.to_string(),
                         e.mobile_address.to_string(), at(e.to));
    case Event::Kind::MoaReleased:
      return fmt::format("{} {} moa {} (held)", name, e.mac.to_string(), e.old_mobile_address.to_string());
    case Event::Kind::Migrated:
      return fmt::format("{} {} hoa {} from {} moa {} to {} moa {}", name, e.mac.to_string(), e.home_address.to_string(),
                         at(e.from), e.old_mobile_address.to_string(), at(e.to), e.mobile_address.to_string());
    case Event::Kind::PoolExhausted:
      return fmt::format("{} dp {:#x}: no MoA for {} hoa {}", name, e.to.datapath_id, e.mac.to_string(),
                         e.home_address.to_string());
    case Event::Kind::SpoofRefused:
      return fmt::format("{} {} claimed at {}, stays at {}", name, e.mac.to_string(), at(e.to), at(e.from));
    case Event::Kind::AddressConflict:
      return fmt::format("{} {} claims hoa {} moa {} at {} (holder {})", name, e.mac.to_string(),
                         e.home_address.to_string(), e.mobile_address.to_string(), at(e.to), e.peer_mac.to_string());
    case Event::Kind::CorrespondentsLinked:
      return fmt::format("{} {} <-> {} ({})", name, e.mac.to_string(), e.peer_mac.to_string(), e.home_address.to_string());
    case Event::Kind::ProbeSent:
    case Event::Kind::ProbeExpired:
      return fmt::format("{} hoa {} for {}", name, e.home_address.to_string(), e.mac.to_string());
    case Event::Kind::FlowRestored:
      return fmt::format("{} dp {:#x} {}", name, e.to.datapath_id, e.mac.to_string());
  }
  return std::string(name);
}

namespace {

struct InstalledBase {
  std::uint32_t generation = 0;
  std::optional<std::uint32_t> uplink;
  NonVmnTraffic non_vmn = NonVmnTraffic::Drop;
  friend bool operator==(const InstalledBase&, const InstalledBase&) = default;
};
struct InstalledLocal {
  LocalFlowParams params;
  std::optional<MacAddress> gateway_mac;
  std::optional<std::uint32_t> uplink;
  friend bool operator==(const InstalledLocal&, const InstalledLocal&) = default;
};

struct RemoteEntry {
  /// How many VMNs attached to this switch have the VMN as correspondent; its remote flows are
  /// wanted here exactly while this is positive (and it is attached elsewhere).
  std::uint32_t refs = 0;
  bool installed = false;
  RemoteFlowParams params;
};

struct SwitchState {
  const SiteConfig* site = nullptr;
  AddressPool pool;
  bool connected = false;
  std::unordered_map<std::uint32_t, std::string> port_names;
  std::optional<std::uint32_t> uplink;
  std::optional<MacAddress> gateway_mac;
  TimePoint last_gateway_probe{};
  std::uint32_t base_generation = 0;
  // What this engine has sent to the switch since it connected.
  std::optional<InstalledBase> base;
  std::unordered_map<VmnId, InstalledLocal> local;
  /// Per VMN attached elsewhere that matters here: one lookup gives both the reason for its
  /// remote flows and what was installed. An entry lives while either part is non-empty.
  std::unordered_map<VmnId, RemoteEntry> remote;

  void forget_installed() {
    base.reset();
    local.clear();
    for (auto it = remote.begin(); it != remote.end();) {
      it->second.installed = false;
      it = it->second.refs == 0 ? remote.erase(it) : std::next(it);
    }
  }
};

struct PendingProbe {
  Ipv4Address home_address;
  VmnId asker = 0;
  TimePoint expires{};
};

Event make_event(Event::Kind kind) {
  Event e;
  e.kind = kind;
  return e;
}

ofp::Message wrap(ofp::MessageBody body) { return ofp::Message{ofp::kVersion, 0, std::move(body)}; }

}  // namespace

struct MobilityEngine::Impl {
  MobilityConfig config;
  std::unique_ptr<MobilityPolicy> policy;
  VmnRegistry registry;
  std::unordered_map<std::uint64_t, SwitchState> switches;
  std::vector<PendingProbe> pending;

  // Per-event scratch, reused so that steady-state handling does not allocate vectors. Adds go
  // straight into the batch (they come first); the rest waits here for its place.
  std::size_t adds_begin = 0;
  std::vector<Outgoing> packet_outs;
  std::vector<Outgoing> deletes;
  std::vector<ofp::FlowMod> flow_scratch;
  std::vector<std::uint64_t> barrier_scratch;
  Batch* out = nullptr;
  TimePoint now{};

  Impl(MobilityConfig c, std::unique_ptr<MobilityPolicy> p) : config(std::move(c)), policy(std::move(p)) {
    if (!policy) policy = std::make_unique<MobilityPolicy>();
    for (const SiteConfig& site : config.sites) {
      SwitchState& st = switches[site.datapath_id];
      st.site = &site;
      st.pool = AddressPool::for_site(site, config.hold_time);
      st.gateway_mac = site.gateway_mac;
      st.uplink = site.uplink_port;
    }
  }

  // ---- batch assembly ----
  void begin(TimePoint t, Batch& o) {
    now = t;
    out = &o;
    adds_begin = o.messages.size();
    packet_outs.clear();
    deletes.clear();
  }
  void finish() {
    Batch& o = *out;
    const std::size_t adds_end = o.messages.size();
    for (Outgoing& m : packet_outs) o.messages.push_back(std::move(m));
    if (!deletes.empty()) {
      // One barrier per switch that received additions, in datapath id order.
      barrier_scratch.clear();
      for (std::size_t i = adds_begin; i < adds_end; ++i) {
        const std::uint64_t dp = o.messages[i].datapath_id;
        if (barrier_scratch.empty() || barrier_scratch.back() != dp) barrier_scratch.push_back(dp);
      }
      std::sort(barrier_scratch.begin(), barrier_scratch.end());
      barrier_scratch.erase(std::unique(barrier_scratch.begin(), barrier_scratch.end()), barrier_scratch.end());
      for (std::uint64_t dp : barrier_scratch) o.messages.push_back({dp, wrap(ofp::BarrierRequest{})});
    }
    o.break_at = o.messages.size();
    for (Outgoing& m : deletes) o.messages.push_back(std::move(m));
    out = nullptr;
  }
  void event(Event e) {
    e.at = now;
    out->events.push_back(e);
  }
  void emit_adds(std::uint64_t dp) {
    for (ofp::FlowMod& fm : flow_scratch) {
      Outgoing& o = out->messages.emplace_back();
      o.datapath_id = dp;
      o.message.body.emplace<ofp::FlowMod>(std::move(fm));
    }
    flow_scratch.clear();
  }
  void emit_delete(std::uint64_t dp, std::uint64_t cookie) {
    Outgoing& o = deletes.emplace_back();
    o.datapath_id = dp;
    o.message.body.emplace<ofp::FlowMod>(delete_by_cookie(cookie, Cookie::kExact));
  }
  void emit_packet_out(std::uint64_t dp, std::uint32_t port, const ArpFrame& f) {
    ofp::PacketOut po;
    po.actions.push_back(ofp::Output{port});
    po.data = Payload(build_arp_frame(f));
    packet_outs.push_back({dp, wrap(std::move(po))});
  }

  // ---- desired state and its synchronisation ----
  SwitchFlowContext context(const SwitchState& st) const {
    SwitchFlowContext ctx;
    ctx.first_table = config.first_table;
    ctx.cookie_owner = config.cookie_owner;
    ctx.home_prefix = config.home_prefix;
    ctx.virtual_gateway_mac = config.virtual_gateway_mac;
    ctx.uplink_port = st.uplink;
    ctx.gateway_mac = st.gateway_mac;
    ctx.non_vmn = policy->non_vmn_traffic(*st.site);
    return ctx;
  }
  std::uint64_t cookie(FlowKind kind, std::uint32_t generation, VmnId id) const {
    return Cookie::make(config.cookie_owner, kind, generation, id);
  }

  void sync_base(std::uint64_t dp, SwitchState& st) {
    if (!st.connected) return;
    SwitchFlowContext ctx = context(st);
    InstalledBase want{st.base_generation, st.uplink, ctx.non_vmn};
    if (st.base && *st.base == want) return;
    std::optional<std::uint64_t> stale;
    if (st.base && st.base->uplink != want.uplink) {
      // The uplink flow's match changes: a new generation, so the old one is deleted exactly.
      stale = cookie(FlowKind::Base, st.base->generation, 0);
      want.generation = ++st.base_generation;
    }
    build_base_flows(ctx, want.generation, flow_scratch);
    emit_adds(dp);
    if (stale) emit_delete(dp, *stale);
    st.base = want;
  }

  void sync_local(std::uint64_t dp, const Vmn& v) {
    auto it = switches.find(dp);
    if (it == switches.end() || !it->second.connected) return;
    SwitchState& st = it->second;
    auto installed = st.local.find(v.id);
    bool wanted = v.location.datapath_id == dp;
    if (!wanted) {
      if (installed != st.local.end()) {
        emit_delete(dp, cookie(FlowKind::Local, installed->second.params.generation, v.id));
        st.local.erase(installed);
      }
      return;
    }
    InstalledLocal want{local_params(v), st.gateway_mac, st.uplink};
    if (installed != st.local.end() && installed->second == want) return;
    build_local_flows(context(st), want.params, flow_scratch);
    emit_adds(dp);
    if (installed != st.local.end()) {
      // Same generation: same matches, so the adds above replaced the flows in place, except
      // the egress flow when the uplink went away: that one is removed on its own.
      if (installed->second.params.generation != want.params.generation)
        emit_delete(dp, cookie(FlowKind::Local, installed->second.params.generation, v.id));
      else if (has_egress(installed->second) && !has_egress(want))
        emit_delete_egress(dp, st, installed->second);
      installed->second = want;
    } else {
      st.local.emplace(v.id, want);
    }
  }

  static bool has_egress(const InstalledLocal& l) { return l.gateway_mac && l.uplink; }

  void emit_delete_egress(std::uint64_t dp, const SwitchState& st, const InstalledLocal& l) {
    SwitchFlowContext ctx = context(st);
    ctx.gateway_mac = l.gateway_mac;
    ctx.uplink_port = l.uplink;
    std::vector<ofp::FlowMod> flows;
    build_local_flows(ctx, l.params, flows);
    for (ofp::FlowMod& fm : flows) {
      if (fm.table_id != config.first_table + table::kEgressSource) continue;
      fm.command = ofp::FlowModCommand::DeleteStrict;
      fm.cookie_mask = Cookie::kExact;
      fm.instructions.clear();
      Outgoing& o = deletes.emplace_back();
      o.datapath_id = dp;
      o.message.body.emplace<ofp::FlowMod>(std::move(fm));
    }
  }

  void sync_remote(std::uint64_t dp, const Vmn& v) {
    auto it = switches.find(dp);
    if (it != switches.end()) sync_remote(dp, it->second, v);
  }
  void sync_remote(std::uint64_t dp, SwitchState& st, const Vmn& v) {
    if (!st.connected) return;
    auto entry = st.remote.find(v.id);
    if (entry == st.remote.end()) return;  // neither wanted nor installed
    RemoteEntry& e = entry->second;
    const bool wanted = v.location.datapath_id != dp && e.refs > 0;
    if (!wanted) {
      if (e.installed) {
        emit_delete(dp, cookie(FlowKind::Remote, e.params.generation, v.id));
        e.installed = false;
      }
      if (e.refs == 0) st.remote.erase(entry);
      return;
    }
    RemoteFlowParams want = remote_params(v);
    if (e.installed && e.params == want) return;
    build_remote_flows(context(st), want, flow_scratch);
    emit_adds(dp);
    if (e.installed && e.params.generation != want.generation)
      emit_delete(dp, cookie(FlowKind::Remote, e.params.generation, v.id));
    e.installed = true;
    e.params = want;
  }

  void sync_all_local(std::uint64_t dp) {
    for (const Vmn& v : registry)
      if (v.location.datapath_id == dp) sync_local(dp, v);
  }

  void add_ref(std::uint64_t dp, VmnId peer) {
    auto it = switches.find(dp);
    if (it != switches.end()) ++it->second.remote[peer].refs;
  }
  void drop_ref(std::uint64_t dp, VmnId peer) {
    auto it = switches.find(dp);
    if (it == switches.end()) return;
    auto e = it->second.remote.find(peer);
    // The entry stays while its flows are installed; sync_remote removes both together.
    if (e != it->second.remote.end() && e->second.refs > 0) --e->second.refs;
  }
  void rebuild_refs() {
    for (auto& [dp, st] : switches) {
      for (auto& [id, e] : st.remote) e.refs = 0;
      std::erase_if(st.remote, [](auto& e) { return !e.second.installed; });
    }
    for (const Vmn& v : registry)
      for (VmnId p : v.correspondents) add_ref(v.location.datapath_id, p);
  }

  // ---- helpers ----
  PortRef port_ref(const SwitchState& st, std::uint32_t port) const {
    auto name = st.port_names.find(port);
    return PortRef{*st.site, port, name == st.port_names.end() ? std::string_view{} : std::string_view{name->second},
                   st.uplink && *st.uplink == port, registry.count_at({st.site->datapath_id, port})};
  }

  void resolve_uplink(SwitchState& st) {
    if (st.site->uplink_port) {
      st.uplink = st.site->uplink_port;
      return;
    }
    st.uplink.reset();
    if (st.site->uplink_name.empty()) return;
    for (const auto& [no, name] : st.port_names)
      if (name == st.site->uplink_name) st.uplink = no;
  }

  void probe_gateway(std::uint64_t dp, SwitchState& st) {
    if (st.gateway_mac || !st.uplink || st.site->gateway_ip.is_unspecified()) return;
    // An ARP probe from 0.0.0.0 is answered by a Linux router, so the controller can learn the
    // gateway's MAC without owning an address on the site LAN.
    ArpFrame f{MacAddress::broadcast(), config.virtual_gateway_mac, kEtherTypeArp, arp_op::kRequest,
               config.virtual_gateway_mac, Ipv4Address{}, MacAddress::zero(), st.site->gateway_ip};
    emit_packet_out(dp, *st.uplink, f);
    st.last_gateway_probe = now;
  }

  /// Tells the site router where a new MoA is. A Linux router creates a neighbour entry from an
  /// ARP request for its own address (not from a gratuitous ARP), so the announce asks for the
  /// gateway from the MoA; the answer also gives us the gateway MAC.
  void announce_moa(std::uint64_t dp, const Vmn& v) {
    auto it = switches.find(dp);
    if (it == switches.end() || !it->second.connected || !it->second.uplink) return;
    const SiteConfig& site = *it->second.site;
    Ipv4Address target = site.gateway_ip.is_unspecified() ? v.mobile_address : site.gateway_ip;
    ArpFrame f{MacAddress::broadcast(), v.mac, kEtherTypeArp, arp_op::kRequest, v.mac, v.mobile_address,
               MacAddress::zero(), target};
    emit_packet_out(dp, *it->second.uplink, f);
  }

  void reply(std::uint64_t dp, std::uint32_t port, MacAddress to_mac, Ipv4Address to_ip, MacAddress answer_mac,
             Ipv4Address answer_ip) {
    if (!connected(dp)) return;
    ArpFrame f{to_mac, answer_mac, kEtherTypeArp, arp_op::kReply, answer_mac, answer_ip, to_mac, to_ip};
    emit_packet_out(dp, port, f);
  }

  bool connected(std::uint64_t dp) const {
    auto it = switches.find(dp);
    return it != switches.end() && it->second.connected;
  }

  void link(VmnId a, VmnId b) {
    if (!registry.link(a, b)) return;
    const Vmn& va = registry.at(a);
    const Vmn& vb = registry.at(b);
    add_ref(va.location.datapath_id, b);
    add_ref(vb.location.datapath_id, a);
    sync_remote(va.location.datapath_id, vb);
    sync_remote(vb.location.datapath_id, va);
    Event e = make_event(Event::Kind::CorrespondentsLinked);
    e.mac = va.mac;
    e.peer_mac = vb.mac;
    e.home_address = vb.home_address;
    event(e);
  }

  // ---- behaviour ----
  void detect(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, MacAddress mac, Ipv4Address hoa) {
    auto moa = policy->choose_mobile_address(mac, hoa, nullptr, st.pool, now);
    if (!moa) {
      Event e = make_event(Event::Kind::PoolExhausted);
      e.mac = mac;
      e.home_address = hoa;
      e.to = {dp, in_port};
      event(e);
      return;
    }
    // A policy must hand out addresses through the pool; anything else (an address outside it,
    // or one another VMN has) is refused rather than duplicated.
    const Vmn* v = st.pool.in_use(*moa) ? registry.add(mac, hoa, *moa, {dp, in_port}, now) : nullptr;
    if (v == nullptr) {
      if (st.pool.in_use(*moa) && registry.find_by_mobile_address(*moa) == nullptr) (void)st.pool.release(*moa, now);
      Event e = make_event(Event::Kind::AddressConflict);
      e.mac = mac;
      e.home_address = hoa;
      e.mobile_address = *moa;
      e.to = {dp, in_port};
      event(e);
      return;
    }
    Event d = make_event(Event::Kind::VmnDetected);
    d.mac = mac;
    d.home_address = hoa;
    d.mobile_address = *moa;
    d.to = v->location;
    event(d);
    d.kind = Event::Kind::MoaAssigned;
    event(d);
    sync_local(dp, *v);
    announce_moa(dp, *v);
    answer_pending(*v);
  }

  void answer_pending(const Vmn& found) {
    for (std::size_t i = 0; i < pending.size();) {
      if (pending[i].home_address != found.home_address) {
        ++i;
        continue;
      }
      const Vmn& asker = registry.at(pending[i].asker);
      reply(asker.location.datapath_id, asker.location.port, asker.mac, asker.home_address, found.mac,
            found.home_address);
      link(asker.id, found.id);
      pending[i] = pending.back();
      pending.pop_back();
    }
  }

  void migrate(const Vmn& v, Location to, MoveTrigger /*trigger*/) {
    const Location from = v.location;
    const Ipv4Address old_moa = v.mobile_address;
    Ipv4Address moa = old_moa;
    if (to.datapath_id != from.datapath_id) {
      SwitchState& target = switches.at(to.datapath_id);
      auto chosen = policy->choose_mobile_address(v.mac, v.home_address, &v, target.pool, now);
      if (!chosen) {
        Event e = make_event(Event::Kind::PoolExhausted);
        e.mac = v.mac;
        e.home_address = v.home_address;
        e.from = from;
        e.to = to;
        event(e);
        return;
      }
      moa = *chosen;
      if (const Vmn* holder = registry.find_by_mobile_address(moa);
          (holder != nullptr && holder->id != v.id) || !target.pool.in_use(moa)) {
        Event e = make_event(Event::Kind::AddressConflict);
        e.mac = v.mac;
        e.mobile_address = moa;
        e.to = to;
        event(e);
        return;
      }
    }
    const VmnId id = v.id;
    registry.move(id, to, moa, now);
    const Vmn& moved = registry.at(id);
    if (to.datapath_id != from.datapath_id) {
      if (auto old = switches.find(from.datapath_id); old != switches.end())
        (void)old->second.pool.release(old_moa, now);
      for (VmnId p : moved.correspondents) {
        drop_ref(from.datapath_id, p);
        add_ref(to.datapath_id, p);
      }
    }
    // New state first (the batch orders adds before deletes anyway).
    sync_local(to.datapath_id, moved);
    sync_remote(to.datapath_id, moved);
    for (VmnId p : moved.correspondents) {
      const Vmn& peer = registry.at(p);
      sync_remote(peer.location.datapath_id, moved);
      sync_remote(to.datapath_id, peer);
    }
    sync_local(from.datapath_id, moved);
    sync_remote(from.datapath_id, moved);
    for (VmnId p : moved.correspondents) sync_remote(from.datapath_id, registry.at(p));
    if (moa != old_moa) announce_moa(to.datapath_id, moved);

    Event e = make_event(Event::Kind::Migrated);
    e.mac = moved.mac;
    e.home_address = moved.home_address;
    e.mobile_address = moa;
    e.old_mobile_address = old_moa;
    e.from = from;
    e.to = to;
    event(e);
    if (moa != old_moa) {
      e.kind = Event::Kind::MoaAssigned;
      event(e);
      e.kind = Event::Kind::MoaReleased;
      event(e);
    }
  }

  void probe(const Vmn& asker, Ipv4Address hoa) {
    bool probing = false;
    for (PendingProbe& p : pending) {
      if (p.home_address != hoa) continue;
      probing = true;
      if (p.asker == asker.id) {
        p.expires = now + config.probe_timeout;
        return;
      }
    }
    pending.push_back({hoa, asker.id, now + config.probe_timeout});
    if (probing) return;
    // Broadcasts do not cross the sites, and in secure fail mode not even a bridge: ask every
    // VM port of every switch, in the home gateway's name, so the reply comes to us.
    ArpFrame f{MacAddress::broadcast(), config.virtual_gateway_mac, kEtherTypeArp, arp_op::kRequest,
               config.virtual_gateway_mac, config.home_gateway, MacAddress::zero(), hoa};
    for (auto& [dp, st] : switches) {
      if (!st.connected) continue;
      std::vector<std::uint32_t> ports;
      for (const auto& [no, name] : st.port_names) {
        if (dp == asker.location.datapath_id && no == asker.location.port) continue;
        if (policy->is_vm_port(port_ref(st, no))) ports.push_back(no);
      }
      std::sort(ports.begin(), ports.end());  // deterministic order for tests and logs
      for (std::uint32_t no : ports) emit_packet_out(dp, no, f);
    }
    Event e = make_event(Event::Kind::ProbeSent);
    e.mac = asker.mac;
    e.home_address = hoa;
    e.from = asker.location;
    event(e);
  }

  void answer_request(std::uint64_t dp, std::uint32_t in_port, const Vmn& asker, const ArpFrame& f) {
    const Ipv4Address target = f.target_ip;
    if (target == config.home_gateway) {
      reply(dp, in_port, f.sender_mac, f.sender_ip, config.virtual_gateway_mac, config.home_gateway);
      return;
    }
    if (const Vmn* peer = registry.find_by_home_address(target)) {
      if (peer->id == asker.id) return;
      const VmnId peer_id = peer->id;
      link(asker.id, peer_id);  // flows first, so the answer's first packet finds them
      reply(dp, in_port, f.sender_mac, f.sender_ip, registry.at(peer_id).mac, target);
      return;
    }
    if (config.home_prefix.contains(target) && target != asker.home_address) probe(asker, target);
  }

  void on_vm_port_arp(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, const ArpFrame& f) {
    // The announce's sender MAC is the VM's; a frame whose Ethernet source disagrees is not
    // taken as anybody's announce.
    const MacAddress mac = f.sender_mac;
    if (mac != f.eth_src) return;
    const PortRef port = port_ref(st, in_port);
    const Vmn* v = registry.find(mac);
    if (v != nullptr) {
      if (!f.is_rarp() && !f.sender_ip.is_unspecified() && f.sender_ip != v->home_address) {
        Event e = make_event(Event::Kind::AddressConflict);
        e.mac = mac;
        e.home_address = f.sender_ip;
        e.from = v->location;
        e.to = {dp, in_port};
        event(e);
        return;
      }
      const Location here{dp, in_port};
      if (v->location != here) {
        MoveTrigger trigger = f.is_rarp() ? MoveTrigger::Rarp
                              : f.is_gratuitous() ? MoveTrigger::GratuitousArp
                                                  : MoveTrigger::Arp;
        if (!policy->is_vm_port(port) || !policy->accept_migration(*v, port, trigger)) {
          Event e = make_event(Event::Kind::SpoofRefused);
          e.mac = mac;
          e.home_address = v->home_address;
          e.from = v->location;
          e.to = here;
          event(e);
          return;
        }
        const VmnId id = v->id;
        migrate(*v, here, trigger);
        v = &registry.at(id);
        if (v->location != here) return;  // the move failed (pool exhausted)
      } else {
        registry.touch(v->id, now);
      }
    } else {
      if (f.is_rarp() || !policy->is_vm_port(port) || !policy->is_vmn(config, port, mac, f.sender_ip)) return;
      if (const Vmn* owner = registry.find_by_home_address(f.sender_ip)) {
        Event e = make_event(Event::Kind::AddressConflict);
        e.mac = mac;
        e.peer_mac = owner->mac;
        e.home_address = f.sender_ip;
        e.from = owner->location;
        e.to = {dp, in_port};
        event(e);
        return;
      }
      detect(dp, in_port, st, mac, f.sender_ip);
      v = registry.find(mac);
      if (v == nullptr) return;
    }
    if (!f.is_rarp() && f.op == arp_op::kRequest && !f.is_gratuitous()) {
      const VmnId id = v->id;
      answer_request(dp, in_port, registry.at(id), f);
    }
  }

  void on_uplink_arp(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, const ArpFrame& f) {
    if (f.is_rarp()) {
      if (const Vmn* v = registry.find(f.sender_mac)) {
        Event e = make_event(Event::Kind::SpoofRefused);
        e.mac = v->mac;
        e.home_address = v->home_address;
        e.from = v->location;
        e.to = {dp, in_port};
        event(e);
      }
      return;
    }
    if (f.sender_ip == st.site->gateway_ip && !f.sender_ip.is_unspecified() && !st.site->gateway_mac &&
        !f.sender_mac.is_multicast() && !f.sender_mac.is_zero() && st.gateway_mac != f.sender_mac) {
      st.gateway_mac = f.sender_mac;
      Event e = make_event(Event::Kind::GatewayResolved);
      e.peer_mac = f.sender_mac;
      e.home_address = f.sender_ip;
      e.to = {dp, in_port};
      event(e);
      sync_all_local(dp);
    }
    if (f.op == arp_op::kRequest) {
      // The site router asks for a MoA: answer with the VMN's MAC, which the LAN learns at this
      // uplink (the announce came from it), so the router's packets reach this switch.
      const Vmn* v = registry.find_by_mobile_address(f.target_ip);
      if (v != nullptr && v->location.datapath_id == dp)
        reply(dp, in_port, f.sender_mac, f.sender_ip, v->mac, v->mobile_address);
    }
  }
};

MobilityEngine::MobilityEngine(MobilityConfig config, std::unique_ptr<MobilityPolicy> policy)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(policy))) {}
MobilityEngine::~MobilityEngine() = default;
MobilityEngine::MobilityEngine(MobilityEngine&&) noexcept = default;
MobilityEngine& MobilityEngine::operator=(MobilityEngine&&) noexcept = default;

const MobilityConfig& MobilityEngine::config() const { return impl_->config; }

Expected<std::uint64_t, std::string> MobilityEngine::grow_pool(std::uint64_t datapath_id,
                                                                std::vector<AddressRange> ranges,
                                                                std::vector<Ipv4Prefix> prefixes) {
  Impl& m = *impl_;
  auto it = m.switches.find(datapath_id);
  if (it == m.switches.end()) return unexpected(fmt::format("dp {:#x}: not in the configuration", datapath_id));
  SwitchState& st = it->second;
  SiteConfig next = *st.site;
  next.pool_ranges = std::move(ranges);
  next.pool_prefixes = std::move(prefixes);
  AddressPool pool = st.pool;  // grown on a copy: all or nothing
  auto added = pool.grow(AddressPool::site_ranges(next));
  if (!added)
    return unexpected(fmt::format("dp {:#x}: {} would leave the pool (a pool may only grow while running)",
                                  datapath_id, added.error().to_string()));
  const Ipv4Prefix& home = m.config.home_prefix;
  const std::uint32_t home_first = home.network.value & home.mask();
  const std::uint32_t home_last = home_first | ~home.mask();
  for (const AddressRange& r : pool.ranges()) {
    if (!(r.last.value < home_first) && !(home_last < r.first.value))
      return unexpected(fmt::format("dp {:#x}: {}-{} overlaps the home prefix", datapath_id, r.first.to_string(),
                                    r.last.to_string()));
    for (const auto& [dp, other] : m.switches) {
      if (dp == datapath_id) continue;
      for (const AddressRange& o : other.pool.ranges())
        if (!(o.last < r.first) && !(r.last < o.first))
          return unexpected(fmt::format("dp {:#x}: {}-{} overlaps the pool of dp {:#x}", datapath_id,
                                        r.first.to_string(), r.last.to_string(), dp));
    }
  }
  st.pool = std::move(pool);
  for (SiteConfig& site : m.config.sites)
    if (site.datapath_id == datapath_id) site = std::move(next);  // st.site points here
  return *added;
}
const VmnRegistry& MobilityEngine::registry() const { return impl_->registry; }

void MobilityEngine::on_switch_up(TimePoint now, std::uint64_t datapath_id, std::span<const ofp::Port> ports,
                                  Batch& out) {
  Impl& m = *impl_;
  m.begin(now, out);
  auto it = m.switches.find(datapath_id);
  if (it == m.switches.end()) {
    Event e = make_event(Event::Kind::UnknownSwitch);
    e.to = {datapath_id, 0};
    m.event(e);
    m.finish();
    return;
  }
  SwitchState& st = it->second;
  st.connected = true;
  st.port_names.clear();
  for (const ofp::Port& p : ports) st.port_names[p.port_no] = p.name;
  m.resolve_uplink(st);
  st.forget_installed();
  // Reconcile: OVS keeps flows across a disconnect in secure mode, so whatever of ours is on
  // the switch may be stale. Delete all of it (by the owner byte) before adding the current set.
  out.messages.push_back({datapath_id, wrap(delete_by_cookie(std::uint64_t{m.config.cookie_owner} << 56, Cookie::kOwnerMask))});
  m.sync_base(datapath_id, st);
  for (const Vmn& v : m.registry) {
    if (v.location.datapath_id != datapath_id) continue;
    m.sync_local(datapath_id, v);
    // Its port went while the switch was away: a new interface may get the number.
    if (!st.port_names.contains(v.location.port)) m.registry.detach(v.id);
  }
  std::vector<VmnId> peers;  // sync_remote may erase entries: not while iterating them
  peers.reserve(st.remote.size());
  for (const auto& [peer, e] : st.remote) peers.push_back(peer);
  std::sort(peers.begin(), peers.end());  // deterministic message order
  for (VmnId peer : peers) m.sync_remote(datapath_id, st, m.registry.at(peer));
  m.probe_gateway(datapath_id, st);
  Event e = make_event(Event::Kind::SwitchUp);
  e.to = {datapath_id, 0};
  m.event(e);
  m.finish();
}

void MobilityEngine::on_switch_down(TimePoint now, std::uint64_t datapath_id, Batch& out) {
  Impl& m = *impl_;
  m.begin(now, out);
  if (auto it = m.switches.find(datapath_id); it != m.switches.end()) {
    it->second.connected = false;
    it->second.forget_installed();
    Event e = make_event(Event::Kind::SwitchDown);
    e.from = {datapath_id, 0};
    m.event(e);
  }
  m.finish();
}

void MobilityEngine::on_port_status(TimePoint now, std::uint64_t datapath_id, const ofp::PortStatus& status,
                                    Batch& out) {
  Impl& m = *impl_;
  m.begin(now, out);
  auto it = m.switches.find(datapath_id);
  if (it != m.switches.end()) {
    SwitchState& st = it->second;
    if (status.reason == ofp::PortReason::Delete) {
      st.port_names.erase(status.desc.port_no);
      // The VMNs there no longer count as at that port (VmnRegistry::detach); a scan, but only
      // when somebody was there, and port deletions are rare.
      const Location gone{datapath_id, status.desc.port_no};
      if (m.registry.count_at(gone) > 0)
        for (const Vmn& v : m.registry)
          if (v.location == gone) m.registry.detach(v.id);
    } else {
      st.port_names[status.desc.port_no] = status.desc.name;
    }
    std::optional<std::uint32_t> before = st.uplink;
    m.resolve_uplink(st);
    if (st.uplink != before && st.connected) {
      m.sync_base(datapath_id, st);
      m.sync_all_local(datapath_id);
      m.probe_gateway(datapath_id, st);
    }
  }
  m.finish();
}

void MobilityEngine::on_arp(TimePoint now, std::uint64_t datapath_id, std::uint32_t in_port, const ArpFrame& frame,
                            Batch& out) {
  Impl& m = *impl_;
  m.begin(now, out);
  auto it = m.switches.find(datapath_id);
  if (it == m.switches.end()) {
    Event e = make_event(Event::Kind::UnknownSwitch);
    e.to = {datapath_id, in_port};
    m.event(e);
  } else if (it->second.connected) {
    SwitchState& st = it->second;
    if (st.uplink && *st.uplink == in_port)
      m.on_uplink_arp(datapath_id, in_port, st, frame);
    else
      m.on_vm_port_arp(datapath_id, in_port, st, frame);
  }
  m.finish();
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
  m.begin(now, out);
  auto it = m.switches.find(datapath_id);
  const std::uint64_t c = removed.cookie;
  if (it != m.switches.end() && it->second.connected && Cookie::owner(c) == m.config.cookie_owner) {
    SwitchState& st = it->second;
    const VmnId id = Cookie::vmn(c);
    const std::uint16_t gen = Cookie::generation(c);
    bool restored = false;
    SwitchFlowContext ctx = m.context(st);
    switch (Cookie::kind(c)) {
      case FlowKind::Base:
        if (st.base && static_cast<std::uint16_t>(st.base->generation) == gen) {
          build_base_flows(ctx, st.base->generation, m.flow_scratch);
          restored = true;
        }
        break;
      case FlowKind::Local:
        if (auto l = st.local.find(id); l != st.local.end() && static_cast<std::uint16_t>(l->second.params.generation) == gen) {
          build_local_flows(ctx, l->second.params, m.flow_scratch);
          restored = true;
        }
        break;
      case FlowKind::Remote:
        if (auto r = st.remote.find(id); r != st.remote.end() && r->second.installed &&
                                         static_cast<std::uint16_t>(r->second.params.generation) == gen) {
          build_remote_flows(ctx, r->second.params, m.flow_scratch);
          restored = true;
        }
        break;
    }
    if (restored) {
      // Re-adding the whole group is simpler than finding the one flow, and harmless: identical
      // matches replace themselves.
      m.emit_adds(datapath_id);
      Event e = make_event(Event::Kind::FlowRestored);
      e.to = {datapath_id, 0};
      if (Cookie::kind(c) != FlowKind::Base && id < m.registry.size()) e.mac = m.registry.at(id).mac;
      m.event(e);
    }
  }
  m.finish();
}

void MobilityEngine::on_tick(TimePoint now, Batch& out) {
  Impl& m = *impl_;
  m.begin(now, out);
  for (auto& [dp, st] : m.switches) {
    st.pool.expire(now);
    if (st.connected && !st.gateway_mac && now - st.last_gateway_probe >= m.config.gateway_probe_interval)
      m.probe_gateway(dp, st);
  }
  for (std::size_t i = 0; i < m.pending.size();) {
    if (m.pending[i].expires > now) {
      ++i;
      continue;
    }
    Event e = make_event(Event::Kind::ProbeExpired);
    e.mac = m.registry.at(m.pending[i].asker).mac;
    e.home_address = m.pending[i].home_address;
    m.event(e);
    m.pending[i] = m.pending.back();
    m.pending.pop_back();
  }
  m.finish();
}

const AddressPool* MobilityEngine::pool(std::uint64_t datapath_id) const {
  auto it = impl_->switches.find(datapath_id);
  return it == impl_->switches.end() ? nullptr : &it->second.pool;
}
bool MobilityEngine::connected(std::uint64_t datapath_id) const { return impl_->connected(datapath_id); }
std::optional<MacAddress> MobilityEngine::gateway_mac(std::uint64_t datapath_id) const {
  auto it = impl_->switches.find(datapath_id);
  return it == impl_->switches.end() ? std::nullopt : it->second.gateway_mac;
}
std::optional<std::uint32_t> MobilityEngine::uplink_port(std::uint64_t datapath_id) const {
  auto it = impl_->switches.find(datapath_id);
  return it == impl_->switches.end() ? std::nullopt : it->second.uplink;
}
std::uint32_t MobilityEngine::base_generation(std::uint64_t datapath_id) const {
  auto it = impl_->switches.find(datapath_id);
  return it == impl_->switches.end() ? 0 : it->second.base_generation;
}
std::size_t MobilityEngine::pending_probes() const { return impl_->pending.size(); }

SwitchFlowContext MobilityEngine::flow_context(std::uint64_t datapath_id) const {
  auto it = impl_->switches.find(datapath_id);
  if (it == impl_->switches.end()) return {};
  return impl_->context(it->second);
}

std::vector<ofp::FlowMod> MobilityEngine::installed_flows(std::uint64_t datapath_id) const {
  std::vector<ofp::FlowMod> out;
  auto it = impl_->switches.find(datapath_id);
  if (it == impl_->switches.end() || !it->second.connected) return out;
  const SwitchState& st = it->second;
  SwitchFlowContext ctx = impl_->context(st);
  if (st.base) {
    SwitchFlowContext c = ctx;
    c.uplink_port = st.base->uplink;
    c.non_vmn = st.base->non_vmn;
    build_base_flows(c, st.base->generation, out);
  }
  for (const auto& [id, l] : st.local) {
    SwitchFlowContext c = ctx;
    c.uplink_port = l.uplink;
    c.gateway_mac = l.gateway_mac;
    build_local_flows(c, l.params, out);
  }
  for (const auto& [id, r] : st.remote)
    if (r.installed) build_remote_flows(ctx, r.params, out);
  return out;
}

nlohmann::json MobilityEngine::snapshot(TimePoint now) const {
  using nlohmann::json;
  const Impl& m = *impl_;
  json switches = json::array();
  std::vector<std::uint64_t> dps;
  for (const auto& [dp, st] : m.switches) dps.push_back(dp);
  std::sort(dps.begin(), dps.end());
  for (std::uint64_t dp : dps) {
    const SwitchState& st = m.switches.at(dp);
    json s = {{"datapath_id", dp}, {"pool", st.pool.to_json(now)}, {"base_generation", st.base_generation}};
    s["learned_gateway_mac"] = (!st.site->gateway_mac && st.gateway_mac) ? json(st.gateway_mac->to_string()) : json(nullptr);
    s["uplink_port"] = st.uplink ? json(*st.uplink) : json(nullptr);
    switches.push_back(std::move(s));
  }
  return {{"format", "vmnmob-mobility-snapshot/1"}, {"vmns", m.registry.to_json(now)}, {"switches", switches}};
}

Expected<void, std::string> MobilityEngine::restore(const nlohmann::json& snapshot, TimePoint now, Batch& out) {
  Impl& m = *impl_;
  if (!snapshot.is_object() || snapshot.value("format", "") != "vmnmob-mobility-snapshot/1")
    return unexpected(std::string("format: not a vmnmob-mobility-snapshot/1"));
  if (!snapshot.contains("vmns") || !snapshot.contains("switches") || !snapshot["switches"].is_array())
    return unexpected(std::string("snapshot: needs vmns and switches"));
  auto registry = VmnRegistry::from_json(snapshot["vmns"], now);
  if (!registry) return unexpected(registry.error());

  struct Restored {
    AddressPool pool;
    std::optional<MacAddress> gateway_mac;
    std::optional<std::uint32_t> uplink;
    std::uint32_t base_generation = 0;
  };
  std::unordered_map<std::uint64_t, Restored> restored;
  const auto& sw = snapshot["switches"];
  for (std::size_t i = 0; i < sw.size(); ++i) {
    std::string path = "switches[" + std::to_string(i) + "]";
    try {
      std::uint64_t dp = sw[i].at("datapath_id").get<std::uint64_t>();
      if (!m.switches.contains(dp)) return unexpected(path + ".datapath_id: not in the configuration");
      auto pool = AddressPool::from_json(sw[i].at("pool"), m.config.hold_time, now);
      if (!pool) return unexpected(path + "." + pool.error());
      // A pool grown in the configuration since the snapshot: take the union, which never
      // fails (it covers the snapshot's pool) and never drops an address in use or held.
      std::vector<AddressRange> both = pool->ranges();
      for (const AddressRange& r : AddressPool::site_ranges(*m.switches.at(dp).site)) both.push_back(r);
      (void)pool->grow(std::move(both));
      Restored r{std::move(*pool), std::nullopt, std::nullopt, sw[i].value("base_generation", 0u)};
      if (const auto& g = sw[i].at("learned_gateway_mac"); !g.is_null()) {
        r.gateway_mac = MacAddress::parse(g.get<std::string>());
        if (!r.gateway_mac) return unexpected(path + ".learned_gateway_mac: not a MAC address");
      }
      if (const auto& u = sw[i].at("uplink_port"); !u.is_null()) r.uplink = u.get<std::uint32_t>();
      restored.insert_or_assign(dp, std::move(r));
    } catch (const nlohmann::json::exception& ex) {
      return unexpected(path + ": " + ex.what());
    }
  }
  for (const Vmn& v : *registry) {
    auto r = restored.find(v.location.datapath_id);
    if (r == restored.end() || !r->second.pool.in_use(v.mobile_address))
      return unexpected(fmt::format("vmns[{}]: mobile_address {} is not in use in the pool of datapath {:#x}", v.id,
                                    v.mobile_address.to_string(), v.location.datapath_id));
  }

  m.registry = std::move(*registry);
  m.pending.clear();
  for (auto& [dp, st] : m.switches) {
    auto r = restored.find(dp);
    if (r != restored.end()) {
      st.pool = std::move(r->second.pool);
      st.gateway_mac = st.site->gateway_mac ? st.site->gateway_mac : r->second.gateway_mac;
      if (!st.connected) st.uplink = r->second.uplink;
      st.base_generation = r->second.base_generation;
    } else {
      st.pool = AddressPool::for_site(*st.site, m.config.hold_time);
    }
  }
  m.rebuild_refs();
  for (auto& [dp, st] : m.switches) {
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
  return {};
}

}  // namespace vmnmob::mobility
