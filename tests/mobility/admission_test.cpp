// Packet-in admission (vmnmob/mobility/admission.hpp): token buckets fed with times, no sleeping.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "vmnmob/mobility/admission.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 1000s;
}

TEST_CASE("admission: a token bucket starts full, refills at its rate, never beyond its burst") {
  TokenBucket b(Rate{10, 5});
  int taken = 0;
  while (b.take(t0)) ++taken;
  CHECK(taken == 5);
  CHECK(!b.take(t0 + 50ms));   // half a token
  CHECK(b.take(t0 + 100ms));   // one token after 100 ms at 10/s
  CHECK(!b.take(t0 + 100ms));
  taken = 0;
  while (b.take(t0 + 100s)) ++taken;
  CHECK(taken == 5);             // capped at the burst
  CHECK(!b.take(t0 + 50s));      // a clock going backwards adds nothing
  TokenBucket unlimited(Rate{0, 0});
  for (int i = 0; i < 1000; ++i) REQUIRE(unlimited.take(t0));
}

TEST_CASE("admission: RARP and gratuitous ARP are announces; other ARP and garbage are not") {
  CHECK(classify_packet_in(build_arp_frame(rarp(vmn_mac(1)))) == PacketInKind::Announce);
  CHECK(classify_packet_in(build_arp_frame(gratuitous(vmn_mac(1), hoa(1)))) == PacketInKind::Announce);
  CHECK(classify_packet_in(build_arp_frame(arp_request(vmn_mac(1), hoa(1), hoa(2)))) == PacketInKind::Other);
  // An ARP probe (sender 0.0.0.0, RFC 5227) is not an announce.
  CHECK(classify_packet_in(build_arp_frame(arp_request(vmn_mac(1), ip("0.0.0.0"), ip("0.0.0.0")))) ==
        PacketInKind::Other);
  CHECK(classify_packet_in(ByteVector(3)) == PacketInKind::Other);
  CHECK(classify_packet_in({}) == PacketInKind::Other);
}

TEST_CASE("admission: a port flood is cut at the port's bucket, leaving the switch's budget to other ports") {
  AdmissionConfig config;  // defaults: switch 1000/s burst 200, port 100/s burst 50
  PacketInAdmission a(config);
  int admitted = 0;
  for (int i = 0; i < 10000; ++i) admitted += a.admit(t0, 1, 5, PacketInKind::Other) ? 1 : 0;
  CHECK(admitted == 50);
  CHECK(a.counters(1).dropped_port == 9950);
  CHECK(a.counters(1).dropped_switch == 0);
  // Another port of the same switch still gets its own burst.
  admitted = 0;
  for (int i = 0; i < 60; ++i) admitted += a.admit(t0, 1, 6, PacketInKind::Other) ? 1 : 0;
  CHECK(admitted == 50);
  // Many ports together hit the switch's bucket.
  admitted = 0;
  for (std::uint32_t port = 100; port < 200; ++port) admitted += a.admit(t0, 1, port, PacketInKind::Other) ? 1 : 0;
  CHECK(admitted == 100);  // 200 - 50 - 50 left
  CHECK(a.counters(1).dropped_switch == 0);
  for (std::uint32_t port = 200; port < 300; ++port) (void)a.admit(t0, 1, port, PacketInKind::Other);
  CHECK(a.counters(1).dropped_switch == 100);
  // Other switches are untouched.
  CHECK(a.admit(t0, 2, 5, PacketInKind::Other));
  CHECK(a.counters(2).dropped() == 0);
}

TEST_CASE("admission: announces have their own bucket; an ARP flood never starves them") {
  PacketInAdmission a;
  // A flood of 200k ARP packet-ins in one second from every port of switch 1...
  for (int i = 0; i < 200000; ++i) {
    const TimePoint now = t0 + std::chrono::microseconds(5 * i);
    (void)a.admit(now, 1, static_cast<std::uint32_t>(i % 64), PacketInKind::Other);
  }
  const AdmissionCounters flooded = a.counters(1);
  CHECK(flooded.dropped() > 198000);
  CHECK(flooded.admitted <= 200 + 1000 + 1);
  // ...and QEMU's five announces of a migration on the same switch all pass.
  for (int i = 0; i < 5; ++i) CHECK(a.admit(t0 + 1s + std::chrono::milliseconds(100 * i), 1, 7, PacketInKind::Announce));
  CHECK(a.counters(1).admitted_announces == 5);
  CHECK(a.counters(1).dropped_announce == 0);
  // An announce flood is bounded too, in its own bucket.
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += a.admit(t0 + 2s, 1, 7, PacketInKind::Announce) ? 1 : 0;
  CHECK(admitted == 100);
  CHECK(a.counters(1).dropped_announce == 900);
  CHECK(a.total().dropped() == a.counters(1).dropped());
}

TEST_CASE("admission: new rates apply at once; ports beyond the bound share one bucket; forget drops buckets") {
  AdmissionConfig config;
  config.max_ports_per_switch = 2;
  PacketInAdmission a(config);
  for (int i = 0; i < 50; ++i) REQUIRE(a.admit(t0, 1, 1, PacketInKind::Other));
  CHECK(!a.admit(t0, 1, 1, PacketInKind::Other));
  (void)a.admit(t0, 1, 2, PacketInKind::Other);
  // Ports 3 and 4 share the overflow bucket (burst 50 between them).
  int admitted = 0;
  for (int i = 0; i < 40; ++i) admitted += a.admit(t0, 1, 3, PacketInKind::Other) ? 1 : 0;
  for (int i = 0; i < 40; ++i) admitted += a.admit(t0, 1, 4, PacketInKind::Other) ? 1 : 0;
  CHECK(admitted == 50);
  AdmissionConfig slower = config;
  slower.per_port = {1, 1};
  a.set_config(slower);
  CHECK(a.config().per_port == Rate{1, 1});
  CHECK(!a.admit(t0 + 500ms, 1, 1, PacketInKind::Other));
  CHECK(a.admit(t0 + 1500ms, 1, 1, PacketInKind::Other));
  a.forget(1);
  CHECK(a.admit(t0 + 1600ms, 1, 1, PacketInKind::Other));  // a fresh, full bucket
  CHECK(a.counters(1).admitted > 0);                        // counters survive
}
