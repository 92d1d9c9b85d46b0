#include <catch2/catch.hpp>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"

using namespace vmnmob;

TEST_CASE("ByteReader reads big-endian and fails sticky past the end") {
  ByteVector v = bytes_from_hex("01 0203 04050607 08090a0b0c0d0e0f ff");
  ByteReader r(as_bytes(v), 100);
  CHECK(r.u8() == 0x01);
  CHECK(r.u16() == 0x0203);
  CHECK(r.u32() == 0x04050607u);
  CHECK(r.u64() == 0x08090a0b0c0d0e0full);
  CHECK(r.ok());
  CHECK(r.offset() == 115);
  CHECK(r.u16() == 0);  // only one byte left
  CHECK(r.failed());
  CHECK(r.fail_offset() == 115);
  CHECK(r.u8() == 0);  // sticky: even a fitting read fails now
}

TEST_CASE("ByteReader sub-readers keep absolute offsets and cannot overrun the parent") {
  ByteVector v = bytes_from_hex("00 11 22 33 44");
  ByteReader r(as_bytes(v));
  r.skip(1);
  ByteReader s = r.sub(2);
  CHECK(s.remaining() == 2);
  CHECK(s.offset() == 1);
  CHECK(s.u16() == 0x1122);
  CHECK(s.u8() == 0);
  CHECK(s.fail_offset() == 3);
  ByteReader too_long = r.sub(5);
  CHECK(too_long.failed());
  CHECK(r.failed());
}

TEST_CASE("ByteWriter patches lengths and pads") {
  ByteVector out;
  ByteWriter w(out);
  w.u16(0);
  w.u8(7);
  w.pad_to(0, 8);
  w.patch_u16(0, static_cast<std::uint16_t>(out.size()));
  CHECK(to_hex(as_bytes(out)) == "00 08 07 00 00 00 00 00");
  ByteVector name;
  ByteWriter(name).fixed_string("a-very-long-port-name", 16);
  CHECK(name.size() == 16);
  CHECK(name[15] == std::byte{0});
}

TEST_CASE("Payload borrows, owns, and compares by content") {
  ByteVector v = bytes_from_hex("de ad be ef");
  Payload borrowed = Payload::borrow(as_bytes(v));
  CHECK(borrowed.borrowed());
  Payload owned{ByteVector(v)};
  CHECK_FALSE(owned.borrowed());
  CHECK(borrowed == owned);
  Payload copy = owned;
  CHECK(copy.span().data() != owned.span().data());
  borrowed.own();
  CHECK_FALSE(borrowed.borrowed());
  v[0] = std::byte{0};
  CHECK(borrowed == owned);
}

TEST_CASE("Address parsing accepts the usual forms and rejects the rest") {
  CHECK(MacAddress::parse("52:54:00:12:34:56")->to_string() == "52:54:00:12:34:56");
  CHECK(MacAddress::parse("52-54-00-12-34-56").has_value());
  CHECK_FALSE(MacAddress::parse("52:54:00:12:34").has_value());
  CHECK_FALSE(MacAddress::parse("52:54:00:12:34:5g").has_value());
  CHECK(Ipv4Address::parse("192.168.1.100")->value == 0xc0a80164u);
  CHECK_FALSE(Ipv4Address::parse("192.168.1").has_value());
  CHECK_FALSE(Ipv4Address::parse("192.168.1.256").has_value());
  CHECK_FALSE(Ipv4Address::parse("1.2.3.4.5").has_value());
  auto p = Ipv4Prefix::parse("10.10.0.0/24");
  REQUIRE(p);
  CHECK(p->contains(*Ipv4Address::parse("10.10.0.77")));
  CHECK_FALSE(p->contains(*Ipv4Address::parse("10.10.1.1")));
  CHECK(Ipv4Prefix{{0}, 0}.mask() == 0);
}
