// OXM match codec: the field table, golden bytes, round trips for all 40 basic fields,
// unknown classes, decode errors and validate().
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "vmnmob/ofp/match.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

ByteVector encode(const Match& m) {
  ByteVector out;
  ByteWriter w(out);
  encode_match(m, w);
  return out;
}

std::string hex(const ByteVector& v) { return to_hex(as_bytes(v)); }

Result<Match> decode(const ByteVector& bytes, std::size_t base = 0) {
  ByteReader r(as_bytes(bytes), base);
  return decode_match(r);
}

OxmField field_at(std::size_t i) { return static_cast<OxmField>(i); }

// A value for `info` that uses every significant bit position somewhere but none beyond
// `bits`, so BAD_VALUE cannot trigger and a byte-order mistake would show.
ByteVector sample_value(const OxmFieldInfo& info) {
  ByteVector v(info.width);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::byte>(0x5a + 0x13 * i);
  std::size_t spare_bits = std::size_t{info.width} * 8 - info.bits;
  for (std::size_t i = 0; spare_bits > 0; ++i) {
    const std::size_t clear = spare_bits < 8 ? spare_bits : 8;
    v[i] &= static_cast<std::byte>(0xffu >> clear);
    spare_bits -= clear;
  }
  return v;
}

// Prepends the chain of prerequisites the table names, using each prerequisite's first value.
void add_with_prerequisites(Match& m, OxmField f, const ByteVector& value, const ByteVector& mask) {
  const OxmFieldInfo& info = oxm_field_info(f);
  if (info.prerequisite) {
    const OxmPrerequisite& pre = *info.prerequisite;
    const OxmFieldInfo& pre_info = oxm_field_info(pre.field);
    ByteVector pre_value(pre_info.width);
    if (pre.kind == OxmPrerequisite::Kind::Present) {
      pre_value = sample_value(pre_info);
    } else {
      std::uint64_t v = pre.values[0];
      for (std::size_t i = pre_value.size(); i > 0; --i, v >>= 8)
        pre_value[i - 1] = static_cast<std::byte>(v & 0xff);
    }
    add_with_prerequisites(m, pre.field, pre_value, {});
  }
  m.add(OxmTlv(f, as_bytes(value), as_bytes(mask)));
}

bool is_masked_in_spec(OxmField f) {
  // Spec 1.3.5 table 12, "Mask" column.
  static const std::set<OxmField> maskable = {
      OxmField::Metadata, OxmField::EthDst,     OxmField::EthSrc,  OxmField::VlanVid,
      OxmField::Ipv4Src,  OxmField::Ipv4Dst,    OxmField::ArpSpa,  OxmField::ArpTpa,
      OxmField::ArpSha,   OxmField::ArpTha,     OxmField::Ipv6Src, OxmField::Ipv6Dst,
      OxmField::Ipv6Flabel, OxmField::PbbIsid,  OxmField::TunnelId, OxmField::Ipv6Exthdr};
  return maskable.count(f) != 0;
}

void check_error(const Result<Match>& r, BadMatchCode code, std::size_t offset) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().type == ErrorType::BadMatch);
  CHECK(r.error().code == static_cast<std::uint16_t>(code));
  CHECK(r.error().offset == offset);
  CHECK_FALSE(r.error().detail.empty());
}

void check_invalid(const Match& m, BadMatchCode code, std::size_t offset) {
  Status s = validate(m);
  REQUIRE_FALSE(s.has_value());
  INFO(s.error().to_string());
  CHECK(s.error().type == ErrorType::BadMatch);
  CHECK(s.error().code == static_cast<std::uint16_t>(code));
  CHECK(s.error().offset == offset);
}

}  // namespace

TEST_CASE("The field table follows spec table 12") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kOxmBasicFieldCount; ++i) {
    const OxmFieldInfo* info = oxm_field_info(static_cast<std::uint8_t>(i));
    REQUIRE(info != nullptr);
    CHECK(static_cast<std::size_t>(info->field) == i);
    CHECK(&oxm_field_info(field_at(i)) == info);
    CHECK(info->maskable == is_masked_in_spec(info->field));
    CHECK(info->bits <= info->width * 8);
    names.insert(info->name);
  }
  CHECK(names.size() == kOxmBasicFieldCount);
  CHECK(oxm_field_info(std::uint8_t{40}) == nullptr);
  CHECK(oxm_field_info(std::uint8_t{127}) == nullptr);
  CHECK(oxm_field_info(OxmField{200}).width == 0);  // never a dangling reference

  CHECK(oxm_field_info(OxmField::InPort).width == 4);
  CHECK(oxm_field_info(OxmField::Metadata).width == 8);
  CHECK(oxm_field_info(OxmField::VlanVid).width == 2);
  CHECK(oxm_field_info(OxmField::VlanVid).bits == 13);
  CHECK(oxm_field_info(OxmField::Ipv6NdTarget).width == 16);
  CHECK(oxm_field_info(OxmField::PbbIsid).width == 3);
  CHECK(oxm_field_info(OxmField::MplsLabel).width == 4);
  CHECK(oxm_field_info(OxmField::MplsLabel).bits == 20);
  CHECK(oxm_field_info(OxmField::MplsBos).bits == 1);
  CHECK(oxm_field_info(OxmField::Ipv6Exthdr).bits == 9);
  CHECK(oxm_field_info(OxmField::Ipv4Dst).name == "ipv4_dst");

  const auto& tcp = *oxm_field_info(OxmField::TcpSrc).prerequisite;
  CHECK(tcp.field == OxmField::IpProto);
  CHECK(tcp.values[0] == 6);
  const auto& nd = *oxm_field_info(OxmField::Ipv6NdTarget).prerequisite;
  CHECK(nd.field == OxmField::Icmpv6Type);
  CHECK(nd.values == std::array<std::uint16_t, 2>{135, 136});
  CHECK(oxm_field_info(OxmField::Ipv6NdTll).prerequisite->values[0] == 136);
  CHECK(oxm_field_info(OxmField::MplsTc).prerequisite->values ==
        std::array<std::uint16_t, 2>{0x8847, 0x8848});
  CHECK(oxm_field_info(OxmField::PbbIsid).prerequisite->values[0] == 0x88e7);
  CHECK(oxm_field_info(OxmField::VlanPcp).prerequisite->kind == OxmPrerequisite::Kind::HasBits);
  CHECK(oxm_field_info(OxmField::InPhyPort).prerequisite->kind == OxmPrerequisite::Kind::Present);
  CHECK_FALSE(oxm_field_info(OxmField::TunnelId).prerequisite.has_value());
}

// Bytes written from spec 7.2.2/7.2.3; `ovs-ofctl ofp-print` (OVS 3.1) decodes them, inside a
// FLOW_MOD, as "ip,in_port=1,nw_dst=10.0.0.0/24".
TEST_CASE("Golden match: in_port=1, eth_type=0x0800, ipv4_dst=10.0.0.0/255.255.255.0") {
  const ByteVector golden = bytes_from_hex(
      "0001 001e"                    // OFPMT_OXM, length 30 (without padding)
      "80000004 00000001"            // in_port = 1
      "80000a02 0800"                // eth_type = IPv4
      "80001908 0a000000 ffffff00"   // ipv4_dst (field 12, hasmask) = 10.0.0.0/24
      "0000");                       // padding to 32
  Match m;
  m.add(OxmField::InPort, 1)
      .add(OxmField::EthType, 0x0800)
      .add(OxmField::Ipv4Dst, Ipv4Address{0x0a000000}, Ipv4Address{0xffffff00});
  CHECK(hex(encode(m)) == hex(golden));
  CHECK(validate(m).has_value());

  auto decoded = decode(golden);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == m);
  CHECK(decoded->get_uint(OxmField::InPort) == 1u);
  CHECK(decoded->get_uint(OxmField::EthType) == 0x0800u);
  const OxmTlv* dst = decoded->find(OxmField::Ipv4Dst);
  REQUIRE(dst != nullptr);
  CHECK(dst->has_mask());
  CHECK(dst->value_uint() == 0x0a000000u);
  CHECK(dst->mask_uint() == 0xffffff00u);
  CHECK(dst->header() == 0x80001908u);
}

// The brief's example 10.0.0.1/255.255.255.0 has a value bit outside the mask: it encodes
// as written, and both validate() and OVS ("1-bits in value for bits wildcarded by the mask")
// reject it with BAD_WILDCARDS.
TEST_CASE("Golden match with host bits under the mask encodes as written but is invalid") {
  Match m;
  m.add(OxmField::InPort, 1)
      .add(OxmField::EthType, 0x0800)
      .add(OxmField::Ipv4Dst, Ipv4Address{0x0a000001}, Ipv4Address{0xffffff00});
  CHECK(hex(encode(m)) ==
        hex(bytes_from_hex("0001001e 80000004 00000001 80000a02 0800 80001908 0a000001 ffffff00 0000")));
  check_invalid(m, BadMatchCode::BadWildcards, 4 + 8 + 6);
}

TEST_CASE("Empty match is 8 bytes: header plus padding") {
  CHECK(hex(encode(Match{})) == "00 01 00 04 00 00 00 00");
  auto d = decode(bytes_from_hex("0001 0004 00000000"));
  REQUIRE(d.has_value());
  CHECK(d->empty());
  CHECK(validate(Match{}).has_value());
}

TEST_CASE("Every basic field round trips, with and without mask where allowed") {
  for (std::size_t i = 0; i < kOxmBasicFieldCount; ++i) {
    const OxmFieldInfo& info = oxm_field_info(field_at(i));
    const ByteVector value = sample_value(info);
    for (bool masked : {false, true}) {
      if (masked && !info.maskable) continue;
      DYNAMIC_SECTION(info.name << (masked ? " masked" : "")) {
        ByteVector mask;
        ByteVector v = value;
        if (masked) {
          mask = ByteVector(info.width, std::byte{0xf0});
          for (std::size_t b = 0; b < v.size(); ++b) v[b] &= mask[b];  // no bits outside the mask
        }
        const OxmTlv tlv(info.field, as_bytes(v), as_bytes(mask));
        Match m;
        m.add(tlv);

        const ByteVector wire = encode(m);
        const std::size_t oxm_len = info.width * (masked ? 2u : 1u);
        const std::size_t match_len = 4 + 4 + oxm_len;
        REQUIRE(wire.size() == (match_len + 7) / 8 * 8);
        ByteReader header(as_bytes(wire));
        CHECK(header.u16() == 1);
        CHECK(header.u16() == match_len);
        CHECK(header.u16() == 0x8000);
        CHECK(header.u8() == ((i << 1) | (masked ? 1u : 0u)));
        CHECK(header.u8() == oxm_len);
        CHECK(to_hex(header.take(info.width)) == to_hex(as_bytes(v)));
        if (masked) CHECK(to_hex(header.take(info.width)) == to_hex(as_bytes(mask)));
        while (!header.empty()) CHECK(header.u8() == 0);  // zero padding

        auto decoded = decode(wire);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == m);
        CHECK(encode(*decoded) == wire);
        REQUIRE(decoded->fields.size() == 1);
        CHECK(decoded->fields[0].field() == info.field);
        CHECK(decoded->fields[0].has_mask() == masked);

        // With its prerequisites in front the field passes validate(); without them a field
        // that has prerequisites fails with BAD_PREREQ.
        Match full;
        add_with_prerequisites(full, info.field, v, mask);
        INFO(hex(encode(full)));
        CHECK(validate(full).has_value());
        auto full_decoded = decode(encode(full));
        REQUIRE(full_decoded.has_value());
        CHECK(*full_decoded == full);
        if (info.prerequisite) {
          check_invalid(m, BadMatchCode::BadPrereq, 4);
        } else {
          CHECK(validate(m).has_value());
        }
      }
    }
  }
}

TEST_CASE("Unknown classes and fields are kept verbatim") {
  const ByteVector wire = bytes_from_hex(
      "0001 0038"
      "00000204 00000007"              // NXM_0 field 1 (in_port in NXM), 4 bytes
      "00010406 aabbccddeeff"          // NXM_1 field 2, 6 bytes
      "ffff0208 00002320 01020304"     // experimenter class: id 0x00002320 + 4 bytes
      "80005a02 1234"                  // openflow_basic field 45: unknown number
      "80000004 00000003"              // in_port = 3
      "80005f04 0102 0304");           // basic field 47 with hasmask: unknown, kept as is
  auto m = decode(wire);
  REQUIRE(m.has_value());
  REQUIRE(m->fields.size() == 6);
  CHECK(m->fields[0].oxm_class() == OxmClass::Nxm0);
  CHECK(m->fields[0].field_number() == 1);
  CHECK(m->fields[1].oxm_class() == OxmClass::Nxm1);
  CHECK(to_hex(m->fields[1].payload()) == "aa bb cc dd ee ff");
  CHECK(m->fields[2].oxm_class() == OxmClass::Experimenter);
  CHECK(m->fields[3].is_basic());
  CHECK(m->fields[3].field_number() == 45);
  CHECK(m->get_uint(OxmField::InPort) == 3u);
  CHECK(m->fields[5].has_mask());
  CHECK(to_hex(m->fields[5].value()) == "01 02");
  CHECK(to_hex(m->fields[5].mask()) == "03 04");
  CHECK(encode(*m) == wire);

  // Only the unknown basic field is a problem for validate(); other classes are the switch's.
  check_invalid(*m, BadMatchCode::BadField, 4 + 8 + 10 + 12);
}

TEST_CASE("A long experimenter OXM (beyond the inline buffer) round trips") {
  ByteVector payload(200);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>(i);
  const OxmTlv tlv(OxmClass::Experimenter, 9, false, as_bytes(payload));
  CHECK(tlv.payload().size() == 200);
  CHECK(tlv.header() == 0xffff12c8u);
  Match m;
  m.add(tlv);
  const ByteVector wire = encode(m);
  CHECK(wire.size() == 208);
  auto d = decode(wire);
  REQUIRE(d.has_value());
  CHECK(*d == m);
  CHECK(encode(*d) == wire);
  const OxmTlv copy = d->fields[0];  // copies keep their own bytes
  CHECK(copy == tlv);
}

TEST_CASE("OxmTlv equality compares class, field, mask flag and bytes") {
  const ByteVector a = bytes_from_hex("0a000001");
  const ByteVector b = bytes_from_hex("0a000002");
  CHECK(OxmTlv(OxmField::Ipv4Dst, as_bytes(a)) == OxmTlv(OxmField::Ipv4Dst, as_bytes(a)));
  CHECK_FALSE(OxmTlv(OxmField::Ipv4Dst, as_bytes(a)) == OxmTlv(OxmField::Ipv4Dst, as_bytes(b)));
  CHECK_FALSE(OxmTlv(OxmField::Ipv4Dst, as_bytes(a)) == OxmTlv(OxmField::Ipv4Src, as_bytes(a)));
  CHECK_FALSE(OxmTlv(OxmField::Ipv4Dst, as_bytes(a)) ==
              OxmTlv(OxmClass::Nxm1, 12, false, as_bytes(a)));
}

TEST_CASE("Match builders write each field at its width, big-endian") {
  Match m;
  m.add(OxmField::Metadata, 0x0102030405060708, 0xffffffff00000000)
      .add(OxmField::EthSrc, MacAddress{{0x02, 0, 0, 0, 0, 0x01}})
      .add(OxmField::EthDst, MacAddress{{0x01, 0, 0x5e, 0, 0, 0}}, MacAddress{{0xff, 0xff, 0xff, 0x80, 0, 0}})
      .add(OxmField::VlanVid, kVlanPresent | 10)
      .add(OxmField::Ipv6Src, std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                           0, 0, 0, 0, 0, 0, 0, 1});
  CHECK(hex(encode(m)) ==
        hex(bytes_from_hex("0001 004c"
                           "80000510 0102030405060708 ffffffff00000000"
                           "80000806 020000000001"
                           "8000070c 01005e000000 ffffff800000"
                           "80000c02 100a"
                           "80003410 20010db8000000000000000000000001"
                           "00000000")));
  CHECK(m.get_uint(OxmField::VlanVid) == 0x100au);
  CHECK(m.get_uint(OxmField::Metadata) == 0x0102030405060708u);
  CHECK(m.find(OxmField::EthDst)->mask_uint() == 0xffffff800000u);
  CHECK_FALSE(m.get_uint(OxmField::InPort).has_value());
  CHECK(m.find(OxmField::Ipv6Src)->value_uint() == 0);  // wider than 8 bytes: no integer form
}

TEST_CASE("Decode errors carry BAD_MATCH codes and absolute offsets") {
  constexpr std::size_t base = 48;  // where ofp_match starts inside a FLOW_MOD

  SECTION("fewer than 4 bytes for the match header") {
    check_error(decode(bytes_from_hex("0001 00"), base), BadMatchCode::BadLen, base);
  }
  SECTION("OFPMT_STANDARD is not accepted") {
    check_error(decode(bytes_from_hex("0000 0058 00000000"), base), BadMatchCode::BadType, base);
  }
  SECTION("unknown match type") {
    check_error(decode(bytes_from_hex("0002 0004 00000000"), base), BadMatchCode::BadType, base);
  }
  SECTION("match length below its header") {
    check_error(decode(bytes_from_hex("0001 0003 00000000"), base), BadMatchCode::BadLen, base + 2);
  }
  SECTION("match length runs past the message") {
    check_error(decode(bytes_from_hex("0001 0014 80000004 00000001"), base), BadMatchCode::BadLen,
                base + 2);
  }
  SECTION("padding missing") {
    // Length 12 needs 16 bytes with its padding; only 12 are there.
    check_error(decode(bytes_from_hex("0001 000c 80000004 00000001"), base), BadMatchCode::BadLen,
                base + 2);
  }
  SECTION("OXM length 0") {
    check_error(decode(bytes_from_hex("0001 0010 80000004 00000001 80000a00 00000000"), base),
                BadMatchCode::BadLen, base + 12);
  }
  SECTION("OXM length differs from the field's width") {
    auto r = decode(bytes_from_hex("0001 000a 80000002 0001 000000000000"), base);
    check_error(r, BadMatchCode::BadLen, base + 4);
    CHECK(r.error().detail.find("in_port") != std::string::npos);
  }
  SECTION("masked OXM length must be twice the width") {
    check_error(decode(bytes_from_hex("0001 000c 80001904 0a000000 00000000"), base), BadMatchCode::BadLen,
                base + 4);
  }
  SECTION("unmasked field with a masked length") {
    check_error(decode(bytes_from_hex("0001 0010 80001808 0a000000 ffffff00"), base),
                BadMatchCode::BadLen, base + 4);
  }
  SECTION("OXM runs past the match length") {
    // in_port claims 4 bytes but the match ends 2 bytes into it.
    check_error(decode(bytes_from_hex("0001 000a 80000004 0000 000000000000"), base),
                BadMatchCode::BadLen, base + 4);
  }
  SECTION("OXM header cut by the match length") {
    check_error(decode(bytes_from_hex("0001 0006 8000 0000"), base), BadMatchCode::BadLen, base + 4);
  }
  SECTION("experimenter OXM too short for its experimenter id") {
    check_error(decode(bytes_from_hex("0001 000a ffff0002 0000 000000000000"), base),
                BadMatchCode::BadLen, base + 4);
  }
}

TEST_CASE("Non-zero match padding is tolerated, as Open vSwitch does, and encoded as zeros") {
  const ByteVector wire = bytes_from_hex("0001 000c 80000004 00000005 deadbeef 11223344");
  ByteReader r(as_bytes(wire));
  auto m = decode_match(r);
  REQUIRE(m.has_value());
  CHECK(m->get_uint(OxmField::InPort) == 5u);
  // The reader stops after the padding, so what follows the match is read correctly.
  CHECK(r.offset() == 16);
  CHECK(r.u32() == 0x11223344u);
  CHECK(hex(encode(*m)) == "00 01 00 0c 80 00 00 04 00 00 00 05 00 00 00 00");
}

TEST_CASE("decode_oxm reads a single TLV") {
  const ByteVector wire = bytes_from_hex("80000606 020000000002 ff");
  ByteReader r(as_bytes(wire), 100);
  auto tlv = decode_oxm(r);
  REQUIRE(tlv.has_value());
  CHECK(tlv->field() == OxmField::EthDst);
  CHECK(tlv->value_uint() == 0x020000000002u);
  CHECK(r.remaining() == 1);

  const ByteVector truncated = bytes_from_hex("800006");
  ByteReader t(as_bytes(truncated), 100);
  auto bad = decode_oxm(t);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().type == ErrorType::BadMatch);
  CHECK(bad.error().code == static_cast<std::uint16_t>(BadMatchCode::BadLen));
  CHECK(bad.error().offset == 100);
}

TEST_CASE("validate reports each BAD_MATCH code at the offending OXM") {
  SECTION("BAD_LEN: a value of the wrong width") {
    Match m;
    m.add(OxmField::InPort, 1).add(OxmField::EthType, MacAddress{{0, 0, 0, 0, 8, 0}});
    check_invalid(m, BadMatchCode::BadLen, 12);
  }
  SECTION("BAD_MASK: a mask on a field that cannot be masked") {
    Match m;
    m.add(OxmField::InPort, 1, 0xff);
    check_invalid(m, BadMatchCode::BadMask, 4);
    Match tcp;
    tcp.add(OxmField::EthType, 0x0800).add(OxmField::IpProto, 6).add(OxmField::TcpDst, 80, 0xfff0);
    check_invalid(tcp, BadMatchCode::BadMask, 4 + 6 + 5);
  }
  SECTION("BAD_WILDCARDS: value bits outside the mask") {
    Match m;
    m.add(OxmField::EthDst, MacAddress{{0x01, 0, 0, 0, 0, 1}}, MacAddress{{0x01, 0, 0, 0, 0, 0}});
    check_invalid(m, BadMatchCode::BadWildcards, 4);
  }
  SECTION("DUP_FIELD") {
    Match m;
    m.add(OxmField::InPort, 1).add(OxmField::EthType, 0x0806).add(OxmField::InPort, 2);
    check_invalid(m, BadMatchCode::DupField, 4 + 8 + 6);
  }
  SECTION("BAD_VALUE: bits beyond the field's size") {
    Match vid;
    vid.add(OxmField::VlanVid, 0x2001);
    check_invalid(vid, BadMatchCode::BadValue, 4);
    Match dscp;
    dscp.add(OxmField::EthType, 0x0800).add(OxmField::IpDscp, 64);
    check_invalid(dscp, BadMatchCode::BadValue, 10);
    Match label;
    label.add(OxmField::EthType, 0x8847).add(OxmField::MplsLabel, 0x100000);
    check_invalid(label, BadMatchCode::BadValue, 10);
  }
  SECTION("BAD_FIELD: an unknown basic field number") {
    const ByteVector v = bytes_from_hex("01");
    Match m;
    m.add(OxmTlv(OxmClass::OpenflowBasic, 99, false, as_bytes(v)));
    check_invalid(m, BadMatchCode::BadField, 4);
  }
}

TEST_CASE("validate checks prerequisites (spec 7.2.3.6)") {
  SECTION("ipv4_src without eth_type") {
    Match m;
    m.add(OxmField::InPort, 1).add(OxmField::Ipv4Src, Ipv4Address{0x0a000001});
    check_invalid(m, BadMatchCode::BadPrereq, 12);
    CHECK(validate(m).error().detail == "ipv4_src needs eth_type=0x0800");
    CHECK(validate(m).error().to_string() ==
          "BAD_MATCH/BAD_PREREQ at byte 12: ipv4_src needs eth_type=0x0800");
  }
  SECTION("ipv4_src with eth_type IPv6") {
    Match m;
    m.add(OxmField::EthType, 0x86dd).add(OxmField::Ipv4Src, Ipv4Address{0x0a000001});
    check_invalid(m, BadMatchCode::BadPrereq, 10);
  }
  SECTION("prerequisite after the field it enables") {
    Match m;
    m.add(OxmField::Ipv4Dst, Ipv4Address{0x0a000001}).add(OxmField::EthType, 0x0800);
    check_invalid(m, BadMatchCode::BadPrereq, 4);
    CHECK(validate(m).error().detail.find("must come after") != std::string::npos);
  }
  SECTION("tcp_dst needs ip_proto=6, which needs an IP eth_type") {
    Match ok;
    ok.add(OxmField::EthType, 0x86dd).add(OxmField::IpProto, 6).add(OxmField::TcpDst, 22);
    CHECK(validate(ok).has_value());
    Match udp;
    udp.add(OxmField::EthType, 0x0800).add(OxmField::IpProto, 17).add(OxmField::TcpDst, 22);
    check_invalid(udp, BadMatchCode::BadPrereq, 4 + 6 + 5);
    Match arp;
    arp.add(OxmField::EthType, 0x0806).add(OxmField::IpProto, 6).add(OxmField::TcpDst, 22);
    check_invalid(arp, BadMatchCode::BadPrereq, 10);  // ip_proto itself fails first
  }
  SECTION("vlan_pcp needs vlan_vid with OFPVID_PRESENT") {
    Match none;
    none.add(OxmField::VlanVid, 0).add(OxmField::VlanPcp, 3);  // OFPVID_NONE: untagged
    check_invalid(none, BadMatchCode::BadPrereq, 10);
    Match missing;
    missing.add(OxmField::VlanPcp, 3);
    check_invalid(missing, BadMatchCode::BadPrereq, 4);
    Match tagged;
    tagged.add(OxmField::VlanVid, kVlanPresent | 7).add(OxmField::VlanPcp, 3);
    CHECK(validate(tagged).has_value());
    Match any_tag;  // "any VLAN tag" (spec 7.2.3.8): value and mask OFPVID_PRESENT
    any_tag.add(OxmField::VlanVid, kVlanPresent, kVlanPresent).add(OxmField::VlanPcp, 3);
    CHECK(validate(any_tag).has_value());
    Match wildcarded_presence;
    wildcarded_presence.add(OxmField::VlanVid, 0x0007, 0x0fff).add(OxmField::VlanPcp, 3);
    check_invalid(wildcarded_presence, BadMatchCode::BadPrereq, 4 + 8);
  }
  SECTION("in_phy_port needs in_port present") {
    Match m;
    m.add(OxmField::InPhyPort, 1);
    check_invalid(m, BadMatchCode::BadPrereq, 4);
    m.fields.insert(m.fields.begin(), Match{}.add(OxmField::InPort, 9).fields[0]);
    CHECK(validate(m).has_value());
  }
  SECTION("ICMPv6 and neighbour discovery chain") {
    const std::array<std::uint8_t, 16> target{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    auto nd = [&](std::uint64_t icmp_type) {
      Match m;
      m.add(OxmField::EthType, 0x86dd).add(OxmField::IpProto, 58).add(OxmField::Icmpv6Type, icmp_type);
      return m;
    };
    CHECK(validate(nd(135).add(OxmField::Ipv6NdTarget, target)).has_value());
    CHECK(validate(nd(136).add(OxmField::Ipv6NdTarget, target)).has_value());
    check_invalid(nd(128).add(OxmField::Ipv6NdTarget, target), BadMatchCode::BadPrereq, 20);
    CHECK(validate(nd(135).add(OxmField::Ipv6NdSll, MacAddress{{2, 0, 0, 0, 0, 1}})).has_value());
    check_invalid(nd(136).add(OxmField::Ipv6NdSll, MacAddress{{2, 0, 0, 0, 0, 1}}),
                  BadMatchCode::BadPrereq, 20);
    CHECK(validate(nd(136).add(OxmField::Ipv6NdTll, MacAddress{{2, 0, 0, 0, 0, 1}})).has_value());
    check_invalid(nd(135).add(OxmField::Ipv6NdTll, MacAddress{{2, 0, 0, 0, 0, 1}}),
                  BadMatchCode::BadPrereq, 20);
    Match icmp_over_v4;  // icmpv6_type needs ip_proto=58
    icmp_over_v4.add(OxmField::EthType, 0x0800).add(OxmField::IpProto, 1).add(OxmField::Icmpv6Type, 135);
    check_invalid(icmp_over_v4, BadMatchCode::BadPrereq, 15);
  }
  SECTION("MPLS accepts both MPLS ethertypes") {
    for (std::uint64_t type : {0x8847u, 0x8848u}) {
      Match m;
      m.add(OxmField::EthType, type).add(OxmField::MplsLabel, 16).add(OxmField::MplsTc, 5)
          .add(OxmField::MplsBos, 1);
      CHECK(validate(m).has_value());
    }
    Match m;
    m.add(OxmField::EthType, 0x0800).add(OxmField::MplsBos, 1);
    check_invalid(m, BadMatchCode::BadPrereq, 10);
  }
  SECTION("PBB and IPv6 extension headers") {
    Match pbb;
    pbb.add(OxmField::EthType, 0x88e7).add(OxmField::PbbIsid, 0x123456, 0xffff00);
    check_invalid(pbb, BadMatchCode::BadWildcards, 10);
    Match pbb_ok;
    pbb_ok.add(OxmField::EthType, 0x88e7).add(OxmField::PbbIsid, 0x123400, 0xffff00);
    CHECK(validate(pbb_ok).has_value());
    Match pbb_wrong;
    pbb_wrong.add(OxmField::EthType, 0x8100).add(OxmField::PbbIsid, 0x123456);
    check_invalid(pbb_wrong, BadMatchCode::BadPrereq, 10);
    Match exthdr;
    exthdr.add(OxmField::EthType, 0x0800).add(OxmField::Ipv6Exthdr, 0x004);
    check_invalid(exthdr, BadMatchCode::BadPrereq, 10);
  }
}
