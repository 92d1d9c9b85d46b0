// A migration seen on the wire by three fake switches (tests/fakes), for any host of the
// engine and the delivery in network order: the old location's deletes leave only after every
// switch of the migration answered its barrier. Used by the tests of vmnmob/controller (the
// Asio host) and of examples/own_io (an I/O loop of its own).
#pragma once

#include <catch2/catch.hpp>

#include "fakes/fake_switch.hpp"
#include "mobility/harness.hpp"
#include "vmnmob/delivery/delivery.hpp"

namespace vmnmob::testing {

namespace on_wire {
using namespace vmnmob::mobility::test;

inline std::vector<ofp::Port> fake_ports() {
  std::vector<ofp::Port> ports;
  for (const ofp::Port& p : site_ports()) ports.push_back(vmnmob::testing::make_port(p.port_no, p.name));
  return ports;
}

inline void send_arp(FakeSwitch& sw, std::uint32_t port, const mobility::ArpFrame& f) {
  sw.send(vmnmob::testing::make_packet_in(port, mobility::build_arp_frame(f)));
}

/// The next FLOW_MOD or BARRIER_REQUEST, skipping packet-outs.
inline std::optional<ofp::Message> next_flow_message(FakeSwitch& sw, FakeSwitch::Timeout timeout) {
  for (;;) {
    auto m = sw.receive(timeout);
    if (!m || std::holds_alternative<ofp::FlowMod>(m->body) || std::holds_alternative<ofp::BarrierRequest>(m->body))
      return m;
  }
}

inline bool is_delete(const ofp::Message& m) {
  const auto* fm = std::get_if<ofp::FlowMod>(&m.body);
  return fm != nullptr && fm->command != ofp::FlowModCommand::Add;
}

/// Reads a switch's part of a migration up to and including its barrier: no delete before it.
inline std::uint32_t read_until_barrier(FakeSwitch& sw) {
  for (;;) {
    auto m = next_flow_message(sw, std::chrono::seconds(3));
    REQUIRE(m.has_value());
    REQUIRE(!is_delete(*m));
    if (std::holds_alternative<ofp::BarrierRequest>(m->body)) return m->xid;
  }
}


}  // namespace on_wire

/// Three sites (mobility::test::three_sites) behind a controller listening on 127.0.0.1:port
/// in network order with a barrier timeout of several seconds.
inline void check_network_order_on_wire(std::uint16_t port) {
  using namespace vmnmob::mobility::test;
  using namespace on_wire;
  std::vector<std::unique_ptr<FakeSwitch>> sw;
  for (std::uint64_t dp = 1; dp <= 3; ++dp) {
    sw.push_back(FakeSwitch::connect(port));
    REQUIRE(sw.back()->handshake(dp, fake_ports()));
    REQUIRE(sw.back()->expect(ofp::MessageType::FlowMod));  // the base flows
  }
  auto& s1 = *sw[0];
  auto& s2 = *sw[1];
  auto& s3 = *sw[2];
  // VMN 1 at site 1 and VMN 2 at site 2 appear and talk to each other.
  send_arp(s1, 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")));
  REQUIRE(s1.expect(ofp::MessageType::PacketOut));
  send_arp(s2, 2, arp_request(vmn_mac(2), hoa(2), ip("10.0.0.1")));
  REQUIRE(s2.expect(ofp::MessageType::PacketOut));
  send_arp(s1, 2, arp_request(vmn_mac(1), hoa(1), hoa(2)));
  REQUIRE(s1.expect(ofp::MessageType::PacketOut));
  for (FakeSwitch* s : {&s1, &s2, &s3})
    while (s->receive(std::chrono::milliseconds(100))) {
    }

  // VMN 1 arrives at site 3.
  send_arp(s3, 2, rarp(vmn_mac(1)));
  const std::uint32_t barrier3 = read_until_barrier(s3);
  const std::uint32_t barrier2 = read_until_barrier(s2);
  CHECK(delivery::Delivery::owns_xid(barrier3));
  // Nothing is deleted anywhere while barriers are outstanding.
  CHECK(!next_flow_message(s1, std::chrono::milliseconds(200)));
  s3.send(ofp::BarrierReply{}, barrier3);
  CHECK(!next_flow_message(s1, std::chrono::milliseconds(200)));
  CHECK(!next_flow_message(s2, std::chrono::milliseconds(10)));
  s2.send(ofp::BarrierReply{}, barrier2);
  // Now the old location loses VMN 1's flows, and the correspondent its old remote entry.
  auto del1 = next_flow_message(s1, std::chrono::seconds(3));
  REQUIRE(del1.has_value());
  CHECK(is_delete(*del1));
  auto del2 = next_flow_message(s2, std::chrono::seconds(3));
  REQUIRE(del2.has_value());
  CHECK(is_delete(*del2));
}

}  // namespace vmnmob::testing
