// Abuse on loopback: one switch floods ARP packet-ins while another switch's RARP migration
// must still be answered. Asserts outcomes and counters, never times (the reaction times are
// measured by tests/bench/abuse.sh and recorded in docs/BENCHMARKS.md).
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <thread>

#include "fakes/migration_on_wire.hpp"
#include "vmnmob/controller/controller.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility::test;
using vmnmob::testing::FakeSwitch;

namespace {

struct Drops final : controller::ControllerObserver {
  std::atomic<int> reports{0};
  void on_packet_ins_dropped(std::uint64_t, const mobility::AdmissionCounters&) override { ++reports; }
};

/// `count` packet-ins of one ARP request, written in large pieces.
void flood(FakeSwitch& sw, std::uint32_t port, const mobility::ArpFrame& frame, std::size_t count) {
  auto one = ofp::encode(ofp::Message{ofp::kVersion, 0, testing::make_packet_in(port, mobility::build_arp_frame(frame))});
  REQUIRE(one.has_value());
  ByteVector chunk;
  for (int i = 0; i < 1000; ++i) chunk.insert(chunk.end(), one->begin(), one->end());
  for (std::size_t sent = 0; sent < count; sent += 1000) sw.send_raw(chunk);
}

}  // namespace

TEST_CASE("controller: 200k ARP packet-ins from one switch; another switch's RARP migration is answered") {
  Drops drops;
  boost::asio::io_context io;
  controller::Controller c(io, mobility::MobilityEngine(three_sites()), {}, &drops);
  const auto port = c.switches().listen("127.0.0.1", 0);
  REQUIRE(port.has_value());
  c.start();
  std::thread thread([&] { io.run(); });
  auto counters = [&](std::uint64_t dp) {
    std::promise<mobility::AdmissionCounters> p;
    auto f = p.get_future();
    boost::asio::post(io, [&] { p.set_value(c.admission().counters(dp)); });
    return f.get();
  };
  {
    std::vector<std::unique_ptr<FakeSwitch>> sw;
    for (std::uint64_t dp = 1; dp <= 3; ++dp) {
      sw.push_back(FakeSwitch::connect(*port));
      REQUIRE(sw.back()->handshake(dp, testing::on_wire::fake_ports()));
    }
    testing::on_wire::send_arp(*sw[0], 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")));
    REQUIRE(sw[0]->expect(ofp::MessageType::PacketOut));
    for (auto& s : sw)
      while (s->receive(std::chrono::milliseconds(100))) {
      }

    // Switch 3 floods; meanwhile VMN 1 lands on switch 2 (QEMU's RARP) and must be answered.
    std::thread flooder([&] { flood(*sw[2], 2, arp_request(vmn_mac(3), hoa(3), ip("10.0.0.1")), 200000); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the flood is under way
    testing::on_wire::send_arp(*sw[1], 3, rarp(vmn_mac(1)));
    const std::uint32_t barrier = testing::on_wire::read_until_barrier(*sw[1]);
    CHECK(barrier != 0);
    flooder.join();
    // Written is not yet read: wait until the controller has seen the whole flood.
    for (int i = 0; i < 2000; ++i) {
      const auto seen = counters(3);
      if (seen.admitted + seen.dropped() >= 200000) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const auto flooded = counters(3);
  const auto migrated = counters(2);
  boost::asio::post(io, [&] {
    c.stop();
    io.stop();
  });
  thread.join();
  CHECK(flooded.dropped() > 100000);
  CHECK(flooded.dropped_port > 0);
  CHECK(flooded.admitted + flooded.dropped() == 200000);
  CHECK(migrated.admitted_announces == 1);
  CHECK(migrated.dropped() == 0);
  CHECK(drops.reports >= 1);
  CHECK(drops.reports < 50);  // once per burst, not per packet
}
