// Actions and instructions: golden bytes, round trips for every type, length errors.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "vmnmob/ofp/action.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

ByteVector encode(const ActionList& actions) {
  ByteVector out;
  ByteWriter w(out);
  encode_actions(actions, w);
  return out;
}

ByteVector encode(const InstructionList& instructions) {
  ByteVector out;
  ByteWriter w(out);
  encode_instructions(instructions, w);
  return out;
}

Result<ActionList> decode_a(const ByteVector& bytes, std::size_t base = 0) {
  ByteReader r(as_bytes(bytes), base);
  return decode_actions(r);
}

Result<InstructionList> decode_i(const ByteVector& bytes, std::size_t base = 0) {
  ByteReader r(as_bytes(bytes), base);
  return decode_instructions(r);
}

std::string hex(const ByteVector& v) { return to_hex(as_bytes(v)); }
std::string hex(std::string_view s) { return to_hex(as_bytes(bytes_from_hex(s))); }

template <class T>
void check_error(const Result<T>& r, ErrorType type, std::uint16_t code, std::size_t offset) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().to_string());
  CHECK(r.error().type == type);
  CHECK(r.error().code == code);
  CHECK(r.error().offset == offset);
  CHECK_FALSE(r.error().detail.empty());
}

void check_action_error(const ByteVector& bytes, BadActionCode code, std::size_t offset) {
  check_error(decode_a(bytes, 1000), ErrorType::BadAction, static_cast<std::uint16_t>(code), offset);
}

void check_instruction_len_error(const ByteVector& bytes, std::size_t offset) {
  check_error(decode_i(bytes, 1000), ErrorType::BadInstruction,
              static_cast<std::uint16_t>(BadInstructionCode::BadLen), offset);
}

// Every action type, each with non-default values so a swapped field would show.
ActionList every_action() {
  return {Output{2, 0xffe5},
          CopyTtlOut{},
          CopyTtlIn{},
          SetMplsTtl{9},
          DecMplsTtl{},
          PushVlan{0x88a8},
          PopVlan{},
          PushMpls{0x8848},
          PopMpls{0x86dd},
          SetQueue{7},
          GroupAction{5},
          SetNwTtl{3},
          DecNwTtl{},
          set_field(OxmField::Ipv4Dst, Ipv4Address{0x0a000002}),
          PushPbb{0x88e7},
          PopPbb{},
          ExperimenterAction{0x00002320, bytes_from_hex("0001 0005 00000000")},
          UnknownAction{0x00fe, bytes_from_hex("01020304 05060708 090a0b0c")}};
}

InstructionList every_instruction() {
  return {GotoTable{4},
          WriteMetadata{0x0102030405060708, 0xff00ff00ff00ff00},
          WriteActions{{Output{3, 0}, GroupAction{1}}},
          ApplyActions{every_action()},
          ClearActions{},
          MeterInstruction{3},
          ExperimenterInstruction{0x00abcdef, bytes_from_hex("11223344 55667788")},
          UnknownInstruction{0x0042, bytes_from_hex("aabbccdd")}};
}

}  // namespace

// Each byte string is written from spec 7.2.5 and checked with `ovs-ofctl parse-actions
// OpenFlow13` (OVS 3.1), whose reading is quoted.
TEST_CASE("Golden actions") {
  const std::pair<Action, std::string_view> cases[] = {
      {Output{2, 0xffe5}, "0000 0010 00000002 ffe5 000000000000"},          // output:2
      {Output{port::kController, 128}, "0000 0010 fffffffd 0080 000000000000"},  // CONTROLLER:128
      {set_field(OxmField::EthDst, MacAddress{{2, 0, 0, 0, 0, 1}}),
       "0019 0010 80000606 020000000001 0000"},  // set_field:02:00:00:00:00:01->eth_dst
      {set_field(OxmField::Ipv4Dst, Ipv4Address{0x0a000002}),
       "0019 0010 80001804 0a000002 00000000"},  // set_field:10.0.0.2->ip_dst
      {set_field(OxmField::TcpDst, 8080), "0019 0010 80001c02 1f90 000000000000"},  // ->tcp_dst
      {set_field(OxmField::VlanVid, kVlanPresent | 5), "0019 0010 80000c02 1005 000000000000"},
      {set_field(OxmField::TunnelId, 0x1234), "0019 0010 80004c08 0000000000001234"},  // tun_id
      {PushVlan{0x88a8}, "0011 0008 88a8 0000"},                                      // push_vlan
      {PopMpls{0x86dd}, "0014 0008 86dd 0000"},                                       // pop_mpls
      {SetQueue{7}, "0015 0008 00000007"},                                            // set_queue:7
      {GroupAction{5}, "0016 0008 00000005"},                                         // group:5
      {SetNwTtl{3}, "0017 0008 03 000000"},                                           // mod_nw_ttl:3
      {DecNwTtl{}, "0018 0008 00000000"},                                             // dec_ttl
      {ExperimenterAction{0x00002320, bytes_from_hex("0001 0005 00000000")},
       "ffff 0010 00002320 0001 0005 00000000"},  // Nicira resubmit:5
  };
  for (const auto& [action, golden] : cases) {
    INFO(golden);
    const ByteVector bytes = encode(ActionList{action});
    CHECK(hex(bytes) == hex(golden));
    auto decoded = decode_a(bytes);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->size() == 1);
    CHECK(decoded->front() == action);
  }
}

TEST_CASE("Every action type round trips") {
  const ActionList actions = every_action();
  REQUIRE(actions.size() == std::variant_size_v<Action>);
  for (std::size_t i = 0; i < actions.size(); ++i) CHECK(actions[i].index() == i);

  const ByteVector bytes = encode(actions);
  // 16 (output) + 14 fixed 8-byte actions + 16 (set_field) + 16 (experimenter) + 16 (unknown)
  CHECK(bytes.size() == 16 + 14 * 8 + 16 + 16 + 16);
  auto decoded = decode_a(bytes);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == actions);
  CHECK(encode(*decoded) == bytes);
}

TEST_CASE("Fixed-size actions have the spec's lengths and zero padding") {
  const std::pair<Action, std::size_t> sizes[] = {
      {Output{}, 16},     {CopyTtlOut{}, 8}, {CopyTtlIn{}, 8},   {SetMplsTtl{1}, 8},
      {DecMplsTtl{}, 8},  {PushVlan{}, 8},   {PopVlan{}, 8},     {PushMpls{}, 8},
      {PopMpls{}, 8},     {SetQueue{}, 8},   {GroupAction{}, 8}, {SetNwTtl{}, 8},
      {DecNwTtl{}, 8},    {PushPbb{}, 8},    {PopPbb{}, 8}};
  for (const auto& [action, size] : sizes) {
    const ByteVector bytes = encode(ActionList{action});
    REQUIRE(bytes.size() == size);
    ByteReader r(as_bytes(bytes));
    r.skip(2);
    CHECK(r.u16() == size);
  }
  CHECK(hex(encode(ActionList{CopyTtlOut{}})) == hex("000b 0008 00000000"));
  CHECK(hex(encode(ActionList{CopyTtlIn{}})) == hex("000c 0008 00000000"));
  CHECK(hex(encode(ActionList{SetMplsTtl{9}})) == hex("000f 0008 09 000000"));
  CHECK(hex(encode(ActionList{DecMplsTtl{}})) == hex("0010 0008 00000000"));
  CHECK(hex(encode(ActionList{PopVlan{}})) == hex("0012 0008 00000000"));
  CHECK(hex(encode(ActionList{PushMpls{}})) == hex("0013 0008 8847 0000"));
  CHECK(hex(encode(ActionList{PushPbb{}})) == hex("001a 0008 88e7 0000"));
  CHECK(hex(encode(ActionList{PopPbb{}})) == hex("001b 0008 00000000"));
}

TEST_CASE("Set-field pads its OXM to 8 bytes") {
  // in_port (4 bytes) fits 4 + 4 + 4 = 12 -> 16; ipv6_dst needs 4 + 4 + 16 = 24 exactly.
  const std::array<std::byte, 16> v6{std::byte{0x20}, std::byte{0x01}};
  const SetField ipv6{OxmTlv(OxmField::Ipv6Dst, ByteSpan(v6))};
  const ByteVector bytes = encode(ActionList{ipv6});
  CHECK(bytes.size() == 24);
  CHECK(hex(bytes) == hex("0019 0018 80003610 20010000000000000000000000000000"));
  auto decoded = decode_a(bytes);
  REQUIRE(decoded.has_value());
  CHECK(decoded->front() == Action{ipv6});

  // An experimenter OXM in set_field is kept as it is.
  const ByteVector exp = bytes_from_hex("0019 0010 ffff0a06 00002320 beef 0000");
  auto kept = decode_a(exp);
  REQUIRE(kept.has_value());
  CHECK(std::get<SetField>(kept->front()).field.oxm_class() == OxmClass::Experimenter);
  CHECK(encode(*kept) == exp);
}

TEST_CASE("set_field builders use each field's width") {
  CHECK(std::get<SetField>(Action{set_field(OxmField::EthSrc, MacAddress{{1, 2, 3, 4, 5, 6}})})
            .field.header() == 0x80000806u);
  const SetField port = set_field(OxmField::UdpSrc, 0x12345);  // truncated to 16 bits
  CHECK(to_hex(port.field.value()) == "23 45");
  const SetField meta = set_field(OxmField::Metadata, 0x0102030405060708);
  CHECK(to_hex(meta.field.value()) == "01 02 03 04 05 06 07 08");
  const SetField pcp = set_field(OxmField::VlanPcp, 5);
  CHECK(to_hex(pcp.field.value()) == "05");
  const SetField src = set_field(OxmField::Ipv4Src, Ipv4Address{0xc0a80001});
  CHECK(to_hex(src.field.value()) == "c0 a8 00 01");
  CHECK_FALSE(src.field.has_mask());
  CHECK(src.field.field() == OxmField::Ipv4Src);
}

TEST_CASE("Encoders pad unaligned experimenter and unknown bodies with zeros") {
  const ByteVector bytes = encode(ActionList{ExperimenterAction{0x1234, bytes_from_hex("aabbcc")},
                                             UnknownAction{0x0063, bytes_from_hex("01")}});
  CHECK(hex(bytes) == hex("ffff 0010 00001234 aabbcc 0000000000 0063 0008 01 000000"));
  // The padding then reads back as part of the body: bodies are opaque to this codec.
  auto decoded = decode_a(bytes);
  REQUIRE(decoded.has_value());
  CHECK(std::get<ExperimenterAction>((*decoded)[0]).data.size() == 8);
  CHECK(std::get<UnknownAction>((*decoded)[1]).body.size() == 4);
}

TEST_CASE("Action decode errors") {
  constexpr std::size_t at = 1000;
  using C = BadActionCode;
  SECTION("header cut short") { check_action_error(bytes_from_hex("0000 00"), C::BadLen, at); }
  SECTION("length below 8") {
    check_action_error(bytes_from_hex("0012 0004 00000000"), C::BadLen, at);
  }
  SECTION("length 0") { check_action_error(bytes_from_hex("0012 0000 00000000"), C::BadLen, at); }
  SECTION("length not a multiple of 8") {
    check_action_error(bytes_from_hex("0016 000c 00000005 00000000"), C::BadLen, at);
  }
  SECTION("length past the end of the list") {
    check_action_error(bytes_from_hex("0012 0008 00000000 0000 0010 00000002 ffe5 0000"), C::BadLen,
                       at + 8);
  }
  SECTION("fixed-size action with another length") {
    check_action_error(bytes_from_hex("0000 0008 00000002"), C::BadLen, at);
    check_action_error(bytes_from_hex("0012 0010 00000000 00000000"), C::BadLen, at);
    check_action_error(bytes_from_hex("0016 0010 00000005 00000000"), C::BadLen, at);
    check_action_error(bytes_from_hex("0000 0018 00000002 ffe5 000000000000 0000000000000000"),
                       C::BadLen, at);
  }
  SECTION("trailing bytes after the last action") {
    check_action_error(bytes_from_hex("0012 0008 00000000 0012"), C::BadLen, at + 8);
  }
  SECTION("unknown and experimenter actions obey the same length rules") {
    check_action_error(bytes_from_hex("00fe 0006 0000 0000"), C::BadLen, at);
    check_action_error(bytes_from_hex("ffff 000c 00002320 00000000"), C::BadLen, at);
  }
  SECTION("set_field whose OXM runs past the action") {
    check_action_error(bytes_from_hex("0019 0008 80001804 0a000002"), C::BadSetLen, at + 4);
  }
  SECTION("set_field whose OXM length does not fit the field") {
    check_action_error(bytes_from_hex("0019 0010 80001806 0a0000020000 0000"), C::BadSetLen, at + 4);
  }
  SECTION("set_field with an OXM of length 0") {
    check_action_error(bytes_from_hex("0019 0008 80001800"), C::BadSetLen, at + 4);
  }
  SECTION("set_field with more padding than the OXM needs") {
    check_action_error(bytes_from_hex("0019 0018 80001804 0a000002 00000000 0000000000000000"),
                       C::BadSetLen, at);
  }
  SECTION("set_field with a mask") {
    check_action_error(bytes_from_hex("0019 0010 80001908 0a000000 ffffff00"), C::BadSetArgument,
                       at + 4);
  }
}

// Written from spec 7.2.4 and read back by `ovs-ofctl parse-instructions OpenFlow13`.
TEST_CASE("Golden instructions") {
  const std::pair<Instruction, std::string_view> cases[] = {
      {GotoTable{4}, "0001 0008 04 000000"},  // goto_table:4
      {WriteMetadata{0xabcd, 0xffff},
       "0002 0018 00000000 000000000000abcd 000000000000ffff"},  // write_metadata:0xabcd/0xffff
      {WriteActions{{Output{3, 0}}},
       "0003 0018 00000000 0000 0010 00000003 0000 000000000000"},  // write_actions(output:3)
      {ApplyActions{{Output{1, 0xffff}}},
       "0004 0018 00000000 0000 0010 00000001 ffff 000000000000"},  // output:1
      {ClearActions{}, "0005 0008 00000000"},                     // clear_actions
      {MeterInstruction{3}, "0006 0008 00000003"},                // meter:3
      {ApplyActions{}, "0004 0008 00000000"},
  };
  for (const auto& [instruction, golden] : cases) {
    INFO(golden);
    const ByteVector bytes = encode(InstructionList{instruction});
    CHECK(hex(bytes) == hex(golden));
    auto decoded = decode_i(bytes);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->size() == 1);
    CHECK(decoded->front() == instruction);
  }
}

TEST_CASE("Every instruction type round trips") {
  const InstructionList instructions = every_instruction();
  REQUIRE(instructions.size() == std::variant_size_v<Instruction>);
  for (std::size_t i = 0; i < instructions.size(); ++i) CHECK(instructions[i].index() == i);
  const ByteVector bytes = encode(instructions);
  auto decoded = decode_i(bytes);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == instructions);
  CHECK(encode(*decoded) == bytes);
  CHECK(hex(ByteVector(bytes.end() - 24, bytes.end())) ==
        hex("ffff 0010 00abcdef 11223344 55667788 0042 0008 aabbccdd"));
}

TEST_CASE("Instruction decode errors") {
  constexpr std::size_t at = 1000;
  SECTION("header cut short") { check_instruction_len_error(bytes_from_hex("0001"), at); }
  SECTION("length below 8") { check_instruction_len_error(bytes_from_hex("0005 0004 00000000"), at); }
  SECTION("length not a multiple of 8") {
    check_instruction_len_error(bytes_from_hex("0004 000c 00000000 00000000"), at);
  }
  SECTION("length past the end") {
    check_instruction_len_error(bytes_from_hex("0001 0008 01000000 0004 0018 00000000"), at + 8);
  }
  SECTION("fixed-size instructions with another length") {
    check_instruction_len_error(bytes_from_hex("0001 0010 01000000 00000000"), at);
    check_instruction_len_error(bytes_from_hex("0002 0010 00000000 0000000000000001"), at);
    check_instruction_len_error(bytes_from_hex("0005 0010 00000000 0000 0008 00000000"), at);
    check_instruction_len_error(bytes_from_hex("0006 0010 00000003 00000000"), at);
  }
  SECTION("unknown instruction obeys the length rules") {
    check_instruction_len_error(bytes_from_hex("0099 0004"), at);
  }
  SECTION("a bad action inside apply_actions reports BAD_ACTION at its own offset") {
    auto r = decode_i(bytes_from_hex("0001 0008 01000000 0004 0010 00000000 0000 0008 00000002"), at);
    check_error(r, ErrorType::BadAction, static_cast<std::uint16_t>(BadActionCode::BadLen), at + 16);
  }
}

TEST_CASE("Unknown action and instruction types are kept, not refused") {
  const ByteVector actions = bytes_from_hex("1234 0010 0102030405060708090a0b0c");
  auto a = decode_a(actions);
  REQUIRE(a.has_value());
  CHECK(std::get<UnknownAction>(a->front()).type == 0x1234);
  CHECK(encode(*a) == actions);

  const ByteVector instructions = bytes_from_hex("0007 0008 01020304");
  auto i = decode_i(instructions);
  REQUIRE(i.has_value());
  CHECK(std::get<UnknownInstruction>(i->front()).type == 7);
  CHECK(encode(*i) == instructions);
}

TEST_CASE("Empty lists decode to nothing") {
  CHECK(decode_a({})->empty());
  CHECK(decode_i({})->empty());
  CHECK(encode(ActionList{}).empty());
}

TEST_CASE("Truncated and mutated instruction lists fail cleanly or round trip") {
  const ByteVector wire = encode(every_instruction());
  for (std::size_t n = 1; n < wire.size(); ++n) {
    ByteVector cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = decode_i(cut, 64);
    if (n % 8 != 0) {
      REQUIRE_FALSE(r.has_value());
    }
    if (!r) {
      CHECK(r.error().offset >= 64);
      CHECK(r.error().offset < 64 + wire.size());
    }
  }
  std::uint32_t seed = 99;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  for (int round = 0; round < 3000; ++round) {
    ByteVector mutated = wire;
    mutated[next() % mutated.size()] = static_cast<std::byte>(next() >> 16);
    auto r = decode_i(mutated);
    if (!r) continue;
    const ByteVector again = encode(*r);
    auto r2 = decode_i(again);
    REQUIRE(r2.has_value());
    CHECK(*r2 == *r);
  }
}
