// The example policy in examples/custom_policy builds and does what it says.
#include <catch2/catch.hpp>

#include "../../examples/custom_policy/lab_policy.hpp"
#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {
std::vector<ofp::Port> tap_ports() {
  std::vector<ofp::Port> ports = site_ports();
  ports[1].name = "tap0";
  ports[2].name = "tap1";  // ports 4 and 5 stay "vnet2", "vnet3": not VM ports for this policy
  return ports;
}
}  // namespace

TEST_CASE("custom policy: QEMU MACs on tap ports only, HoA-numbered MoAs, SNAT, no move by plain ARP") {
  World w(three_sites(32), std::make_unique<lab::LabPolicy>());
  for (std::uint64_t dp = 1; dp <= 3; ++dp) w.switch_up(dp, tap_ports());

  // Not a tap port; not a QEMU MAC: neither is a VMN.
  CHECK(w.attach(1, 1, 4).messages.empty());
  CHECK(w.arp(1, 2, arp_request(mac("00:16:3e:00:00:01"), hoa(1), ip("10.0.0.1"))).messages.empty());
  CHECK(w.engine.registry().size() == 0);

  w.attach(1, 1, 2);  // HoA 10.0.0.11 -> MoA first + 11
  CHECK(w.vmn(1).mobile_address == ip("172.16.1.21"));
  w.attach(2, 2, 2);
  w.ask(1, 2);
  w.check_reaches(1, 2);

  // A plain ARP from another tap port is not an announce.
  const Batch& refused = w.arp(3, 3, arp_request(vmn_mac(1), hoa(1), hoa(2)));
  CHECK(has_event(refused, Event::Kind::SpoofRefused));
  CHECK(w.vmn(1).location == Location{1, 2});
  // The hypervisor's RARP is.
  CHECK(has_event(w.move(1, 3, 3), Event::Kind::Migrated));
  CHECK(w.vmn(1).mobile_address == ip("172.16.3.21"));
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  // Non-VMN destinations are translated to the MoA and sent to the site gateway.
  fakes::Packet out{3, vmn_mac(1), w.engine.config().virtual_gateway_mac, 0x0800, hoa(1), ip("203.0.113.5"), 0};
  fakes::TraceResult r = w.switches[3].process(out);
  REQUIRE(r.outputs.size() == 1);
  CHECK(r.outputs[0].port == kUplink);
  CHECK(r.outputs[0].packet.ipv4_src == ip("172.16.3.21"));
  CHECK(r.outputs[0].packet.ipv4_dst == ip("203.0.113.5"));
  CHECK(r.outputs[0].packet.eth_dst == gateway_mac_of(3));
  // ...and the answer comes back to the HoA.
  fakes::Packet back{kUplink, gateway_mac_of(3), vmn_mac(1), 0x0800, ip("203.0.113.5"), ip("172.16.3.21"), 0};
  fakes::TraceResult b = w.switches[3].process(back);
  REQUIRE(b.outputs.size() == 1);
  CHECK(b.outputs[0].port == 3);
  CHECK(b.outputs[0].packet.ipv4_dst == hoa(1));
  CHECK(b.outputs[0].packet.ipv4_src == ip("203.0.113.5"));
  // Unknown HoAs are still dropped, not SNATed.
  fakes::Packet unknown{3, vmn_mac(1), vmn_mac(7), 0x0800, hoa(1), hoa(7), 0};
  CHECK(w.switches[3].process(unknown).outputs.empty());

  // The default policy drops non-VMN traffic at the same point.
  World d;
  d.all_up();
  d.attach(1, 1, 2);
  CHECK(d.switches[1].process({2, vmn_mac(1), d.engine.config().virtual_gateway_mac, 0x0800, hoa(1), ip("203.0.113.5"), 0})
            .outputs.empty());
}
