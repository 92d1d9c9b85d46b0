// ARP decisions (see detail/arp_decisions.hpp): each frame updates the registry and the pools,
// asks flow_sync for the flows that follow, and queues the ARP packet-outs and events.
#include "mobility/detail/arp_decisions.hpp"

#include <algorithm>

namespace vmnmob::mobility::detail {

namespace {

/// An event about the VMN with this MAC and HoA, which is (or claims to be) moving from -> to.
Event vmn_event(Event::Kind kind, MacAddress mac, Ipv4Address home_address, Location from, Location to) {
  Event e = make_event(kind);
  e.mac = mac;
  e.home_address = home_address;
  e.from = from;
  e.to = to;
  return e;
}

MoveTrigger trigger_of(const ArpFrame& f) {
  if (f.is_rarp()) return MoveTrigger::Rarp;
  return f.is_gratuitous() ? MoveTrigger::GratuitousArp : MoveTrigger::Arp;
}

}  // namespace

void ArpDecisions::on_vm_port_arp(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, const ArpFrame& f) {
  // The announce's sender MAC is the VM's; a frame whose Ethernet source disagrees is not
  // taken as anybody's announce.
  const MacAddress mac = f.sender_mac;
  if (mac != f.eth_src) return;
  const Location here{dp, in_port};
  const PortRef port = s_.port_ref(st, in_port);
  const Vmn* v = s_.registry.find(mac);
  if (v != nullptr) {
    if (!f.is_rarp() && !f.sender_ip.is_unspecified() && f.sender_ip != v->home_address) {
      batch_.event(vmn_event(Event::Kind::AddressConflict, mac, f.sender_ip, v->location, here));
      return;
    }
    if (v->location != here) {
      if (!s_.policy->is_vm_port(port) || !s_.policy->accept_migration(*v, port, trigger_of(f))) {
        batch_.event(vmn_event(Event::Kind::SpoofRefused, mac, v->home_address, v->location, here));
        return;
      }
      if (!hygiene_.admit_move(*v, here)) return;  // frozen where it is
      const VmnId id = v->id;
      migrate(*v, here);
      v = &s_.registry.at(id);
      if (v->location != here) return;  // the move failed (pool exhausted)
      hygiene_.moved(id);
    } else {
      s_.registry.touch(v->id, batch_.now());
    }
  } else {
    if (f.is_rarp() || !s_.policy->is_vm_port(port) || !s_.policy->is_vmn(s_.config, port, mac, f.sender_ip)) return;
    // Limits before the conflict check: a port over its limit is refused whatever it claims,
    // at a bounded rate of events (a flood of made-up MACs must not flood the log either).
    if (!hygiene_.admit_new(dp, in_port, st, mac, f.sender_ip)) return;
    // The home prefix's network and broadcast addresses are nobody's HoA: a claim of one is
    // refused like a claim of another VMN's (a policy may have let it through).
    const Ipv4Prefix& home = s_.config.home_prefix;
    const std::uint32_t network = home.network.value & home.mask();
    if (home.length < 31 && home.contains(f.sender_ip) &&
        (f.sender_ip.value == network || f.sender_ip.value == (network | ~home.mask()))) {
      batch_.event(vmn_event(Event::Kind::AddressConflict, mac, f.sender_ip, {}, here));
      return;
    }
    if (const Vmn* owner = s_.registry.find_by_home_address(f.sender_ip)) {
      Event e = vmn_event(Event::Kind::AddressConflict, mac, f.sender_ip, owner->location, here);
      e.peer_mac = owner->mac;
      batch_.event(e);
      return;
    }
    detect(dp, in_port, st, mac, f.sender_ip);
    v = s_.registry.find(mac);
    if (v == nullptr) return;
  }
  if (!f.is_rarp() && f.op == arp_op::kRequest && !f.is_gratuitous()) {
    const VmnId id = v->id;
    answer_request(dp, in_port, s_.registry.at(id), f);
  }
}

void ArpDecisions::on_uplink_arp(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, const ArpFrame& f) {
  if (f.is_rarp()) {
    // A VMN's announce from the site LAN would move it out of our control: refused.
    if (const Vmn* v = s_.registry.find(f.sender_mac))
      batch_.event(vmn_event(Event::Kind::SpoofRefused, v->mac, v->home_address, v->location, {dp, in_port}));
    return;
  }
  if (f.sender_ip == st.site->gateway_ip && !f.sender_ip.is_unspecified() && !st.site->gateway_mac &&
      !f.sender_mac.is_multicast() && !f.sender_mac.is_zero() && st.gateway_mac != f.sender_mac) {
    st.gateway_mac = f.sender_mac;
    batch_.changed_switch(dp);
    Event e = make_event(Event::Kind::GatewayResolved);
    e.peer_mac = f.sender_mac;
    e.home_address = f.sender_ip;
    e.to = {dp, in_port};
    batch_.event(e);
    flows_.sync_all_local(dp);
  }
  if (f.op == arp_op::kRequest) {
    // The site router asks for a MoA: answer with the VMN's MAC, which the LAN learns at this
    // uplink (the announce came from it), so the router's packets reach this switch.
    const Vmn* v = s_.registry.find_by_mobile_address(f.target_ip);
    if (v != nullptr && v->location.datapath_id == dp)
      reply(dp, in_port, f.sender_mac, f.sender_ip, v->mac, v->mobile_address);
  }
}

void ArpDecisions::detect(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, MacAddress mac, Ipv4Address hoa) {
  const TimePoint now = batch_.now();
  auto moa = s_.policy->choose_mobile_address(mac, hoa, nullptr, st.pool, now);
  if (!moa) {
    batch_.event(vmn_event(Event::Kind::PoolExhausted, mac, hoa, {}, {dp, in_port}));
    return;
  }
  batch_.changed_address(dp, *moa);  // taken, and handed back below on a conflict
  // A policy must hand out addresses through the pool; anything else (an address outside it,
  // or one another VMN has) is refused rather than duplicated.
  const Vmn* v = st.pool.in_use(*moa) ? s_.registry.add(mac, hoa, *moa, {dp, in_port}, now) : nullptr;
  if (v == nullptr) {
    if (st.pool.in_use(*moa) && s_.registry.find_by_mobile_address(*moa) == nullptr) (void)st.pool.release(*moa, now);
    Event e = vmn_event(Event::Kind::AddressConflict, mac, hoa, {}, {dp, in_port});
    e.mobile_address = *moa;
    batch_.event(e);
    return;
  }
  batch_.changed_vmn(mac);
  Event d = vmn_event(Event::Kind::VmnDetected, mac, hoa, {}, v->location);
  d.mobile_address = *moa;
  batch_.event(d);
  d.kind = Event::Kind::MoaAssigned;
  batch_.event(d);
  flows_.sync_local(dp, *v);
  announce_moa(dp, *v);
  answer_pending(*v);
}

void ArpDecisions::migrate(const Vmn& v, Location to) {
  const TimePoint now = batch_.now();
  const Location from = v.location;
  const Ipv4Address old_moa = v.mobile_address;
  Ipv4Address moa = old_moa;
  if (to.datapath_id != from.datapath_id) {
    SwitchState& target = s_.switches.at(to.datapath_id);
    auto chosen = s_.policy->choose_mobile_address(v.mac, v.home_address, &v, target.pool, now);
    if (!chosen) {
      batch_.event(vmn_event(Event::Kind::PoolExhausted, v.mac, v.home_address, from, to));
      return;
    }
    moa = *chosen;
    batch_.changed_address(to.datapath_id, moa);
    if (const Vmn* holder = s_.registry.find_by_mobile_address(moa);
        (holder != nullptr && holder->id != v.id) || !target.pool.in_use(moa)) {
      Event e = make_event(Event::Kind::AddressConflict);
      e.mac = v.mac;
      e.mobile_address = moa;
      e.to = to;
      batch_.event(e);
      return;
    }
  }
  const VmnId id = v.id;
  s_.registry.move(id, to, moa, now);
  const Vmn& moved = s_.registry.at(id);
  batch_.changed_vmn(moved.mac);
  if (to.datapath_id != from.datapath_id) {
    if (SwitchState* old = s_.find(from.datapath_id)) (void)old->pool.release(old_moa, now);
    batch_.changed_address(from.datapath_id, old_moa);
    for (VmnId p : moved.correspondents) {
      flows_.drop_ref(from.datapath_id, p);
      flows_.add_ref(to.datapath_id, p);
    }
  }
  // New state first (the batch orders adds before deletes anyway).
  flows_.sync_local(to.datapath_id, moved);
  flows_.sync_remote(to.datapath_id, moved);
  for (VmnId p : moved.correspondents) {
    const Vmn& peer = s_.registry.at(p);
    flows_.sync_remote(peer.location.datapath_id, moved);
    flows_.sync_remote(to.datapath_id, peer);
  }
  flows_.sync_local(from.datapath_id, moved);
  flows_.sync_remote(from.datapath_id, moved);
  for (VmnId p : moved.correspondents) flows_.sync_remote(from.datapath_id, s_.registry.at(p));
  if (moa != old_moa) announce_moa(to.datapath_id, moved);

  Event e = vmn_event(Event::Kind::Migrated, moved.mac, moved.home_address, from, to);
  e.mobile_address = moa;
  e.old_mobile_address = old_moa;
  batch_.event(e);
  if (moa != old_moa) {
    e.kind = Event::Kind::MoaAssigned;
    batch_.event(e);
    e.kind = Event::Kind::MoaReleased;
    batch_.event(e);
  }
}

void ArpDecisions::answer_request(std::uint64_t dp, std::uint32_t in_port, const Vmn& asker, const ArpFrame& f) {
  const Ipv4Address target = f.target_ip;
  if (target == s_.config.home_gateway) {
    reply(dp, in_port, f.sender_mac, f.sender_ip, s_.config.virtual_gateway_mac, s_.config.home_gateway);
    return;
  }
  if (const Vmn* peer = s_.registry.find_by_home_address(target)) {
    if (peer->id == asker.id) return;
    const VmnId peer_id = peer->id;
    link(asker.id, peer_id);  // flows first, so the answer's first packet finds them
    reply(dp, in_port, f.sender_mac, f.sender_ip, s_.registry.at(peer_id).mac, target);
    return;
  }
  if (s_.config.home_prefix.contains(target) && target != asker.home_address) probe(asker, target);
}

void ArpDecisions::answer_pending(const Vmn& found) {
  std::vector<PendingProbe>& pending = s_.pending;
  for (std::size_t i = 0; i < pending.size();) {
    if (pending[i].home_address != found.home_address) {
      ++i;
      continue;
    }
    const Vmn& asker = s_.registry.at(pending[i].asker);
    reply(asker.location.datapath_id, asker.location.port, asker.mac, asker.home_address, found.mac,
          found.home_address);
    link(asker.id, found.id);
    pending[i] = pending.back();
    pending.pop_back();
  }
}

void ArpDecisions::probe(const Vmn& asker, Ipv4Address hoa) {
  const TimePoint expires = batch_.now() + s_.config.probe_timeout;
  bool probing = false;
  for (PendingProbe& p : s_.pending) {
    if (p.home_address != hoa) continue;
    probing = true;
    if (p.asker == asker.id) {
      p.expires = expires;
      return;
    }
  }
  s_.pending.push_back({hoa, asker.id, expires});
  if (probing) return;
  // Broadcasts do not cross the sites, and in secure fail mode not even a bridge: ask every
  // VM port of every switch, in the home gateway's name, so the reply comes to us.
  const MobilityConfig& c = s_.config;
  ArpFrame f{MacAddress::broadcast(), c.virtual_gateway_mac, kEtherTypeArp, arp_op::kRequest,
             c.virtual_gateway_mac, c.home_gateway, MacAddress::zero(), hoa};
  for (auto& [dp, st] : s_.switches) {
    if (!st.connected) continue;
    std::vector<std::uint32_t> ports;
    for (const auto& [no, name] : st.port_names) {
      if (dp == asker.location.datapath_id && no == asker.location.port) continue;
      if (s_.policy->is_vm_port(s_.port_ref(st, no))) ports.push_back(no);
    }
    std::sort(ports.begin(), ports.end());  // deterministic order for tests and logs
    for (std::uint32_t no : ports) batch_.packet_out(dp, no, f);
  }
  batch_.event(vmn_event(Event::Kind::ProbeSent, asker.mac, hoa, asker.location, {}));
}

void ArpDecisions::expire_probes() {
  std::vector<PendingProbe>& pending = s_.pending;
  for (std::size_t i = 0; i < pending.size();) {
    if (pending[i].expires > batch_.now()) {
      ++i;
      continue;
    }
    Event e = make_event(Event::Kind::ProbeExpired);
    e.mac = s_.registry.at(pending[i].asker).mac;
    e.home_address = pending[i].home_address;
    batch_.event(e);
    pending[i] = pending.back();
    pending.pop_back();
  }
}

void ArpDecisions::link(VmnId a, VmnId b) {
  if (!s_.registry.link(a, b)) return;
  const Vmn& va = s_.registry.at(a);
  const Vmn& vb = s_.registry.at(b);
  batch_.changed_vmn(va.mac);
  batch_.changed_vmn(vb.mac);
  flows_.add_ref(va.location.datapath_id, b);
  flows_.add_ref(vb.location.datapath_id, a);
  flows_.sync_remote(va.location.datapath_id, vb);
  flows_.sync_remote(vb.location.datapath_id, va);
  Event e = make_event(Event::Kind::CorrespondentsLinked);
  e.mac = va.mac;
  e.peer_mac = vb.mac;
  e.home_address = vb.home_address;
  batch_.event(e);
}

void ArpDecisions::probe_gateway(std::uint64_t dp, SwitchState& st) {
  if (st.gateway_mac || !st.uplink || st.site->gateway_ip.is_unspecified()) return;
  // An ARP probe from 0.0.0.0 is answered by a Linux router, so the controller can learn the
  // gateway's MAC without owning an address on the site LAN.
  const MacAddress self = s_.config.virtual_gateway_mac;
  ArpFrame f{MacAddress::broadcast(), self, kEtherTypeArp, arp_op::kRequest, self, Ipv4Address{}, MacAddress::zero(),
             st.site->gateway_ip};
  batch_.packet_out(dp, *st.uplink, f);
  st.last_gateway_probe = batch_.now();
}

/// Tells the site router where a new MoA is. A Linux router creates a neighbour entry from an
/// ARP request for its own address (not from a gratuitous ARP), so the announce asks for the
/// gateway from the MoA; the answer also gives us the gateway MAC.
void ArpDecisions::announce_moa(std::uint64_t dp, const Vmn& v) {
  const SwitchState* st = s_.find(dp);
  if (st == nullptr || !st->connected || !st->uplink) return;
  const SiteConfig& site = *st->site;
  Ipv4Address target = site.gateway_ip.is_unspecified() ? v.mobile_address : site.gateway_ip;
  ArpFrame f{MacAddress::broadcast(), v.mac, kEtherTypeArp, arp_op::kRequest, v.mac, v.mobile_address,
             MacAddress::zero(), target};
  batch_.packet_out(dp, *st->uplink, f);
}

void ArpDecisions::reply(std::uint64_t dp, std::uint32_t port, MacAddress to_mac, Ipv4Address to_ip,
                         MacAddress answer_mac, Ipv4Address answer_ip) {
  if (!s_.connected(dp)) return;
  ArpFrame f{to_mac, answer_mac, kEtherTypeArp, arp_op::kReply, answer_mac, answer_ip, to_mac, to_ip};
  batch_.packet_out(dp, port, f);
}

}  // namespace vmnmob::mobility::detail
