// ARP decisions: what an ARP or RARP frame means for the registry and the pools. A VMN
// detected (and given a MoA), a proxy ARP answer, correspondents linked, a probe for an unknown
// HoA, a migration accepted or refused as a spoof, the site gateway's MAC learned.
#pragma once

#include <cstdint>

#include "mobility/detail/flow_sync.hpp"
#include "mobility/detail/hygiene.hpp"

namespace vmnmob::mobility::detail {

class ArpDecisions {
 public:
  ArpDecisions(EngineState& state, BatchAssembly& batch, FlowSync& flows, Hygiene& hygiene)
      : s_(state), batch_(batch), flows_(flows), hygiene_(hygiene) {}

  /// A frame from a VM port: a VMN's announce (detection or migration) or its question.
  void on_vm_port_arp(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, const ArpFrame& f);
  /// A frame from the site LAN: the gateway's answer, or the site router asking for a MoA.
  void on_uplink_arp(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, const ArpFrame& f);
  /// Asks the site gateway for its MAC unless it is known.
  void probe_gateway(std::uint64_t dp, SwitchState& st);
  /// Drops the probes nobody answered in time.
  void expire_probes();

 private:
  void detect(std::uint64_t dp, std::uint32_t in_port, SwitchState& st, MacAddress mac, Ipv4Address hoa);
  void migrate(const Vmn& v, Location to);
  void answer_request(std::uint64_t dp, std::uint32_t in_port, const Vmn& asker, const ArpFrame& f);
  void answer_pending(const Vmn& found);
  void probe(const Vmn& asker, Ipv4Address hoa);
  void link(VmnId a, VmnId b);
  void announce_moa(std::uint64_t dp, const Vmn& v);
  void reply(std::uint64_t dp, std::uint32_t port, MacAddress to_mac, Ipv4Address to_ip, MacAddress answer_mac,
             Ipv4Address answer_ip);

  EngineState& s_;
  BatchAssembly& batch_;
  FlowSync& flows_;
  Hygiene& hygiene_;
};

}  // namespace vmnmob::mobility::detail
