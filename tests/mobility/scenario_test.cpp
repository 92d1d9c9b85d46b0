// Deterministic scenarios: event sequences in, exact messages out.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "mobility/harness.hpp"
#include "vmnmob/packet/build.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {

const ofp::FlowMod& flow_mod(const Outgoing& o) { return std::get<ofp::FlowMod>(o.message.body); }

std::uint64_t local_cookie(const Vmn& v) { return Cookie::make(0xa7, FlowKind::Local, v.generation, v.id); }
std::uint64_t remote_cookie(const Vmn& v) { return Cookie::make(0xa7, FlowKind::Remote, v.generation, v.id); }

/// Adds, then barriers, then deletes; every delete removes one exact cookie.
void check_make_before_break(const Batch& b) {
  bool seen_barrier = false;
  for (std::size_t i = 0; i < b.messages.size(); ++i) {
    const auto& body = b.messages[i].message.body;
    if (std::holds_alternative<ofp::BarrierRequest>(body)) seen_barrier = true;
    if (const auto* fm = std::get_if<ofp::FlowMod>(&body)) {
      if (fm->command == ofp::FlowModCommand::Add) {
        CHECK(i < b.break_at);
        CHECK(!seen_barrier);
      } else if (fm->command == ofp::FlowModCommand::DeleteStrict) {  // one flow of a group
        CHECK(i >= b.break_at);
        CHECK(fm->cookie_mask == Cookie::kExact);
      } else {
        CHECK(fm->command == ofp::FlowModCommand::Delete);
        CHECK(i >= b.break_at);
        CHECK(fm->cookie_mask == Cookie::kExact);
        CHECK(fm->table_id == ofp::kTableAll);
      }
    }
  }
}

}  // namespace

TEST_CASE("switch up: reconcile delete, then ARP and RARP to the controller and the table-miss policy") {
  World w;
  const Batch& b = w.switch_up(1);
  REQUIRE(b.messages.size() == 10);
  for (const Outgoing& o : b.messages) CHECK(o.datapath_id == 1);

  const ofp::FlowMod& reset = flow_mod(b.messages[0]);
  CHECK(reset.command == ofp::FlowModCommand::Delete);
  CHECK(reset.cookie == 0xa700000000000000ull);
  CHECK(reset.cookie_mask == Cookie::kOwnerMask);
  CHECK(reset.table_id == ofp::kTableAll);

  const std::uint64_t base = Cookie::make(0xa7, FlowKind::Base, 0, 0);
  const ofp::FlowMod& rarp_flow = flow_mod(b.messages[1]);
  CHECK(rarp_flow.cookie == base);
  CHECK(rarp_flow.table_id == 0);
  CHECK(rarp_flow.priority == 1010);  // the announce's own priority, above ARP's
  CHECK(rarp_flow.match.get_uint(ofp::OxmField::EthType) == 0x8035u);
  CHECK(rarp_flow.match.fields.size() == 1);
  CHECK(rarp_flow.instructions == ofp::InstructionList{ofp::ApplyActions{{ofp::Output{ofp::port::kController, 0xffff}}}});
  const ofp::FlowMod& arp_flow = flow_mod(b.messages[2]);
  CHECK(arp_flow.match.get_uint(ofp::OxmField::EthType) == 0x0806u);
  CHECK(arp_flow.priority == 1000);
  CHECK(rarp_flow.priority > arp_flow.priority);
  CHECK(arp_flow.match.fields.size() == 1);  // no eth_dst: unicast ARP reaches us too
  CHECK(arp_flow.priority == 1000);
  const ofp::FlowMod& uplink = flow_mod(b.messages[3]);
  CHECK(uplink.match.get_uint(ofp::OxmField::InPort) == kUplink);  // resolved from the name
  CHECK(uplink.instructions == ofp::InstructionList{ofp::GotoTable{table::kIngress}});
  const ofp::FlowMod& miss = flow_mod(b.messages[4]);
  CHECK(miss.priority == 0);
  CHECK(miss.match.empty());
  CHECK(miss.instructions == ofp::InstructionList{ofp::GotoTable{table::kEgress}});
  // The default policy drops non-VMN traffic: egress table-miss has no instruction.
  const ofp::FlowMod& egress_miss = flow_mod(b.messages[6]);
  CHECK(egress_miss.table_id == table::kEgress);
  CHECK(egress_miss.instructions.empty());

  CHECK(has_event(b, Event::Kind::SwitchUp));
  CHECK(w.switches[1].size() == 9);
  // An ARP frame to any MAC goes to the controller.
  fakes::Packet unicast_arp{3, vmn_mac(1), vmn_mac(2), 0x0806, {}, {}, 1};
  CHECK(w.switches[1].process(unicast_arp).to_controller);
  fakes::Packet announce{3, vmn_mac(1), MacAddress::broadcast(), 0x8035, {}, {}, 3};
  CHECK(w.switches[1].process(announce).to_controller);
}

TEST_CASE("unknown datapath is reported and ignored") {
  World w;
  Batch b;
  w.engine.on_switch_up(w.now, 99, site_ports(), b);
  CHECK(b.messages.empty());
  REQUIRE(b.events.size() == 1);
  CHECK(b.events[0].kind == Event::Kind::UnknownSwitch);
}

TEST_CASE("detection: ARP for the home gateway registers the VMN, installs translation, answers") {
  World w;
  w.all_up();
  const Batch& b = w.attach(1, 1, 2);
  const Vmn& v = w.vmn(1);
  CHECK(v.home_address == hoa(1));
  CHECK(v.mobile_address == ip("172.16.1.10"));
  CHECK(v.location == Location{1, 2});

  // 3 local flows, then the MoA announce to the site gateway, then the ARP reply.
  REQUIRE(b.messages.size() == 5);
  for (int i = 0; i < 3; ++i) {
    CHECK(b.messages[static_cast<std::size_t>(i)].datapath_id == 1);
    CHECK(flow_mod(b.messages[static_cast<std::size_t>(i)]).cookie == local_cookie(v));
  }
  const ofp::FlowMod& deliver = flow_mod(b.messages[0]);
  CHECK(deliver.table_id == table::kEgress);
  CHECK(deliver.priority == 300);
  CHECK(deliver.match.get_uint(ofp::OxmField::Ipv4Dst) == hoa(1).value);
  const ofp::FlowMod& ingress = flow_mod(b.messages[1]);
  CHECK(ingress.table_id == table::kIngress);
  CHECK(ingress.match.get_uint(ofp::OxmField::Ipv4Dst) == v.mobile_address.value);
  CHECK(ingress.instructions ==
        ofp::InstructionList{ofp::ApplyActions{{ofp::set_field(ofp::OxmField::Ipv4Dst, hoa(1)),
                                                ofp::set_field(ofp::OxmField::EthSrc, w.engine.config().virtual_gateway_mac),
                                                ofp::set_field(ofp::OxmField::EthDst, vmn_mac(1))}},
                             ofp::WriteActions{{ofp::Output{2}}}, ofp::GotoTable{table::kIngressSource}});
  const ofp::FlowMod& egress = flow_mod(b.messages[2]);
  CHECK(egress.table_id == table::kEgressSource);
  CHECK(egress.match.get_uint(ofp::OxmField::InPort) == 2u);
  CHECK(egress.match.get_uint(ofp::OxmField::Ipv4Src) == hoa(1).value);
  CHECK(egress.instructions ==
        ofp::InstructionList{ofp::ApplyActions{{ofp::set_field(ofp::OxmField::Ipv4Src, v.mobile_address),
                                                ofp::set_field(ofp::OxmField::EthDst, gateway_mac_of(1)),
                                                ofp::Output{kUplink}}}});

  auto frames = packet_outs(b);
  REQUIRE(frames.size() == 2);
  // Announce: ARP request from the MoA for the site gateway, out the uplink.
  CHECK(frames[0].dp == 1);
  CHECK(frames[0].port == kUplink);
  CHECK(frames[0].frame == ArpFrame{MacAddress::broadcast(), vmn_mac(1), kEtherTypeArp, arp_op::kRequest, vmn_mac(1),
                                    v.mobile_address, MacAddress::zero(), ip("172.16.1.1")});
  // Reply: the home gateway is at the virtual gateway MAC.
  CHECK(frames[1].port == 2);
  CHECK(frames[1].frame == ArpFrame{vmn_mac(1), w.engine.config().virtual_gateway_mac, kEtherTypeArp, arp_op::kReply,
                                    w.engine.config().virtual_gateway_mac, ip("10.0.0.1"), vmn_mac(1), hoa(1)});
  CHECK(b.break_at == b.messages.size());
  CHECK(has_event(b, Event::Kind::VmnDetected));
  CHECK(has_event(b, Event::Kind::MoaAssigned));
  w.check_consistent();

  SECTION("a second ARP changes nothing but the answer") {
    const Batch& again = w.attach(1, 1, 2);
    REQUIRE(again.messages.size() == 1);
    CHECK(std::holds_alternative<ofp::PacketOut>(again.messages[0].message.body));
  }
  SECTION("ARP from a non-home address, 0.0.0.0 (DAD) or the uplink is no detection") {
    CHECK(w.arp(1, 3, arp_request(vmn_mac(2), ip("192.168.1.5"), ip("10.0.0.1"))).messages.empty());
    CHECK(w.arp(1, 3, arp_request(vmn_mac(2), Ipv4Address{}, hoa(2))).messages.empty());
    CHECK(w.arp(1, kUplink, arp_request(vmn_mac(2), hoa(2), ip("10.0.0.1"))).messages.empty());
    CHECK(w.engine.registry().size() == 1);
  }
  SECTION("another MAC claiming the same HoA is a conflict, not a second VMN") {
    const Batch& c = w.arp(1, 3, arp_request(vmn_mac(9), hoa(1), ip("10.0.0.1")));
    CHECK(c.messages.empty());
    CHECK(has_event(c, Event::Kind::AddressConflict));
    CHECK(w.engine.registry().size() == 1);
  }
  SECTION("the site router's ARP for the MoA is answered with the VMN's MAC") {
    const Batch& r = w.arp(1, kUplink, arp_request(gateway_mac_of(1), ip("172.16.1.1"), v.mobile_address));
    auto f = packet_outs(r);
    REQUIRE(f.size() == 1);
    CHECK(f[0].port == kUplink);
    CHECK(f[0].frame == ArpFrame{gateway_mac_of(1), vmn_mac(1), kEtherTypeArp, arp_op::kReply, vmn_mac(1),
                                 v.mobile_address, gateway_mac_of(1), ip("172.16.1.1")});
    // ...but not on another site's uplink.
    CHECK(w.arp(2, kUplink, arp_request(gateway_mac_of(2), ip("172.16.2.1"), v.mobile_address)).messages.empty());
  }
}

TEST_CASE("proxy ARP: a VMN's HoA is answered with its MAC, the pair recorded, flows on both sides") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 3);
  const Batch& b = w.ask(1, 2);
  const Vmn& v1 = w.vmn(1);
  const Vmn& v2 = w.vmn(2);
  CHECK(v1.correspondents == std::vector<VmnId>{v2.id});
  CHECK(v2.correspondents == std::vector<VmnId>{v1.id});

  // Remote(2) on dp1, Remote(1) on dp2 (2 flows each), then the reply.
  REQUIRE(b.messages.size() == 5);
  CHECK(b.messages[0].datapath_id == 1);
  CHECK(flow_mod(b.messages[0]).cookie == remote_cookie(v2));
  CHECK(flow_mod(b.messages[0]).match.get_uint(ofp::OxmField::Ipv4Dst) == hoa(2).value);
  CHECK(flow_mod(b.messages[0]).instructions ==
        ofp::InstructionList{ofp::ApplyActions{{ofp::set_field(ofp::OxmField::Ipv4Dst, v2.mobile_address)}},
                             ofp::GotoTable{table::kEgressSource}});
  CHECK(flow_mod(b.messages[1]).table_id == table::kIngressSource);
  CHECK(flow_mod(b.messages[1]).match.get_uint(ofp::OxmField::Ipv4Src) == v2.mobile_address.value);
  CHECK(b.messages[2].datapath_id == 2);
  CHECK(flow_mod(b.messages[2]).cookie == remote_cookie(v1));
  CHECK(b.messages[3].datapath_id == 2);
  auto f = packet_outs(b);
  REQUIRE(f.size() == 1);
  CHECK(f[0].dp == 1);
  CHECK(f[0].port == 2);
  CHECK(f[0].frame == ArpFrame{vmn_mac(1), vmn_mac(2), kEtherTypeArp, arp_op::kReply, vmn_mac(2), hoa(2), vmn_mac(1), hoa(1)});
  CHECK(has_event(b, Event::Kind::CorrespondentsLinked));
  w.check_consistent();

  // Egress rewrite on dp1 seen on the wire between the sites.
  fakes::Packet p{2, vmn_mac(1), vmn_mac(2), 0x0800, hoa(1), hoa(2), 0};
  fakes::TraceResult out = w.switches[1].process(p);
  REQUIRE(out.outputs.size() == 1);
  CHECK(out.outputs[0].port == kUplink);
  CHECK(out.outputs[0].packet.ipv4_src == v1.mobile_address);
  CHECK(out.outputs[0].packet.ipv4_dst == v2.mobile_address);
  CHECK(out.outputs[0].packet.eth_dst == gateway_mac_of(1));
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  SECTION("asking again (unicast re-check) only answers") {
    const Batch& again = w.ask(1, 2);
    REQUIRE(again.messages.size() == 1);
    CHECK(std::holds_alternative<ofp::PacketOut>(again.messages[0].message.body));
  }
  SECTION("a third VMN at dp1 talking to 2 adds no flows on dp1 for 2 again") {
    w.attach(3, 1, 4);
    const Batch& c = w.ask(3, 2);
    for (const auto* fm : bodies<ofp::FlowMod>(c, 1)) CHECK(fm->cookie != remote_cookie(w.vmn(2)));
    CHECK(w.switches[1].count_cookie(remote_cookie(w.vmn(2))) == 2);
    w.check_consistent();
    w.check_reaches(3, 2);
    w.check_reaches(2, 3);
  }
}

TEST_CASE("first contact with an unknown peer: probe, then answer the asker when it appears") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  const Batch& b = w.ask(1, 2);
  CHECK(bodies<ofp::FlowMod>(b).empty());
  auto probes = packet_outs(b);
  // Every VM port of every switch but the asker's own port: 3 + 4 + 4.
  REQUIRE(probes.size() == 11);
  for (const SentFrame& p : probes) {
    CHECK(p.port != kUplink);
    CHECK(!(p.dp == 1 && p.port == 2));
    CHECK(p.frame == ArpFrame{MacAddress::broadcast(), w.engine.config().virtual_gateway_mac, kEtherTypeArp,
                              arp_op::kRequest, w.engine.config().virtual_gateway_mac, ip("10.0.0.1"),
                              MacAddress::zero(), hoa(2)});
  }
  CHECK(has_event(b, Event::Kind::ProbeSent));
  CHECK(w.engine.pending_probes() == 1);
  CHECK(packet_outs(w.ask(1, 2)).empty());  // asking again while probing sends no new probe

  // VMN 2 answers the probe (unicast to the virtual gateway MAC) from dp3.
  ArpFrame answer{w.engine.config().virtual_gateway_mac, vmn_mac(2), kEtherTypeArp, arp_op::kReply, vmn_mac(2), hoa(2),
                  w.engine.config().virtual_gateway_mac, ip("10.0.0.1")};
  const Batch& a = w.arp(3, 4, answer);
  CHECK(has_event(a, Event::Kind::VmnDetected));
  CHECK(w.vmn(2).location == Location{3, 4});
  auto frames = packet_outs(a);
  bool answered = false;
  for (const SentFrame& f : frames)
    if (f.dp == 1 && f.port == 2)
      answered = f.frame == ArpFrame{vmn_mac(1), vmn_mac(2), kEtherTypeArp, arp_op::kReply, vmn_mac(2), hoa(2), vmn_mac(1), hoa(1)};
  CHECK(answered);
  CHECK(w.vmn(1).has_correspondent(w.vmn(2).id));
  CHECK(w.engine.pending_probes() == 0);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  SECTION("an unanswered probe expires") {
    w.ask(1, 7);
    CHECK(w.engine.pending_probes() == 1);
    w.advance(std::chrono::seconds(4));
    CHECK(has_event(w.tick(), Event::Kind::ProbeExpired));
    CHECK(w.engine.pending_probes() == 0);
  }
}

TEST_CASE("migration A -> C -> B (onto the peer) -> A keeps the session and is make-before-break") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  w.check_reaches(1, 2);

  const Ipv4Address moa_a = w.vmn(1).mobile_address;
  const std::uint64_t old_local = local_cookie(w.vmn(1));
  const std::uint64_t old_remote_on_b = remote_cookie(w.vmn(1));

  // A -> C (the peer sits on B).
  const Batch& b = w.move(1, 3, 5);
  check_make_before_break(b);
  const Vmn& v = w.vmn(1);
  CHECK(v.location == Location{3, 5});
  CHECK(v.mobile_address == ip("172.16.3.10"));
  CHECK(w.engine.pool(1)->held(moa_a));
  CHECK(has_event(b, Event::Kind::Migrated));
  CHECK(has_event(b, Event::Kind::MoaReleased));
  REQUIRE(b.break_at < b.messages.size());
  // Deletes: the old local flows on A, the remote flows of 2 on A, and 1's old remote flows on B.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> deletes;
  for (std::size_t i = b.break_at; i < b.messages.size(); ++i)
    deletes.emplace_back(b.messages[i].datapath_id, flow_mod(b.messages[i]).cookie);
  std::sort(deletes.begin(), deletes.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expected{
      {1, old_local}, {1, remote_cookie(w.vmn(2))}, {2, old_remote_on_b}};
  std::sort(expected.begin(), expected.end());
  CHECK(deletes == expected);
  // Barriers on C (new local + remote 2) and B (new remote 1) only.
  auto barriers = bodies<ofp::BarrierRequest>(b);
  CHECK(barriers.size() == 2);
  // The announce for the new MoA goes out C's uplink.
  bool announced = false;
  for (const SentFrame& f : packet_outs(b))
    announced |= f.dp == 3 && f.port == kUplink && f.frame.sender_ip == v.mobile_address;
  CHECK(announced);
  CHECK(w.switches[1].size() == 9);  // only the base flows are left at A
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  // C -> B: onto the peer's switch (no MoA rewriting between them now).
  const Batch& c = w.move(1, 2, 4);
  check_make_before_break(c);
  CHECK(w.vmn(1).location == Location{2, 4});
  CHECK(w.switches[2].count_cookie(Cookie::make(0xa7, FlowKind::Remote, 0, w.vmn(1).id), Cookie::kAnyGenerationMask) == 0);
  CHECK(w.switches[2].count_cookie(Cookie::make(0xa7, FlowKind::Local, 0, w.vmn(1).id), Cookie::kAnyGenerationMask) == 3);
  CHECK(w.switches[3].size() == 9);
  w.check_consistent();
  auto direct = w.send(1, 2);
  REQUIRE(direct.has_value());
  CHECK(direct->port == 2);
  CHECK(direct->packet.ipv4_src == hoa(1));  // never rewritten, never left the switch
  w.check_reaches(2, 1);

  // B -> A: back home, off the peer's switch; gets a fresh MoA (the old one is still held).
  w.move(1, 1, 2);
  CHECK(w.vmn(1).location == Location{1, 2});
  CHECK(w.vmn(1).mobile_address != moa_a);
  CHECK(w.engine.pool(1)->held(moa_a));
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
  CHECK(w.vmn(1).generation == 3);
}

TEST_CASE("make-before-break: the new path works before anything old is deleted") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.attach(3, 3, 2);
  w.ask(1, 2);
  w.ask(3, 1);
  for (auto [dp, port] : {std::pair<std::uint64_t, std::uint32_t>{3, 3}, {2, 4}, {1, 5}}) {
    w.batch.clear();
    w.engine.on_arp(w.now, dp, port, rarp(vmn_mac(1)), w.batch);
    REQUIRE(w.batch.break_at < w.batch.messages.size());
    w.deliver_before_break();
    INFO("moved to dp " << dp << ": before the deletes");
    w.check_reaches(2, 1);
    w.check_reaches(3, 1);
    w.check_reaches(1, 2);
    w.check_reaches(1, 3);
    w.deliver_after_break();
    w.check_consistent();
    w.check_reaches(2, 1);
    w.check_reaches(1, 3);
  }
}

TEST_CASE("both peers migrate, one after the other and back") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(2, 1);
  w.move(1, 3, 3);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.move(2, 1, 3);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
  w.move(2, 3, 4);  // now both on C
  w.check_consistent();
  w.check_reaches(1, 2);
  auto local = w.send(2, 1);
  REQUIRE(local.has_value());
  CHECK(local->packet.ipv4_src == hoa(2));
  for (std::uint64_t dp : {std::uint64_t{1}, std::uint64_t{2}}) CHECK(w.switches[dp].size() == 9);
  w.move(1, 2, 5);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
}

TEST_CASE("peers on one switch talk directly; a remote third party still works") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 1, 3);
  const Batch& b = w.ask(1, 2);
  CHECK(bodies<ofp::FlowMod>(b).empty());  // both local: nothing to add
  fakes::TraceResult r = w.switches[1].process({2, vmn_mac(1), vmn_mac(2), 0x0800, hoa(1), hoa(2), 0});
  REQUIRE(r.outputs.size() == 1);
  CHECK(r.outputs[0].port == 3);
  CHECK(r.outputs[0].packet.ipv4_src == hoa(1));
  CHECK(r.outputs[0].packet.ipv4_dst == hoa(2));
  w.attach(3, 2, 2);
  w.ask(3, 1);
  w.check_consistent();
  w.check_reaches(3, 1);
  w.check_reaches(1, 3);
  w.check_reaches(2, 1);
}

TEST_CASE("pool exhaustion is an event, never a duplicate address") {
  World w(three_sites(2));
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 1, 3);
  const Batch& b = w.attach(3, 1, 4);
  CHECK(has_event(b, Event::Kind::PoolExhausted));
  CHECK(bodies<ofp::FlowMod>(b).empty());
  CHECK(w.engine.registry().find(vmn_mac(3)) == nullptr);
  CHECK(w.engine.pool(1)->available() == 0);

  SECTION("a migration into a full site leaves the VMN where it was") {
    w.attach(4, 2, 2);
    const Batch& m = w.move(4, 1, 5);
    CHECK(has_event(m, Event::Kind::PoolExhausted));
    CHECK(!has_event(m, Event::Kind::Migrated));
    CHECK(m.messages.empty());
    CHECK(w.vmn(4).location == Location{2, 2});
    w.check_consistent();
  }
}

TEST_CASE("an old MoA comes back only after the hold time") {
  World w(three_sites(2));
  w.all_up();
  w.attach(1, 1, 2);
  const Ipv4Address first = w.vmn(1).mobile_address;
  w.move(1, 2, 2);
  w.attach(2, 1, 3);  // takes the second address
  CHECK(w.vmn(2).mobile_address != first);
  CHECK(has_event(w.attach(3, 1, 4), Event::Kind::PoolExhausted));  // first is held
  w.advance(std::chrono::seconds(29));
  CHECK(has_event(w.attach(3, 1, 4), Event::Kind::PoolExhausted));
  w.advance(std::chrono::seconds(1));
  w.tick();
  const Batch& b = w.attach(3, 1, 4);
  CHECK(has_event(b, Event::Kind::VmnDetected));
  CHECK(w.vmn(3).mobile_address == first);
  w.check_consistent();
}

TEST_CASE("repeated announces are idempotent") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  const Batch& first = w.move(1, 3, 2);
  CHECK(!first.messages.empty());
  const auto after = w.engine.snapshot(w.now);
  for (int i = 0; i < 4; ++i) {  // QEMU sends five
    const Batch& again = w.move(1, 3, 2);
    CHECK(again.messages.empty());
    CHECK(!has_event(again, Event::Kind::Migrated));
  }
  // The guest's own gratuitous ARP after the RARPs changes nothing either.
  CHECK(w.arp(3, 2, gratuitous(vmn_mac(1), hoa(1))).messages.empty());
  CHECK(w.engine.snapshot(w.now) == after);
  w.check_consistent();
}

TEST_CASE("a gratuitous ARP from a new switch is a migration too") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  const Batch& b = w.arp(3, 4, gratuitous(vmn_mac(1), hoa(1)));
  CHECK(has_event(b, Event::Kind::Migrated));
  CHECK(packet_outs(b).size() == 1);  // the MoA announce, no ARP reply to a gratuitous ARP
  w.check_consistent();
  w.check_reaches(1, 2);
}

TEST_CASE("a spoofed RARP does not move a VMN") {
  MobilityConfig c = three_sites();
  for (SiteConfig& s : c.sites) s.vm_port_prefixes = {"vnet"};
  World w(c);
  w.all_up();
  std::vector<ofp::Port> ports = site_ports();
  ofp::Port other;
  other.port_no = 9;
  other.name = "eth9";
  ports.push_back(other);
  w.switch_up(3, ports);
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  const auto before = w.engine.snapshot(w.now);

  const Batch& b = w.move(1, 3, 9);  // a port that is not a VM port
  CHECK(b.messages.empty());
  REQUIRE(has_event(b, Event::Kind::SpoofRefused));
  CHECK(b.events[0].from == Location{1, 2});
  CHECK(b.events[0].to == Location{3, 9});
  CHECK(has_event(w.move(1, 2, kUplink), Event::Kind::SpoofRefused));  // from the site LAN
  CHECK(w.engine.snapshot(w.now) == before);
  w.check_reaches(1, 2);
}

TEST_CASE("switch flap: VMNs keep their identity, flows are reconciled on return") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  const Ipv4Address moa = w.vmn(1).mobile_address;
  w.switch_down(1);
  CHECK(!w.engine.connected(1));

  SECTION("nothing is sent to a switch that is down, even when its peer moves") {
    const Batch& m = w.move(2, 3, 2);
    for (const Outgoing& o : m.messages) CHECK(o.datapath_id != 1);
    w.switches[1] = fakes::FlowTable{};  // e.g. the bridge was recreated empty
    const Batch& up = w.switch_up(1);
    CHECK(flow_mod(up.messages[0]).cookie_mask == Cookie::kOwnerMask);
    CHECK(w.vmn(1).mobile_address == moa);
    w.check_consistent();
    w.check_reaches(1, 2);
    w.check_reaches(2, 1);
  }
  SECTION("stale flows kept by the switch are replaced") {
    w.switch_up(1);
    CHECK(w.switches[1].size() == 9 + 3 + 2);
    w.check_consistent();
    w.check_reaches(1, 2);
  }
}

TEST_CASE("the site gateway MAC is resolved by an ARP probe from 0.0.0.0") {
  MobilityConfig c = three_sites();
  c.sites[0].gateway_mac.reset();
  World w(c);
  const Batch& up = w.switch_up(1);
  auto probe = packet_outs(up);
  REQUIRE(probe.size() == 1);
  CHECK(probe[0].port == kUplink);
  CHECK(probe[0].frame.sender_ip == Ipv4Address{});
  CHECK(probe[0].frame.target_ip == ip("172.16.1.1"));
  w.attach(1, 1, 2);
  CHECK(w.switches[1].count_cookie(local_cookie(w.vmn(1))) == 2);  // no egress flow yet

  w.advance(std::chrono::seconds(2));
  CHECK(packet_outs(w.tick()).size() == 1);  // probed again

  ArpFrame answer{c.virtual_gateway_mac, gateway_mac_of(1), kEtherTypeArp, arp_op::kReply, gateway_mac_of(1),
                  ip("172.16.1.1"), c.virtual_gateway_mac, Ipv4Address{}};
  const Batch& b = w.arp(1, kUplink, answer);
  CHECK(has_event(b, Event::Kind::GatewayResolved));
  CHECK(w.engine.gateway_mac(1) == gateway_mac_of(1));
  CHECK(w.switches[1].count_cookie(local_cookie(w.vmn(1))) == 3);
  w.check_consistent();
  w.advance(std::chrono::seconds(5));
  CHECK(packet_outs(w.tick()).empty());
}

TEST_CASE("an uplink that appears after the switch connected is picked up from port status") {
  World w;
  std::vector<ofp::Port> ports = site_ports();
  ports.erase(ports.begin());
  w.switch_up(1, ports);
  CHECK(!w.engine.uplink_port(1));
  CHECK(w.switches[1].size() == 8);
  w.attach(1, 1, 2);
  ofp::PortStatus st;
  st.reason = ofp::PortReason::Add;
  st.desc.port_no = 7;
  st.desc.name = "eth0";
  w.batch.clear();
  w.engine.on_port_status(w.now, 1, st, w.batch);
  w.deliver();
  CHECK(w.engine.uplink_port(1) == 7u);
  w.check_consistent();
  CHECK(w.switches[1].count_cookie(local_cookie(w.vmn(1))) == 3);

  // The uplink goes away again: its flows (uplink classify, egress to it) go with it.
  st.reason = ofp::PortReason::Delete;
  w.batch.clear();
  w.engine.on_port_status(w.now, 1, st, w.batch);
  w.deliver();
  CHECK(!w.engine.uplink_port(1));
  check_make_before_break(w.batch);
  CHECK(w.switches[1].count_cookie(local_cookie(w.vmn(1))) == 2);
  w.check_consistent();
}

TEST_CASE("snapshot and restore give an equal state, and a restored engine carries on") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.attach(3, 3, 2);
  w.ask(1, 2);
  w.ask(3, 1);
  w.move(1, 2, 3);
  w.advance(std::chrono::seconds(10));
  nlohmann::json snap = w.engine.snapshot(w.now);
  CHECK(snap["switches"][0]["pool"]["held"].size() == 1);

  World r;
  Batch out;
  auto ok = r.engine.restore(nlohmann::json::parse(snap.dump()), w.now, out);
  REQUIRE(ok.has_value());
  CHECK(r.engine.snapshot(w.now) == snap);
  r.now = w.now;
  r.all_up();
  r.router_neighbours = w.router_neighbours;
  r.check_consistent();
  r.check_reaches(1, 2);
  r.check_reaches(3, 1);
  // The held MoA still has 20 s of hold left after the restore.
  CHECK(snap["switches"][0]["pool"]["held"][0]["remaining_ms"] == 20000);
  CHECK(r.engine.pool(1)->held(ip("172.16.1.10")));

  SECTION("a restore of a connected engine reconciles its switches") {
    World x;
    x.all_up();
    x.batch.clear();
    REQUIRE(x.engine.restore(snap, w.now, x.batch).has_value());
    x.deliver();
    x.router_neighbours = w.router_neighbours;
    x.check_consistent();
    x.check_reaches(1, 2);
  }
  SECTION("a broken snapshot is refused and changes nothing") {
    nlohmann::json bad = snap;
    bad["vmns"][0]["mobile_address"] = "172.16.3.19";  // not in use in its pool
    Batch o;
    auto err = r.engine.restore(bad, w.now, o);
    REQUIRE(!err.has_value());
    CHECK(err.error().find("vmns[0]") != std::string::npos);
    CHECK(r.engine.snapshot(w.now) == snap);
  }
}

TEST_CASE("a flow of ours removed by someone else is added back") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  ofp::FlowRemoved fr;
  fr.cookie = local_cookie(w.vmn(1));
  w.batch.clear();
  w.engine.on_flow_removed(w.now, 1, fr, w.batch);
  CHECK(has_event(w.batch, Event::Kind::FlowRestored));
  CHECK(bodies<ofp::FlowMod>(w.batch).size() == 3);
  fr.cookie = 0x1234;  // not ours
  w.batch.clear();
  w.engine.on_flow_removed(w.now, 1, fr, w.batch);
  CHECK(w.batch.messages.empty());
}

TEST_CASE("on_packet_in parses the frame") {
  World w;
  w.all_up();
  ofp::PacketIn pi;
  pi.match.add(ofp::OxmField::InPort, 2);
  pi.data = Payload(build_arp_frame(arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1"))));
  w.batch.clear();
  w.engine.on_packet_in(w.now, 1, pi, w.batch);
  CHECK(has_event(w.batch, Event::Kind::VmnDetected));
  CHECK(w.vmn(1).location == Location{1, 2});
  // QEMU's announce byte for byte (60 bytes, padded), from another switch: a migration.
  ByteVector announce;
  packet::build_rarp_announce(announce, vmn_mac(1));
  CHECK(announce.size() == 60);
  pi.data = Payload(announce);
  w.batch.clear();
  w.engine.on_packet_in(w.now, 2, pi, w.batch);
  CHECK(has_event(w.batch, Event::Kind::Migrated));
  CHECK(w.vmn(1).location == Location{2, 2});
  pi.data = Payload(bytes_from_hex("ffffffffffff 525400000001 0800 4500"));
  w.batch.clear();
  w.engine.on_packet_in(w.now, 1, pi, w.batch);
  CHECK(w.batch.messages.empty());
}

namespace {
/// A broken policy that hands out one fixed address without asking the pool.
class FixedAddressPolicy : public MobilityPolicy {
 public:
  Expected<Ipv4Address, PoolError> choose_mobile_address(MacAddress, Ipv4Address, const Vmn*, AddressPool&,
                                                         TimePoint) override {
    return ip("172.16.1.10");
  }
};
}  // namespace

TEST_CASE("a policy that returns an address the pool did not give out is refused, not obeyed") {
  World w(three_sites(), std::make_unique<FixedAddressPolicy>());
  w.all_up();
  const Batch& b = w.attach(1, 1, 2);
  CHECK(has_event(b, Event::Kind::AddressConflict));
  CHECK(b.messages.empty());
  CHECK(w.engine.registry().size() == 0);
  CHECK(w.engine.pool(1)->in_use_count() == 0);
}
