#include <catch2/catch.hpp>

#include "golden_frames.hpp"
#include "test_util.hpp"
#include "vmnmob/packet/build.hpp"
#include "vmnmob/packet/checksum.hpp"

using namespace vmnmob;
using namespace vmnmob::packet;
using namespace packet_test;

namespace {

const MacAddress host1 = mac("52:54:00:12:34:56");
const MacAddress host2 = mac("52:54:00:ab:cd:ef");

EthernetHeader eth_1_to_2() {
  EthernetHeader eth;
  eth.dst = host2;
  eth.src = host1;
  return eth;
}

Ipv4Header ip_1_to_2(std::uint16_t identification) {
  Ipv4Header h;
  h.identification = identification;
  h.src = ip("10.0.0.1");
  h.dst = ip("10.0.0.2");
  return h;
}

Frame parse_ok(const ByteVector& v) {
  auto f = parse_frame(as_bytes(v));
  REQUIRE(f);
  return *f;
}

}  // namespace

TEST_CASE("build: ARP request equals Linux's, padded to 60") {
  ByteVector out;
  build_arp_request(out, ArpEndpoint{host1, ip("10.0.0.1")}, ip("10.0.0.2"));
  CHECK(hex(out) == hex(padded(bytes_from_hex(golden::arp_request))));
}

TEST_CASE("build: ARP reply equals Linux's, directly and as the answer to the request") {
  ByteVector expected = padded(bytes_from_hex(golden::arp_reply));
  ByteVector out;
  build_arp_reply(out, ArpEndpoint{host2, ip("10.0.0.2")}, ArpEndpoint{host1, ip("10.0.0.1")});
  CHECK(hex(out) == hex(expected));

  ByteVector request = bytes_from_hex(golden::arp_request);
  Frame req = parse_ok(request);
  ByteVector answer;
  build_arp_answer(answer, req.ethernet, *req.arp(), host2);
  CHECK(hex(answer) == hex(expected));
}

TEST_CASE("build: ARP answer keeps the request's VLAN") {
  ByteVector request;
  build_arp_request(request, ArpEndpoint{host1, ip("10.0.0.1")}, ip("10.0.0.254"), 0x0064);
  Frame req = parse_ok(request);
  REQUIRE(req.ethernet.vlan_id() == 100);
  ByteVector answer;
  build_arp_answer(answer, req.ethernet, *req.arp(), mac("02:00:00:00:00:fe"));
  Frame ans = parse_ok(answer);
  CHECK(ans.ethernet.vlan_tci == std::optional<std::uint16_t>(0x0064));
  CHECK(ans.ethernet.dst == host1);
  CHECK(ans.ethernet.src == mac("02:00:00:00:00:fe"));
  CHECK(ans.is_arp_reply());
  CHECK(*ans.arp() == Arp{1, ArpOp::Reply, mac("02:00:00:00:00:fe"), ip("10.0.0.254"), host1,
                          ip("10.0.0.1")});
  CHECK(answer.size() == 60);  // 18 + 28 = 46, padded
}

TEST_CASE("build: RARP announce is QEMU's frame byte for byte") {
  ByteVector out;
  build_rarp_announce(out, host1);
  CHECK(hex(out) == hex(bytes_from_hex(golden::qemu_rarp_announce)));
  Frame f = parse_ok(out);
  CHECK(f.is_rarp_announce());
  CHECK(f.arp()->sha == host1);
}

TEST_CASE("build: gratuitous ARP") {
  ByteVector out;
  build_gratuitous_arp(out, ArpEndpoint{host1, ip("192.0.2.10")});
  CHECK(hex(out) == hex(padded(bytes_from_hex(
                        "ff ff ff ff ff ff 52 54 00 12 34 56 08 06"
                        "00 01 08 00 06 04 00 01 52 54 00 12 34 56 c0 00 02 0a"
                        "00 00 00 00 00 00 c0 00 02 0a"))));
  Frame f = parse_ok(out);
  CHECK(f.is_gratuitous_arp());
  CHECK(f.is_arp_request());
  CHECK_FALSE(f.is_arp_probe());
}

TEST_CASE("build: ARP probe from 0.0.0.0") {
  ByteVector out;
  build_arp_request(out, ArpEndpoint{host1, Ipv4Address{}}, ip("10.0.0.254"));
  Frame f = parse_ok(out);
  CHECK(f.is_arp_probe());
  CHECK_FALSE(f.is_gratuitous_arp());
}

TEST_CASE("build: ARP round trips for every opcode, with and without a tag") {
  const std::uint16_t ethertypes[] = {ethertype::arp, ethertype::rarp};
  const ArpOp ops[] = {ArpOp::Request, ArpOp::Reply, ArpOp::ReverseRequest, ArpOp::ReverseReply};
  const std::optional<std::uint16_t> tags[] = {std::nullopt, std::uint16_t{0x0fff},
                                               std::uint16_t{0xe001}};
  for (std::uint16_t type : ethertypes)
    for (ArpOp op : ops)
      for (auto tag : tags) {
        EthernetHeader eth;
        eth.dst = mac("ff:ff:ff:ff:ff:ff");
        eth.src = host2;
        eth.vlan_tci = tag;
        eth.ethertype = type;
        Arp arp{6, op, host2, ip("198.51.100.7"), host1, ip("203.0.113.9")};
        ByteVector out;
        build_arp(out, eth, arp);
        Frame f = parse_ok(out);
        CHECK(f.ethernet == eth);
        REQUIRE(f.arp());
        CHECK(*f.arp() == arp);
        CHECK(out.size() == 60);
      }
}

TEST_CASE("build: ICMP echo request equals Linux's") {
  const ByteVector data = bytes_from_hex("01 02 03 04 05 06 07 08 09 0a 0b");
  ByteVector out;
  REQUIRE(build_ipv4_icmp(out, eth_1_to_2(), ip_1_to_2(0x0aff),
                          Icmp::echo_request(0x1234, 1, as_bytes(data))));
  CHECK(hex(out) == hex(padded(bytes_from_hex(golden::icmp_echo_request))));
}

TEST_CASE("build: ICMP echo reply round trip") {
  const ByteVector data = bytes_from_hex("de ad be ef 00");
  Ipv4Header h = ip_1_to_2(7);
  h.ttl = 1;
  h.tos = 0x10;
  ByteVector out;
  REQUIRE(build_ipv4_icmp(out, eth_1_to_2(), h, Icmp::echo_reply(0xbeef, 65535, as_bytes(data))));
  Frame f = parse_ok(out);
  const Ipv4Packet* p = f.ipv4();
  REQUIRE(p);
  CHECK(p->header_checksum_ok);
  CHECK(p->header.ttl == 1);
  CHECK(p->header.tos == 0x10);
  CHECK(p->header.protocol == ip_protocol::icmp);
  CHECK(p->header.total_length == 20 + 8 + 5);
  REQUIRE(f.icmp());
  CHECK(f.icmp()->is_echo_reply());
  CHECK(f.icmp()->identifier() == 0xbeef);
  CHECK(f.icmp()->sequence() == 65535);
  CHECK(same_bytes(f.icmp()->payload, as_bytes(data)));
  CHECK(l4_checksum_ok(*p));
}

TEST_CASE("build: UDP equals Linux's") {
  const std::string_view text = "hello udp";
  Udp udp;
  udp.src_port = 40000;
  udp.dst_port = 5353;
  udp.payload = as_bytes(text);
  ByteVector out;
  REQUIRE(build_ipv4_udp(out, eth_1_to_2(), ip_1_to_2(0xe8d8), udp));
  CHECK(hex(out) == hex(padded(bytes_from_hex(golden::udp_datagram))));
}

TEST_CASE("build: UDP round trip with a tag and an empty payload") {
  EthernetHeader eth = eth_1_to_2();
  eth.vlan_tci = 42;
  Udp udp;
  udp.src_port = 68;
  udp.dst_port = 67;
  ByteVector out;
  REQUIRE(build_ipv4_udp(out, eth, ip_1_to_2(1), udp));
  Frame f = parse_ok(out);
  CHECK(f.ethernet.vlan_id() == 42);
  REQUIRE(f.udp());
  CHECK(f.udp()->src_port == 68);
  CHECK(f.udp()->dst_port == 67);
  CHECK(f.udp()->length == 8);
  CHECK(f.udp()->payload.empty());
  CHECK(f.udp()->checksum != 0);
  CHECK(l4_checksum_ok(*f.ipv4()));
}

TEST_CASE("build: a UDP checksum that computes to zero is sent as 0xffff (RFC 768)") {
  // With two payload bytes equal to the checksum of the same datagram with zero payload, the
  // one's-complement sum becomes 0xffff and the checksum 0.
  Udp udp;
  udp.src_port = 1000;
  udp.dst_port = 2000;
  ByteVector zero_payload(2);
  udp.payload = as_bytes(zero_payload);
  ByteVector first;
  REQUIRE(build_ipv4_udp(first, eth_1_to_2(), ip_1_to_2(1), udp));
  const std::uint16_t c = parse_ok(first).udp()->checksum;
  ByteVector tuned{std::byte(c >> 8), std::byte(c & 0xff)};
  udp.payload = as_bytes(tuned);
  ByteVector out;
  REQUIRE(build_ipv4_udp(out, eth_1_to_2(), ip_1_to_2(1), udp));
  Frame f = parse_ok(out);
  CHECK(f.udp()->checksum == 0xffff);
  CHECK(l4_checksum_ok(*f.ipv4()));
}

TEST_CASE("build: TCP equals Linux's, SYN with options and a data segment") {
  for (std::string_view golden_hex : {golden::tcp_syn, golden::tcp_data}) {
    ByteVector golden_bytes = bytes_from_hex(golden_hex);
    Frame g = parse_ok(golden_bytes);
    REQUIRE(g.tcp());
    Tcp tcp = *g.tcp();
    tcp.checksum = 0;  // ignored by the builder
    Ipv4Header h = g.ipv4()->header;
    h.header_checksum = 0;
    h.total_length = 0;
    ByteVector out;
    REQUIRE(build_ipv4_tcp(out, g.ethernet, h, tcp));
    CHECK(hex(out) == hex(padded(golden_bytes)));
  }
}

TEST_CASE("build: TCP round trip of every flag, options and payload") {
  const ByteVector options = bytes_from_hex("02 04 05 b4 01 03 03 07");
  const ByteVector payload = bytes_from_hex("47 45 54 20 2f 0d 0a");  // odd length
  Tcp tcp;
  tcp.src_port = 443;
  tcp.dst_port = 51000;
  tcp.sequence_number = 0xfffffff0u;
  tcp.acknowledgment_number = 12345;
  tcp.flags = tcp_flag::fin | tcp_flag::syn | tcp_flag::rst | tcp_flag::psh | tcp_flag::ack |
              tcp_flag::urg | tcp_flag::ece | tcp_flag::cwr | tcp_flag::ns;
  tcp.window = 1;
  tcp.urgent_pointer = 3;
  tcp.options = as_bytes(options);
  tcp.payload = as_bytes(payload);
  ByteVector out;
  REQUIRE(build_ipv4_tcp(out, eth_1_to_2(), ip_1_to_2(99), tcp));
  Frame f = parse_ok(out);
  REQUIRE(f.tcp());
  Tcp parsed = *f.tcp();
  CHECK(parsed.header_length() == 28);
  CHECK(l4_checksum_ok(*f.ipv4()));
  parsed.checksum = 0;
  CHECK(parsed == tcp);
  CHECK(f.ipv4()->header.protocol == ip_protocol::tcp);
}

TEST_CASE("build: raw IPv4 with options round trip") {
  const ByteVector options = bytes_from_hex("94 04 00 00");
  const ByteVector payload = bytes_from_hex("45 00 00 00 aa bb");
  Ipv4Header h = ip_1_to_2(5);
  h.protocol = 47;
  h.options = as_bytes(options);
  h.flags_fragment = 0;
  ByteVector out;
  REQUIRE(build_ipv4(out, eth_1_to_2(), h, as_bytes(payload)));
  Frame f = parse_ok(out);
  const Ipv4Packet* p = f.ipv4();
  REQUIRE(p);
  CHECK(p->header_checksum_ok);
  CHECK(p->header.header_length() == 24);
  CHECK(same_bytes(p->header.options, as_bytes(options)));
  CHECK(p->header.protocol == 47);
  CHECK(same_bytes(p->payload, as_bytes(payload)));
  CHECK(std::holds_alternative<std::monostate>(p->l4));
}

TEST_CASE("build: builders append after existing bytes and pad from the frame's start") {
  ByteVector out = bytes_from_hex("aa bb cc");
  build_rarp_announce(out, host1);
  CHECK(out.size() == 63);
  CHECK(hex(ByteVector(out.begin() + 3, out.end())) ==
        hex(bytes_from_hex(golden::qemu_rarp_announce)));

  ByteVector out2 = bytes_from_hex("01 02 03 04 05");
  const std::string_view text = "x";
  Udp udp;
  udp.payload = as_bytes(text);
  REQUIRE(build_ipv4_udp(out2, eth_1_to_2(), ip_1_to_2(3), udp));
  CHECK(out2.size() == 5 + 60);
  auto f = parse_frame(ByteSpan(out2).subspan(5));
  REQUIRE(f);
  CHECK(f->ipv4()->header_checksum_ok);
  CHECK(l4_checksum_ok(*f->ipv4()));
}

TEST_CASE("build: frames longer than 60 bytes are not padded") {
  ByteVector payload(100, std::byte{0x5a});
  Udp udp;
  udp.payload = as_bytes(payload);
  ByteVector out;
  REQUIRE(build_ipv4_udp(out, eth_1_to_2(), ip_1_to_2(3), udp));
  CHECK(out.size() == 14 + 20 + 8 + 100);
}

TEST_CASE("build: build_frame re-encodes parsed frames exactly") {
  for (std::string_view g : {golden::arp_request, golden::arp_reply, golden::icmp_echo_request,
                             golden::icmp_port_unreachable, golden::udp_datagram,
                             golden::tcp_syn, golden::tcp_data, golden::qemu_rarp_announce}) {
    ByteVector expected = padded(bytes_from_hex(g));
    Frame f = parse_ok(expected);
    ByteVector out;
    REQUIRE(build_frame(out, f));
    CHECK(hex(out) == hex(expected));
  }
  // Unparsed L3 and an IPv4 fragment go out as they came.
  ByteVector raw = padded(bytes_from_hex("33 33 00 00 00 01 02 00 00 00 00 01 86 dd 60 00 00 00"));
  ByteVector out;
  REQUIRE(build_frame(out, parse_ok(raw)));
  CHECK(hex(out) == hex(raw));

  ByteVector fragment = bytes_from_hex(golden::udp_datagram);
  fragment[20] = std::byte{0x20};  // MF
  fragment[24] = std::byte{0};
  fragment[25] = std::byte{0};
  std::uint16_t c = internet_checksum(ByteSpan(fragment).subspan(14, 20));
  fragment[24] = std::byte(c >> 8);
  fragment[25] = std::byte(c & 0xff);
  fragment = padded(fragment);
  Frame ff = parse_ok(fragment);
  REQUIRE(std::holds_alternative<std::monostate>(ff.ipv4()->l4));
  ByteVector out2;
  REQUIRE(build_frame(out2, ff));
  CHECK(hex(out2) == hex(fragment));
}

TEST_CASE("build: invalid options and oversize datagrams fail and leave the output unchanged") {
  ByteVector out = bytes_from_hex("77");
  const ByteVector three(3), forty_four(44), forty(40);
  Ipv4Header h = ip_1_to_2(1);

  h.options = as_bytes(three);
  auto s1 = build_ipv4(out, eth_1_to_2(), h, {});
  REQUIRE_FALSE(s1);
  CHECK(s1.error().code == PacketErrc::BadValue);
  CHECK(s1.error().field == "ipv4 options length");
  CHECK(s1.error().value == 3);

  h.options = as_bytes(forty_four);
  auto s2 = build_ipv4_icmp(out, eth_1_to_2(), h, Icmp::echo_request(1, 1, {}));
  REQUIRE_FALSE(s2);
  CHECK(s2.error().code == PacketErrc::LengthBeyondData);
  CHECK(s2.error().value == 44);
  CHECK(s2.error().bound == 40);

  h.options = as_bytes(forty);  // 40 is the maximum and fine
  CHECK(build_ipv4(out, eth_1_to_2(), h, {}));
  out.resize(1);

  Tcp tcp;
  tcp.options = as_bytes(three);
  auto s3 = build_ipv4_tcp(out, eth_1_to_2(), ip_1_to_2(1), tcp);
  REQUIRE_FALSE(s3);
  CHECK(s3.error().field == "tcp options length");

  ByteVector huge(65536 - 28);  // one byte too many
  Udp udp;
  udp.payload = as_bytes(huge);
  auto s4 = build_ipv4_udp(out, eth_1_to_2(), ip_1_to_2(1), udp);
  REQUIRE_FALSE(s4);
  CHECK(s4.error().code == PacketErrc::LengthBeyondData);
  CHECK(s4.error().field == "ipv4.total_length");
  CHECK(s4.error().value == 65536);
  CHECK_FALSE(s4.error().to_string().empty());

  CHECK(hex(out) == "77");

  huge.pop_back();  // exactly 65535 bytes of IPv4 is allowed
  udp.payload = as_bytes(huge);
  REQUIRE(build_ipv4_udp(out, eth_1_to_2(), ip_1_to_2(1), udp));
  auto f = parse_frame(ByteSpan(out).subspan(1));
  REQUIRE(f);
  CHECK(f->ipv4()->header.total_length == 65535);
  CHECK(f->udp()->length == 65515);
  CHECK(l4_checksum_ok(*f->ipv4()));
}
