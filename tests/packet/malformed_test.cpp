#include <catch2/catch.hpp>

#include <random>
#include <tuple>

#include "golden_frames.hpp"
#include "test_util.hpp"
#include "vmnmob/packet/build.hpp"
#include "vmnmob/packet/checksum.hpp"
#include "vmnmob/packet/frame.hpp"

using namespace vmnmob;
using namespace vmnmob::packet;
using namespace packet_test;

namespace {

PacketError parse_error(const ByteVector& v) {
  auto f = parse_frame(as_bytes(v));
  REQUIRE_FALSE(f);
  return f.error();
}

const std::string_view all_golden[] = {
    golden::arp_request,   golden::arp_reply, golden::icmp_echo_request,
    golden::udp_datagram,  golden::icmp_port_unreachable,
    golden::tcp_syn,       golden::tcp_data,  golden::qemu_rarp_announce};

}  // namespace

TEST_CASE("malformed: every truncation of every unpadded frame fails cleanly") {
  for (std::string_view g : all_golden) {
    ByteVector v = bytes_from_hex(g);
    // The RARP golden frame is padded: only cuts inside its 42 bytes of headers must fail.
    const std::size_t meaningful = g == golden::qemu_rarp_announce ? 42 : v.size();
    for (std::size_t n = 0; n < meaningful; ++n) {
      // A copy of exactly n bytes, so a read past it would be caught by ASan too.
      ByteVector cut(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
      auto f = parse_frame(as_bytes(cut));
      INFO("frame " << g.substr(0, 40) << "... cut at " << n);
      REQUIRE_FALSE(f);
      const PacketError& e = f.error();
      CHECK((e.code == PacketErrc::Truncated || e.code == PacketErrc::LengthBeyondData));
      CHECK(e.offset <= n);
      CHECK(e.bound <= n);
      CHECK(e.value > e.bound);
      CHECK_FALSE(e.to_string().empty());
    }
    for (std::size_t n = meaningful; n <= v.size(); ++n) {
      ByteVector cut(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
      CHECK(parse_frame(as_bytes(cut)));
    }
  }
}

TEST_CASE("malformed: truncation errors name the header and where it starts") {
  ByteVector arp = bytes_from_hex(golden::arp_request);
  CHECK(parse_error(ByteVector(arp.begin(), arp.begin() + 10)) ==
        PacketError{PacketErrc::Truncated, 0, "ethernet header", 14, 10});
  CHECK(parse_error(ByteVector(arp.begin(), arp.begin() + 20)) ==
        PacketError{PacketErrc::Truncated, 14, "arp header", 28, 6});
  CHECK(parse_error(ByteVector(arp.begin(), arp.begin() + 41)) ==
        PacketError{PacketErrc::Truncated, 14, "arp header", 28, 27});
  CHECK(parse_error(ByteVector(arp.begin(), arp.begin() + 20)).to_string() ==
        "arp header at byte 14 needs 28 bytes but only 6 remain");

  ByteVector tagged = bytes_from_hex("ff ff ff ff ff ff 52 54 00 12 34 56 81 00 00");
  CHECK(parse_error(tagged) ==
        PacketError{PacketErrc::Truncated, 0, "802.1Q tagged ethernet header", 18, 15});

  ByteVector icmp = bytes_from_hex(golden::icmp_echo_request);
  CHECK(parse_error(ByteVector(icmp.begin(), icmp.begin() + 30)) ==
        PacketError{PacketErrc::Truncated, 14, "ipv4 header", 20, 16});

  // An IPv4 total length that leaves too little for the ICMP/UDP/TCP header.
  for (auto [g, field, needed] : {std::tuple{golden::icmp_echo_request, "icmp header", 8},
                                  std::tuple{golden::udp_datagram, "udp header", 8},
                                  std::tuple{golden::tcp_syn, "tcp header", 20}}) {
    ByteVector v = bytes_from_hex(g);
    v[16] = std::byte{0};
    v[17] = std::byte{20 + 4};
    PacketError e = parse_error(v);
    CHECK(e == PacketError{PacketErrc::Truncated, 34, field, static_cast<std::uint32_t>(needed), 4});
  }
}

TEST_CASE("malformed: bad IHL") {
  ByteVector v = bytes_from_hex(golden::icmp_echo_request);
  SECTION("below 5 words") {
    v[14] = std::byte{0x44};
    CHECK(parse_error(v) == PacketError{PacketErrc::LengthTooSmall, 14, "ipv4.ihl", 4, 5});
    CHECK(parse_error(v).to_string() == "ipv4.ihl 4 at byte 14 is below the minimum 5");
  }
  SECTION("zero") {
    v[14] = std::byte{0x40};
    CHECK(parse_error(v) == PacketError{PacketErrc::LengthTooSmall, 14, "ipv4.ihl", 0, 5});
  }
  SECTION("longer than the total length") {
    v[14] = std::byte{0x4f};  // 60-byte header in a 39-byte datagram
    CHECK(parse_error(v) ==
          PacketError{PacketErrc::LengthTooSmall, 16, "ipv4.total_length", 39, 60});
  }
}

TEST_CASE("malformed: IPv4 version other than 4") {
  ByteVector v = bytes_from_hex(golden::icmp_echo_request);
  v[14] = std::byte{0x65};
  CHECK(parse_error(v) == PacketError{PacketErrc::BadValue, 14, "ipv4.version", 6, 4});
}

TEST_CASE("malformed: IPv4 total length beyond the frame") {
  ByteVector v = bytes_from_hex(golden::icmp_echo_request);
  v[16] = std::byte{0x05};
  v[17] = std::byte{0xdc};  // 1500
  PacketError e = parse_error(v);
  CHECK(e == PacketError{PacketErrc::LengthBeyondData, 16, "ipv4.total_length", 1500, 39});
  CHECK(e.to_string() == "ipv4.total_length 1500 at byte 16 exceeds the 39 bytes available");
  // One byte too many is enough.
  v[16] = std::byte{0};
  v[17] = std::byte{40};
  CHECK(parse_error(v).code == PacketErrc::LengthBeyondData);
  // Below the header length.
  v[17] = std::byte{19};
  CHECK(parse_error(v) == PacketError{PacketErrc::LengthTooSmall, 16, "ipv4.total_length", 19, 20});
}

TEST_CASE("malformed: ARP with wrong sizes or protocol") {
  ByteVector v = bytes_from_hex(golden::arp_request);
  SECTION("hlen 8") {
    v[18] = std::byte{8};
    PacketError e = parse_error(v);
    CHECK(e == PacketError{PacketErrc::BadValue, 18, "arp.hlen", 8, 6});
    CHECK(e.to_string() == "arp.hlen 0x8 at byte 18 is not supported (expected 0x6)");
  }
  SECTION("plen 16 (IPv6-sized)") {
    v[19] = std::byte{16};
    CHECK(parse_error(v) == PacketError{PacketErrc::BadValue, 19, "arp.plen", 16, 4});
  }
  SECTION("ptype IPv6") {
    v[16] = std::byte{0x86};
    v[17] = std::byte{0xdd};
    CHECK(parse_error(v) == PacketError{PacketErrc::BadValue, 16, "arp.ptype", 0x86dd, 0x0800});
  }
  SECTION("wrong hlen is reported even when the frame is short") {
    v[18] = std::byte{0};
    v.resize(22);
    CHECK(parse_error(v).field == "arp.hlen");
  }
  SECTION("the same checks apply to RARP") {
    ByteVector r = bytes_from_hex(golden::qemu_rarp_announce);
    r[19] = std::byte{6};
    CHECK(parse_error(r) == PacketError{PacketErrc::BadValue, 19, "arp.plen", 6, 4});
  }
}

TEST_CASE("malformed: UDP length") {
  ByteVector v = bytes_from_hex(golden::udp_datagram);
  SECTION("below the header") {
    v[39] = std::byte{7};
    CHECK(parse_error(v) == PacketError{PacketErrc::LengthTooSmall, 38, "udp.length", 7, 8});
  }
  SECTION("beyond the IPv4 payload") {
    v[39] = std::byte{18};
    CHECK(parse_error(v) == PacketError{PacketErrc::LengthBeyondData, 38, "udp.length", 18, 17});
  }
}

TEST_CASE("malformed: TCP data offset") {
  ByteVector v = bytes_from_hex(golden::tcp_syn);
  SECTION("below 5 words") {
    v[46] = std::byte{0x40};
    CHECK(parse_error(v) == PacketError{PacketErrc::LengthTooSmall, 46, "tcp.data_offset", 4, 5});
  }
  SECTION("beyond the segment") {
    v[46] = std::byte{0xf0};  // 60 bytes of header in a 40-byte segment
    CHECK(parse_error(v) ==
          PacketError{PacketErrc::LengthBeyondData, 46, "tcp.data_offset*4", 60, 40});
  }
}

TEST_CASE("malformed: tagged frames report absolute offsets") {
  ByteVector v = bytes_from_hex(golden::udp_datagram);
  ByteVector tagged(v.begin(), v.begin() + 12);
  for (auto b : bytes_from_hex("81 00 00 05")) tagged.push_back(b);
  tagged.insert(tagged.end(), v.begin() + 12, v.end());
  tagged[43] = std::byte{7};  // UDP length, 4 bytes later than untagged
  CHECK(parse_error(tagged) == PacketError{PacketErrc::LengthTooSmall, 42, "udp.length", 7, 8});
}

TEST_CASE("malformed: random mutations never crash and what parses re-encodes consistently") {
  std::mt19937 rng(12345);  // fixed seed: reproducible
  std::size_t parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    ByteVector v = bytes_from_hex(all_golden[static_cast<std::size_t>(round) % std::size(all_golden)]);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i)
      v[rng() % v.size()] = static_cast<std::byte>(rng() & 0xff);
    if (rng() % 4 == 0) v.resize(rng() % (v.size() + 1));
    ByteVector exact(v);  // heap copy of exactly v.size() bytes for ASan
    auto f = parse_frame(as_bytes(exact));
    if (!f) {
      CHECK(f.error().offset <= exact.size());
      continue;
    }
    ++parsed;
    // Every view lies inside the input.
    const std::byte* lo = exact.data();
    const std::byte* hi = exact.data() + exact.size();
    auto inside = [&](ByteSpan s) { return s.empty() || (s.data() >= lo && s.data() + s.size() <= hi); };
    CHECK(inside(f->payload));
    if (const Ipv4Packet* p = f->ipv4()) {
      CHECK(inside(p->payload));
      CHECK(inside(p->header.options));
      if (f->tcp()) CHECK((inside(f->tcp()->options) && inside(f->tcp()->payload)));
      if (f->udp()) CHECK(inside(f->udp()->payload));
      if (f->icmp()) CHECK(inside(f->icmp()->payload));
      (void)l4_checksum_ok(*p);
    }
    ByteVector rebuilt;
    REQUIRE(build_frame(rebuilt, *f));
    auto again = parse_frame(as_bytes(rebuilt));
    REQUIRE(again);
    CHECK(again->ethernet == f->ethernet);
    CHECK(again->l3.index() == f->l3.index());
    if (f->arp()) CHECK(*again->arp() == *f->arp());
    if (const Ipv4Packet* p = f->ipv4()) {
      CHECK(again->ipv4()->header_checksum_ok);
      CHECK(again->ipv4()->header.src == p->header.src);
      CHECK(again->ipv4()->header.options.size() == p->header.options.size());
      CHECK(again->ipv4()->l4.index() == p->l4.index());
      if (!p->header.is_fragment() && p->l4.index() != 0) CHECK(l4_checksum_ok(*again->ipv4()));
    }
  }
  CHECK(parsed > 1000);  // the mutations must not all be rejected, or this tests little
}
