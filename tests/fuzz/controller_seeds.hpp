// Seeds for the `controller` fuzz target (controller_pipeline.hpp's record format): whole
// conversations of three switches with the engine — handshakes, VMNs appearing, proxy ARP,
// migrations and back, probes, an unresolved gateway, a port going away, a reconnect.
#pragma once

#include <map>
#include <string>

#include "controller_pipeline.hpp"
#include "vmnmob/mobility/arp_frame.hpp"

namespace vmnmob::fuzz {

class SeedWriter {
 public:
  /// Plays switch i's side of the handshake (its xids come from a session like the pipeline's).
  SeedWriter& handshake(std::size_t i, std::uint32_t vm_ports = 4) {
    connection::Session s;
    (void)s.start(now_);
    const ofp::Message hello{ofp::kVersion, 1, ofp::Hello{{ofp::VersionBitmap::of({ofp::kVersion})}}};
    record(i, hello);
    ofp::FeaturesReply features;
    features.datapath_id = i + 1;
    features.n_tables = 254;
    record(i, ofp::Message{ofp::kVersion, xid_of(s.on_message(now_, hello)), features});
    ofp::PortDescReply desc;
    for (std::uint32_t p = 1; p <= vm_ports + 1; ++p) {
      ofp::Port port;
      port.port_no = p;
      port.hw_addr = MacAddress::from_u64(0x020000000000u | (i << 8) | p);
      port.name = p == kUplink ? "eth0" : "vnet" + std::to_string(p - 2);
      desc.ports.push_back(port);
    }
    const auto request = xid_of(s.on_message(now_, ofp::Message{ofp::kVersion, 2, features}));
    record(i, ofp::Message{ofp::kVersion, request, ofp::MultipartReply{0, desc}});
    return *this;
  }
  /// VMN v (MAC 52:54:00:00:00:v, HoA 10.0.0.(10+v)) at switch i, port asks for `target`.
  SeedWriter& arp(std::size_t i, std::uint32_t port, int v, Ipv4Address target) {
    return frame(i, port, {MacAddress::broadcast(), mac(v), mobility::kEtherTypeArp, mobility::arp_op::kRequest, mac(v),
                           hoa(v), MacAddress::zero(), target});
  }
  SeedWriter& attach(std::size_t i, std::uint32_t port, int v) { return arp(i, port, v, *Ipv4Address::parse("10.0.0.1")); }
  SeedWriter& ask(std::size_t i, std::uint32_t port, int v, int peer) { return arp(i, port, v, hoa(peer)); }
  SeedWriter& rarp(std::size_t i, std::uint32_t port, int v) {
    return frame(i, port, {MacAddress::broadcast(), mac(v), mobility::kEtherTypeRarp, mobility::arp_op::kReverseRequest,
                           mac(v), Ipv4Address{}, mac(v), Ipv4Address{}});
  }
  /// The site router answers the engine's probe for its MAC (on the uplink).
  SeedWriter& gateway_reply(std::size_t i) {
    const auto gw = pipeline_config().sites[i].gateway_ip;
    return frame(i, kUplink, {MacAddress::broadcast(), MacAddress::from_u64(0x0b0000000000u + i), mobility::kEtherTypeArp,
                              mobility::arp_op::kReply, MacAddress::from_u64(0x0b0000000000u + i), gw,
                              MacAddress::zero(), Ipv4Address{}});
  }
  SeedWriter& port_deleted(std::size_t i, std::uint32_t port) {
    ofp::PortStatus status;
    status.reason = ofp::PortReason::Delete;
    status.desc.port_no = port;
    status.desc.name = "vnet" + std::to_string(port - 2);
    return record(i, ofp::Message{ofp::kVersion, 0, status});
  }
  /// Bytes no framer accepts (a header claiming 4 bytes): the connection breaks.
  SeedWriter& garbage(std::size_t i) {
    const std::uint8_t bad[] = {0x04, 0x00, 0x00, 0x04, 0, 0, 0, 0};
    return raw(i, bad);
  }
  SeedWriter& tick(std::uint8_t steps) {
    push(3);
    push(steps);
    return *this;
  }
  const ByteVector& bytes() const { return out_; }

 private:
  static MacAddress mac(int v) { return MacAddress::from_u64(0x525400000000u + static_cast<std::uint64_t>(v)); }
  static Ipv4Address hoa(int v) { return Ipv4Address{Ipv4Address::parse("10.0.0.10")->value + static_cast<std::uint32_t>(v)}; }
  static std::uint32_t xid_of(const connection::Session::Actions& a) { return a.send.empty() ? 0 : a.send.back().xid; }

  SeedWriter& frame(std::size_t i, std::uint32_t port, const mobility::ArpFrame& f) {
    ofp::PacketIn pi;
    pi.buffer_id = ofp::kNoBuffer;
    const ByteVector data = mobility::build_arp_frame(f);
    pi.total_len = static_cast<std::uint16_t>(data.size());
    pi.match.add(ofp::OxmField::InPort, port);
    pi.data = Payload(ByteVector(data));
    return record(i, ofp::Message{ofp::kVersion, 0, std::move(pi)});
  }
  SeedWriter& record(std::size_t i, const ofp::Message& m) {
    auto wire = ofp::encode(m);
    return wire ? raw(i, *wire) : *this;
  }
  SeedWriter& raw(std::size_t i, std::span<const std::uint8_t> bytes) {
    push(static_cast<std::uint8_t>(i));
    push(static_cast<std::uint8_t>(bytes.size() >> 8));
    push(static_cast<std::uint8_t>(bytes.size() & 0xff));
    for (std::uint8_t b : bytes) push(b);
    return *this;
  }
  SeedWriter& raw(std::size_t i, const ByteVector& bytes) {
    return raw(i, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));  // NOLINT
  }
  void push(std::uint8_t b) { out_.push_back(static_cast<std::byte>(b)); }

  TimePoint now_{};
  ByteVector out_;
};

/// Named conversations.
inline std::map<std::string, ByteVector> controller_seeds() {
  const auto ready = [] { return SeedWriter().handshake(0).handshake(1).handshake(2); };
  std::map<std::string, ByteVector> seeds;
  seeds["migration-and-back"] = ready()
                                    .attach(0, 2, 1).attach(1, 2, 2).ask(0, 2, 1, 2).ask(1, 2, 2, 1)
                                    .rarp(2, 3, 1).tick(1).rarp(0, 4, 1).tick(30).bytes();
  seeds["both-on-one-switch"] = ready().attach(0, 2, 1).attach(0, 3, 2).ask(0, 2, 1, 2).rarp(1, 2, 2).tick(1).bytes();
  seeds["probe-expires"] = ready().attach(0, 2, 1).ask(0, 2, 1, 7).tick(40).attach(1, 2, 7).bytes();
  seeds["gateway-resolved"] = ready().attach(2, 2, 3).tick(25).gateway_reply(2).attach(0, 2, 1).ask(2, 2, 3, 1).bytes();
  seeds["port-deleted"] = ready().attach(0, 2, 1).attach(1, 2, 2).ask(0, 2, 1, 2).port_deleted(0, 2).tick(1).bytes();
  seeds["reconnect"] = ready().attach(0, 2, 1).attach(1, 2, 2).ask(1, 2, 2, 1).garbage(0).tick(1).handshake(0)
                           .rarp(0, 3, 1).bytes();
  SeedWriter many = ready();
  for (int v = 1; v <= 12; ++v) many.attach(0, 2 + static_cast<std::uint32_t>(v % 4), v);  // more than the pool holds
  seeds["pool-exhausted"] = many.tick(30).bytes();
  return seeds;
}

}  // namespace vmnmob::fuzz
