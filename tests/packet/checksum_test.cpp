#include <catch2/catch.hpp>

#include "golden_frames.hpp"
#include "test_util.hpp"
#include "vmnmob/packet/checksum.hpp"
#include "vmnmob/packet/frame.hpp"

using namespace vmnmob;
using namespace vmnmob::packet;
using namespace packet_test;

TEST_CASE("checksum: RFC 1071 section 3 numerical example") {
  // Bytes 00 01 f2 03 f4 f5 f6 f7: the one's-complement sum is 0xddf2, the checksum ~0xddf2.
  ByteVector v = bytes_from_hex("00 01 f2 03 f4 f5 f6 f7");
  InternetChecksum c;
  c.add(as_bytes(v));
  CHECK(c.sum() == 0xddf2);
  CHECK(c.checksum() == 0x220d);
  CHECK(internet_checksum(as_bytes(v)) == 0x220d);
  // RFC 1071 section 2(C): byte order independence; the swapped data sums to the swapped sum.
  ByteVector swapped = bytes_from_hex("01 00 03 f2 f5 f4 f7 f6");
  InternetChecksum s;
  s.add(as_bytes(swapped));
  CHECK(s.sum() == 0xf2dd);
}

TEST_CASE("checksum: known IPv4 header (the common textbook example)") {
  // 192.168.0.1 -> 192.168.0.199, UDP, total length 115, DF, TTL 64: checksum 0xb861.
  ByteVector header = bytes_from_hex("45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7");
  CHECK(internet_checksum(as_bytes(header)) == 0xb861);
  header[10] = std::byte{0xb8};
  header[11] = std::byte{0x61};
  CHECK(internet_checksum_ok(as_bytes(header)));
  CHECK(internet_checksum(as_bytes(header)) == 0);
  header[11] = std::byte{0x62};
  CHECK_FALSE(internet_checksum_ok(as_bytes(header)));
}

TEST_CASE("checksum: the Linux frames' IPv4 header checksums") {
  for (std::string_view g : {golden::icmp_echo_request, golden::udp_datagram, golden::tcp_syn,
                             golden::tcp_data, golden::icmp_port_unreachable}) {
    ByteVector v = bytes_from_hex(g);
    ByteSpan header = ByteSpan(v).subspan(14, 20);
    CHECK(internet_checksum_ok(header));
    const std::uint16_t stored = static_cast<std::uint16_t>(std::to_integer<unsigned>(v[24]) << 8 |
                                                            std::to_integer<unsigned>(v[25]));
    v[24] = std::byte{0};
    v[25] = std::byte{0};
    CHECK(internet_checksum(ByteSpan(v).subspan(14, 20)) == stored);
  }
}

TEST_CASE("checksum: pieces of any length sum like the whole") {
  ByteVector v = bytes_from_hex(golden::tcp_syn);
  const std::uint16_t whole = internet_checksum(as_bytes(v));
  for (std::size_t a = 0; a <= v.size(); ++a)
    for (std::size_t b = a; b <= v.size(); b += 7) {
      InternetChecksum c;
      c.add(ByteSpan(v).first(a));
      c.add(ByteSpan(v).subspan(a, b - a));
      c.add(ByteSpan(v).subspan(b));
      CHECK(c.checksum() == whole);
    }
}

TEST_CASE("checksum: add_u16 and add_u32 equal adding their big-endian bytes, even after odd") {
  ByteVector prefix = bytes_from_hex("12 34 56");
  ByteVector word = bytes_from_hex("ab cd ef 01");
  for (std::size_t cut : {0u, 1u, 2u, 3u}) {
    InternetChecksum bytes_way;
    bytes_way.add(ByteSpan(prefix).first(cut));
    bytes_way.add(as_bytes(word));
    InternetChecksum word_way;
    word_way.add(ByteSpan(prefix).first(cut));
    word_way.add_u32(0xabcdef01u);
    CHECK(bytes_way.sum() == word_way.sum());
  }
}

TEST_CASE("checksum: carries fold back (end-around carry)") {
  ByteVector ones(4000, std::byte{0xff});
  ones.push_back(std::byte{0x00});
  ones.push_back(std::byte{0x01});
  // 2000 words of 0xffff (each is -0) plus 1: the sum is 1.
  InternetChecksum c;
  c.add(as_bytes(ones));
  CHECK(c.sum() == 0x0001);
  CHECK(c.checksum() == 0xfffe);
  InternetChecksum zero;
  CHECK(zero.sum() == 0);
  CHECK(zero.checksum() == 0xffff);
}

TEST_CASE("checksum: transport checksum with the pseudo-header") {
  ByteVector v = bytes_from_hex(golden::udp_datagram);
  ByteSpan segment = ByteSpan(v).subspan(34);
  CHECK(transport_checksum(ip("10.0.0.1"), ip("10.0.0.2"), ip_protocol::udp, segment) == 0);
  // The pseudo-header matters: another address or protocol breaks it.
  CHECK(transport_checksum(ip("10.0.0.3"), ip("10.0.0.2"), ip_protocol::udp, segment) != 0);
  CHECK(transport_checksum(ip("10.0.0.1"), ip("10.0.0.2"), ip_protocol::tcp, segment) != 0);
  v[40] = std::byte{0};
  v[41] = std::byte{0};
  CHECK(transport_checksum(ip("10.0.0.1"), ip("10.0.0.2"), ip_protocol::udp,
                           ByteSpan(v).subspan(34)) == 0x1149);
}

TEST_CASE("checksum: l4_checksum_ok detects corruption anywhere in the segment") {
  for (std::string_view g : {golden::icmp_echo_request, golden::udp_datagram, golden::tcp_syn,
                             golden::tcp_data, golden::icmp_port_unreachable}) {
    ByteVector v = bytes_from_hex(g);
    {
      auto f = parse_frame(as_bytes(v));
      REQUIRE(f);
      CHECK(l4_checksum_ok(*f->ipv4()));
    }
    for (std::size_t i = 34; i < v.size(); ++i) {
      ByteVector bad = v;
      bad[i] ^= std::byte{0x04};
      auto f = parse_frame(as_bytes(bad));
      if (!f) continue;  // e.g. a length field became inconsistent
      CHECK_FALSE(l4_checksum_ok(*f->ipv4()));
    }
    // A different address in the IPv4 header breaks UDP/TCP (pseudo-header), not ICMP.
    ByteVector moved = v;
    moved[33] ^= std::byte{0x01};
    auto f = parse_frame(as_bytes(moved));
    REQUIRE(f);
    CHECK_FALSE(f->ipv4()->header_checksum_ok);
    CHECK(l4_checksum_ok(*f->ipv4()) == (f->ipv4()->header.protocol == ip_protocol::icmp));
  }
}

TEST_CASE("checksum: a UDP checksum of zero means none was sent") {
  ByteVector v = bytes_from_hex(golden::udp_datagram);
  v[40] = std::byte{0};
  v[41] = std::byte{0};
  auto f = parse_frame(as_bytes(v));
  REQUIRE(f);
  CHECK(f->udp()->checksum == 0);
  CHECK(l4_checksum_ok(*f->ipv4()));
}
