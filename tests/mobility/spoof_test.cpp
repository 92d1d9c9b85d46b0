// Spoofed announces: an announce (RARP, gratuitous ARP, ARP) of VMN M's MAC from a port that
// another VMN is at does not move M; a real migration (a port with no VMN) does.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {
const Event* find_event(const Batch& b, Event::Kind k) {
  for (const Event& e : b.events)
    if (e.kind == k) return &e;
  return nullptr;
}
}  // namespace

TEST_CASE("registry: count_at follows add, move and detach") {
  VmnRegistry r;
  const TimePoint now{};
  const Location p{1, 2}, q{2, 2};
  r.add(vmn_mac(1), hoa(1), ip("172.16.1.10"), p, now);
  r.add(vmn_mac(2), hoa(2), ip("172.16.1.11"), p, now);  // two VMNs behind one port
  CHECK(r.count_at(p) == 2);
  CHECK(r.count_at(q) == 0);
  r.move(0, q, ip("172.16.2.10"), now);
  CHECK(r.count_at(p) == 1);
  CHECK(r.count_at(q) == 1);
  r.detach(1);
  r.detach(1);  // idempotent
  CHECK(!r.attached(1));
  CHECK(r.count_at(p) == 0);
  CHECK(r.at(1).location == p);  // it keeps its location
  r.move(1, q, ip("172.16.2.11"), now);
  CHECK(r.attached(1));
  CHECK(r.count_at(q) == 2);
  auto copy = VmnRegistry::from_json(r.to_json(now), now);
  REQUIRE(copy.has_value());
  CHECK(copy->count_at(q) == 2);
}

TEST_CASE("spoof: an announce of a VMN's MAC from another VMN's port is refused, by every trigger") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.attach(3, 3, 3);  // the spoofer's own VMN, at site 3 port 3
  w.ask(1, 2);
  const auto before = w.engine.snapshot(w.now);
  const auto flows2 = w.switches[2].sorted();

  for (const ArpFrame& claim : {rarp(vmn_mac(1)), gratuitous(vmn_mac(1), hoa(1)),
                                arp_request(vmn_mac(1), hoa(1), hoa(2))}) {
    const Batch& b = w.arp(3, 3, claim);
    INFO("ethertype " << claim.ether_type << " op " << claim.op);
    CHECK(b.messages.empty());
    const Event* e = find_event(b, Event::Kind::SpoofRefused);
    REQUIRE(e != nullptr);
    CHECK(e->mac == vmn_mac(1));
    CHECK(e->from == Location{1, 2});
    CHECK(e->to == Location{3, 3});
    CHECK(!has_event(b, Event::Kind::Migrated));
  }
  // Onto the correspondent's own port, too (same site as the peer).
  CHECK(has_event(w.move(1, 2, 2), Event::Kind::SpoofRefused));
  CHECK(w.engine.snapshot(w.now) == before);
  CHECK(w.switches[2].sorted() == flows2);
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  // The real migration, to a port of its own at the same site, is not hindered.
  CHECK(has_event(w.move(1, 3, 4), Event::Kind::Migrated));
  CHECK(w.vmn(1).location == Location{3, 4});
  w.check_consistent();
  w.check_reaches(2, 1);
}

TEST_CASE("spoof: a port shared by several VMNs counts them all; the VMN itself does not") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 1, 2);  // two VMNs behind one port (as in a load test)
  w.attach(3, 2, 2);
  CHECK(has_event(w.move(3, 1, 2), Event::Kind::SpoofRefused));
  // The two sharers do not block their own repeated announces where they are.
  CHECK(w.move(1, 1, 2).events.empty());
  CHECK(w.move(1, 1, 2).messages.empty());
  // When one leaves, the other still holds the port.
  CHECK(has_event(w.move(1, 3, 2), Event::Kind::Migrated));
  CHECK(has_event(w.move(3, 1, 2), Event::Kind::SpoofRefused));
  CHECK(has_event(w.move(2, 2, 3), Event::Kind::Migrated));
  CHECK(has_event(w.move(3, 1, 2), Event::Kind::Migrated));  // now nobody is there
}

TEST_CASE("spoof: a deleted port frees its number for the next VMN that migrates onto it") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 3);
  // VMN 1's VM is destroyed: its port goes; a new interface gets the same number later.
  ofp::PortStatus gone;
  gone.reason = ofp::PortReason::Delete;
  gone.desc.port_no = 2;
  gone.desc.name = "vnet0";
  w.batch.clear();
  w.engine.on_port_status(w.now, 1, gone, w.batch);
  CHECK(!w.engine.registry().attached(w.vmn(1).id));
  ofp::PortStatus added = gone;
  added.reason = ofp::PortReason::Add;
  w.batch.clear();
  w.engine.on_port_status(w.now, 1, added, w.batch);
  CHECK(has_event(w.move(2, 1, 2), Event::Kind::Migrated));

  // The same when the port vanished while the switch was away.
  w.attach(3, 3, 4);
  w.switch_down(3);
  std::vector<ofp::Port> ports = site_ports();
  ports.erase(ports.begin() + 3);  // port 4
  w.switch_up(3, ports);
  CHECK(!w.engine.registry().attached(w.vmn(3).id));
  CHECK(w.vmn(3).location == Location{3, 4});  // still there as far as its flows go
}

namespace {
/// A deployment that moves a whole shared port's VMNs together: it ignores who else is there.
struct SharedPortPolicy final : MobilityPolicy {
  bool accept_migration(const Vmn& /*vmn*/, const PortRef& to, MoveTrigger trigger) const override {
    return trigger == MoveTrigger::Rarp && is_vm_port(to);
  }
};
}  // namespace

TEST_CASE("spoof: a custom policy sees the count and may decide otherwise") {
  World w(three_sites(), std::make_unique<SharedPortPolicy>());
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 1, 2);
  w.attach(3, 2, 2);
  w.ask(3, 1);
  w.ask(3, 2);
  // The shared port moves to site 2: both VMNs announce from the new port.
  CHECK(has_event(w.move(1, 2, 4), Event::Kind::Migrated));
  CHECK(has_event(w.move(2, 2, 4), Event::Kind::Migrated));
  CHECK(w.engine.registry().count_at({2, 4}) == 2);
  w.check_consistent();
  w.check_reaches(3, 1);
  w.check_reaches(3, 2);
}
