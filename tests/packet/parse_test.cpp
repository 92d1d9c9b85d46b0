#include <catch2/catch.hpp>

#include "golden_frames.hpp"
#include "test_util.hpp"
#include "vmnmob/packet/checksum.hpp"
#include "vmnmob/packet/frame.hpp"

using namespace vmnmob;
using namespace vmnmob::packet;
using namespace packet_test;

TEST_CASE("parse: Linux ARP request") {
  ByteVector bytes = bytes_from_hex(golden::arp_request);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  CHECK(f->ethernet.dst == MacAddress::broadcast());
  CHECK(f->ethernet.src == mac("52:54:00:12:34:56"));
  CHECK_FALSE(f->ethernet.vlan_tci);
  CHECK(f->ethernet.ethertype == ethertype::arp);
  CHECK(f->payload.size() == 28);
  CHECK(f->payload.data() == bytes.data() + 14);  // a view, not a copy
  const Arp* a = f->arp();
  REQUIRE(a);
  CHECK(a->hardware_type == 1);
  CHECK(a->op == ArpOp::Request);
  CHECK(a->sha == mac("52:54:00:12:34:56"));
  CHECK(a->spa == ip("10.0.0.1"));
  CHECK(a->tha == MacAddress::zero());
  CHECK(a->tpa == ip("10.0.0.2"));
  CHECK(f->is_arp());
  CHECK_FALSE(f->is_rarp());
  CHECK(f->is_arp_request());
  CHECK_FALSE(f->is_arp_reply());
  CHECK_FALSE(f->is_gratuitous_arp());
  CHECK_FALSE(f->is_arp_probe());
  CHECK_FALSE(f->is_rarp_announce());
  CHECK(f->ipv4() == nullptr);
}

TEST_CASE("parse: Linux ARP reply, also when padded to 60 bytes") {
  ByteVector bytes = bytes_from_hex(golden::arp_reply);
  for (const ByteVector& v : {bytes, padded(bytes)}) {
    auto f = parse_frame(as_bytes(v));
    REQUIRE(f);
    CHECK(f->ethernet.dst == mac("52:54:00:12:34:56"));
    CHECK(f->is_arp_reply());
    CHECK_FALSE(f->is_arp_request());
    CHECK(f->arp()->sha == mac("52:54:00:ab:cd:ef"));
    CHECK(f->arp()->spa == ip("10.0.0.2"));
    CHECK(f->arp()->tha == mac("52:54:00:12:34:56"));
    CHECK(f->arp()->tpa == ip("10.0.0.1"));
    CHECK(f->payload.size() == v.size() - 14);  // padding stays in the L3 view
  }
}

TEST_CASE("parse: QEMU RARP announce") {
  ByteVector bytes = bytes_from_hex(golden::qemu_rarp_announce);
  REQUIRE(bytes.size() == 60);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  CHECK(f->ethernet.ethertype == ethertype::rarp);
  CHECK(f->ethernet.dst.is_broadcast());
  CHECK(f->is_rarp());
  CHECK_FALSE(f->is_arp());
  CHECK(f->is_rarp_announce());
  CHECK_FALSE(f->is_arp_request());
  CHECK_FALSE(f->is_gratuitous_arp());
  const Arp* a = f->arp();
  REQUIRE(a);
  CHECK(a->op == ArpOp::ReverseRequest);
  CHECK(a->sha == mac("52:54:00:12:34:56"));
  CHECK(a->tha == a->sha);
  CHECK(a->sha == f->ethernet.src);
  CHECK(a->spa.is_unspecified());
  CHECK(a->tpa.is_unspecified());
}

TEST_CASE("parse: ARP and RARP classification edge cases") {
  auto classify = [](std::string_view hex_text) {
    ByteVector v = bytes_from_hex(hex_text);
    auto f = parse_frame(as_bytes(v));
    REQUIRE(f);
    return *f;  // the spans dangle once v dies, but the predicates read only copied fields
  };
  const std::string eth_arp = "ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 ";
  const std::string eth_rarp = "ff ff ff ff ff ff 02 00 00 00 00 01 80 35 00 01 08 00 06 04 ";
  // Gratuitous request (RFC 5227 announcement): spa == tpa, tha zero.
  Frame g = classify(eth_arp + "00 01 02 00 00 00 00 01 0a 00 00 05 00 00 00 00 00 00 0a 00 00 05");
  CHECK(g.is_gratuitous_arp());
  CHECK(g.is_arp_request());
  CHECK_FALSE(g.is_arp_probe());
  // Gratuitous reply form: spa == tpa, tha = sha.
  Frame gr = classify(eth_arp + "00 02 02 00 00 00 00 01 0a 00 00 05 02 00 00 00 00 01 0a 00 00 05");
  CHECK(gr.is_gratuitous_arp());
  CHECK(gr.is_arp_reply());
  // Probe (RFC 5227 2.1.1): spa 0.0.0.0.
  Frame p = classify(eth_arp + "00 01 02 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 0a 00 00 05");
  CHECK(p.is_arp_probe());
  CHECK(p.is_arp_request());
  CHECK_FALSE(p.is_gratuitous_arp());
  // spa == tpa == 0.0.0.0 is not an announcement of anything.
  Frame z = classify(eth_arp + "00 01 02 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  CHECK_FALSE(z.is_gratuitous_arp());
  CHECK_FALSE(z.is_arp_probe());
  // Opcode 3 under the ARP ethertype is not a RARP announce.
  Frame a3 = classify(eth_arp + "00 03 02 00 00 00 00 01 00 00 00 00 02 00 00 00 00 01 00 00 00 00");
  CHECK_FALSE(a3.is_rarp_announce());
  CHECK_FALSE(a3.is_arp_request());
  // RARP request for someone else's address (sha != tha) is a real RARP query, not an announce.
  Frame q = classify(eth_rarp + "00 03 02 00 00 00 00 01 00 00 00 00 02 00 00 00 00 02 00 00 00 00");
  CHECK(q.is_rarp());
  CHECK_FALSE(q.is_rarp_announce());
  // RARP reply.
  Frame rr = classify(eth_rarp + "00 04 02 00 00 00 00 01 0a 00 00 01 02 00 00 00 00 01 0a 00 00 09");
  CHECK(rr.arp()->op == ArpOp::ReverseReply);
  CHECK_FALSE(rr.is_rarp_announce());
  // Unknown opcodes parse (unknown is not malformed) and match no predicate.
  Frame u = classify(eth_arp + "00 09 02 00 00 00 00 01 0a 00 00 05 00 00 00 00 00 00 0a 00 00 05");
  CHECK(static_cast<std::uint16_t>(u.arp()->op) == 9);
  CHECK_FALSE(u.is_arp_request());
  CHECK_FALSE(u.is_gratuitous_arp());
}

TEST_CASE("parse: 802.1Q tagged ARP request") {
  ByteVector bytes = bytes_from_hex(
      "ff ff ff ff ff ff 52 54 00 12 34 56 81 00 a0 64 08 06"
      "00 01 08 00 06 04 00 01 52 54 00 12 34 56 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02");
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  REQUIRE(f->ethernet.vlan_tci);
  CHECK(*f->ethernet.vlan_tci == 0xa064);  // PCP 5, VID 100
  CHECK(f->ethernet.vlan_id() == 100);
  CHECK(f->ethernet.ethertype == ethertype::arp);
  CHECK(f->ethernet.size() == 18);
  CHECK(f->is_arp_request());
  CHECK(f->arp()->tpa == ip("10.0.0.2"));
}

TEST_CASE("parse: 802.1Q tagged IPv4 and a double tag left unparsed") {
  ByteVector icmp = bytes_from_hex(golden::icmp_echo_request);
  ByteVector tagged(icmp.begin(), icmp.begin() + 12);
  for (auto b : bytes_from_hex("81 00 00 07")) tagged.push_back(b);
  tagged.insert(tagged.end(), icmp.begin() + 12, icmp.end());
  auto f = parse_frame(as_bytes(tagged));
  REQUIRE(f);
  CHECK(f->ethernet.vlan_id() == 7);
  REQUIRE(f->icmp());
  CHECK(f->icmp()->is_echo_request());
  CHECK(l4_checksum_ok(*f->ipv4()));

  ByteVector qinq = bytes_from_hex("ff ff ff ff ff ff 02 00 00 00 00 01 81 00 00 0a 81 00 00 14 08 00");
  auto q = parse_frame(as_bytes(qinq));
  REQUIRE(q);
  CHECK(q->ethernet.vlan_id() == 10);
  CHECK(q->ethernet.ethertype == ethertype::vlan);
  CHECK(std::holds_alternative<std::monostate>(q->l3));
  CHECK(q->payload.size() == 4);
}

TEST_CASE("parse: Linux ICMP echo request") {
  ByteVector bytes = bytes_from_hex(golden::icmp_echo_request);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  const Ipv4Packet* p = f->ipv4();
  REQUIRE(p);
  const Ipv4Header& h = p->header;
  CHECK(h.tos == 0);
  CHECK(h.total_length == 39);
  CHECK(h.identification == 0x0aff);
  CHECK(h.dont_fragment());
  CHECK_FALSE(h.is_fragment());
  CHECK(h.ttl == 64);
  CHECK(h.protocol == ip_protocol::icmp);
  CHECK(h.header_checksum == 0x1bd5);
  CHECK(h.src == ip("10.0.0.1"));
  CHECK(h.dst == ip("10.0.0.2"));
  CHECK(h.options.empty());
  CHECK(p->header_checksum_ok);
  CHECK(p->payload.size() == 19);
  const Icmp* icmp = f->icmp();
  REQUIRE(icmp);
  CHECK(icmp->is_echo_request());
  CHECK(icmp->identifier() == 0x1234);
  CHECK(icmp->sequence() == 1);
  CHECK(icmp->checksum == 0xc1ac);
  CHECK(to_hex(icmp->payload) == "01 02 03 04 05 06 07 08 09 0a 0b");
  CHECK(l4_checksum_ok(*p));
  CHECK(f->udp() == nullptr);
  CHECK(f->tcp() == nullptr);
  CHECK_FALSE(f->is_arp_request());
  CHECK_FALSE(f->is_rarp_announce());
}

TEST_CASE("parse: Linux ICMP port unreachable with TOS and no DF") {
  ByteVector bytes = bytes_from_hex(golden::icmp_port_unreachable);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  CHECK(f->ipv4()->header.tos == 0xc0);
  CHECK_FALSE(f->ipv4()->header.dont_fragment());
  CHECK(f->ipv4()->header_checksum_ok);
  const Icmp* icmp = f->icmp();
  REQUIRE(icmp);
  CHECK(icmp->type == icmp_type::destination_unreachable);
  CHECK(icmp->code == 3);
  CHECK(icmp->rest_of_header == 0);
  CHECK(icmp->payload.size() == 37);  // the quoted IPv4 header and UDP datagram
  CHECK(l4_checksum_ok(*f->ipv4()));
  // The quoted datagram parses on its own.
  auto quoted = parse_ipv4(icmp->payload, 42);
  REQUIRE(quoted);
  REQUIRE(std::get_if<Udp>(&quoted->l4));
  CHECK(std::get<Udp>(quoted->l4).dst_port == 5353);
}

TEST_CASE("parse: Linux UDP datagram") {
  ByteVector bytes = bytes_from_hex(golden::udp_datagram);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  const Udp* u = f->udp();
  REQUIRE(u);
  CHECK(u->src_port == 40000);
  CHECK(u->dst_port == 5353);
  CHECK(u->length == 17);
  CHECK(u->checksum == 0x1149);
  CHECK(std::string_view(reinterpret_cast<const char*>(u->payload.data()), u->payload.size()) ==
        "hello udp");
  CHECK(u->payload.data() == bytes.data() + 42);
  CHECK(l4_checksum_ok(*f->ipv4()));
}

TEST_CASE("parse: Linux TCP SYN with options and a data segment") {
  ByteVector syn_bytes = bytes_from_hex(golden::tcp_syn);
  auto syn = parse_frame(as_bytes(syn_bytes));
  REQUIRE(syn);
  const Tcp* t = syn->tcp();
  REQUIRE(t);
  CHECK(t->src_port == 40001);
  CHECK(t->dst_port == 8080);
  CHECK(t->sequence_number == 0xcc215534u);
  CHECK(t->acknowledgment_number == 0);
  CHECK(t->flags == tcp_flag::syn);
  CHECK(t->has(tcp_flag::syn));
  CHECK_FALSE(t->has(tcp_flag::ack));
  CHECK(t->window == 64240);
  CHECK(t->checksum == 0x5721);
  CHECK(t->urgent_pointer == 0);
  CHECK(t->options.size() == 20);
  CHECK(to_hex(t->options.first(4)) == "02 04 05 b4");  // MSS 1460
  CHECK(t->header_length() == 40);
  CHECK(t->payload.empty());
  CHECK(l4_checksum_ok(*syn->ipv4()));

  ByteVector data_bytes = bytes_from_hex(golden::tcp_data);
  auto data = parse_frame(as_bytes(data_bytes));
  REQUIRE(data);
  REQUIRE(data->tcp());
  CHECK(data->tcp()->flags == (tcp_flag::psh | tcp_flag::ack));
  CHECK(data->tcp()->acknowledgment_number == 0xf8f2258du);
  CHECK(data->tcp()->options.size() == 12);
  CHECK(to_hex(data->tcp()->payload) == "68 69");
  CHECK(l4_checksum_ok(*data->ipv4()));
}

TEST_CASE("parse: IPv4 padding beyond total_length is not payload") {
  ByteVector bytes = padded(bytes_from_hex(golden::udp_datagram));
  REQUIRE(bytes.size() == 60);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  CHECK(f->payload.size() == 46);
  CHECK(f->ipv4()->payload.size() == 17);
  CHECK(f->udp()->payload.size() == 9);
  CHECK(l4_checksum_ok(*f->ipv4()));
}

TEST_CASE("parse: UDP length shorter than the IPv4 payload limits the UDP payload") {
  // The checksum covers only the UDP length, so it stays valid with trailing bytes added.
  ByteVector bytes = bytes_from_hex(golden::udp_datagram);
  bytes.push_back(std::byte{0xee});
  bytes[17] = std::byte{0x26};  // total length 38: one byte after the datagram
  bytes[24] = std::byte{0};     // recompute the header checksum
  bytes[25] = std::byte{0};
  std::uint16_t c = internet_checksum(ByteSpan(bytes).subspan(14, 20));
  bytes[24] = std::byte(c >> 8);
  bytes[25] = std::byte(c & 0xff);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  CHECK(f->ipv4()->header_checksum_ok);
  CHECK(f->ipv4()->payload.size() == 18);
  CHECK(f->udp()->payload.size() == 9);
  CHECK(l4_checksum_ok(*f->ipv4()));
}

TEST_CASE("parse: fragments and unknown protocols keep the L4 unparsed") {
  ByteVector bytes = bytes_from_hex(golden::udp_datagram);
  SECTION("first fragment (MF set)") {
    bytes[20] = std::byte{0x20};  // flags: MF, offset 0
  }
  SECTION("later fragment (offset 8 bytes)") {
    bytes[20] = std::byte{0x00};
    bytes[21] = std::byte{0x01};
  }
  SECTION("protocol 47 (GRE)") {
    bytes[23] = std::byte{47};
  }
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  const Ipv4Packet* p = f->ipv4();
  REQUIRE(p);
  CHECK(std::holds_alternative<std::monostate>(p->l4));
  CHECK(p->payload.size() == 17);
  CHECK_FALSE(p->header_checksum_ok);  // we changed the header without fixing its checksum
  CHECK_FALSE(l4_checksum_ok(*p));
}

TEST_CASE("parse: fragment offset helpers") {
  Ipv4Header h;
  h.flags_fragment = 0x2000 | 185;  // MF, offset 185 * 8
  CHECK(h.more_fragments());
  CHECK_FALSE(h.dont_fragment());
  CHECK(h.fragment_offset() == 1480);
  CHECK(h.is_fragment());
  h.flags_fragment = ipv4_flag::dont_fragment;
  CHECK_FALSE(h.is_fragment());
}

TEST_CASE("parse: IPv4 options are a view") {
  // A header with IHL 6 carrying a 4-byte option (router alert, RFC 2113), protocol 2 (IGMP).
  ByteVector bytes = bytes_from_hex(
      "01 00 5e 00 00 16 02 00 00 00 00 01 08 00"
      "46 c0 00 20 00 00 40 00 01 02 00 00 0a 00 00 01 e0 00 00 16 94 04 00 00"
      "22 00 f9 02 00 00 00 00");
  std::uint16_t c = internet_checksum(ByteSpan(bytes).subspan(14, 24));
  bytes[24] = std::byte(c >> 8);
  bytes[25] = std::byte(c & 0xff);
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  const Ipv4Header& h = f->ipv4()->header;
  CHECK(h.header_length() == 24);
  CHECK(to_hex(h.options) == "94 04 00 00");
  CHECK(h.options.data() == bytes.data() + 34);
  CHECK(f->ipv4()->header_checksum_ok);
  CHECK(f->ipv4()->payload.size() == 8);
}

TEST_CASE("parse: unknown ethertype keeps the payload as a view") {
  ByteVector bytes = bytes_from_hex("33 33 00 00 00 01 02 00 00 00 00 01 86 dd 60 00 00 00");
  auto f = parse_frame(as_bytes(bytes));
  REQUIRE(f);
  CHECK(f->ethernet.ethertype == 0x86dd);
  CHECK(std::holds_alternative<std::monostate>(f->l3));
  CHECK(f->payload.size() == 4);
  CHECK_FALSE(f->is_arp());
  CHECK_FALSE(f->is_rarp_announce());
}
