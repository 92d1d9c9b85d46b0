// Whole-message codec: round trips for every message type, golden bytes from the spec (checked
// against `ovs-ofctl ofp-print` of Open vSwitch 3.1), and every decode error path.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes/sample_messages.hpp"
#include "vmnmob/ofp/codec.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

Message msg(MessageBody body, std::uint32_t xid = 0x12345678) { return Message{kVersion, xid, std::move(body)}; }

ByteVector encoded(const Message& m) {
  Result<ByteVector> bytes = encode(m);
  REQUIRE(bytes.has_value());
  return std::move(*bytes);
}

/// encode -> decode gives the message back, and decode -> encode gives the bytes back.
ByteVector check_round_trip(const Message& m) {
  ByteVector wire = encoded(m);
  REQUIRE(wire.size() >= 8);
  CHECK(std::to_integer<unsigned>(wire[1]) == static_cast<unsigned>(message_type(m.body)));
  CHECK((std::to_integer<std::size_t>(wire[2]) << 8 | std::to_integer<std::size_t>(wire[3])) == wire.size());
  Result<Message> decoded = decode(as_bytes(wire));
  if (!decoded) FAIL(decoded.error().to_string() << "\n" << to_hex(as_bytes(wire)));
  CHECK(*decoded == m);
  ByteVector again = encoded(*decoded);
  CHECK(to_hex(as_bytes(again)) == to_hex(as_bytes(wire)));
  return wire;
}

CodecError decode_error(const ByteVector& wire) {
  Result<Message> decoded = decode(as_bytes(wire));
  REQUIRE_FALSE(decoded.has_value());
  return decoded.error();
}

void set_length(ByteVector& wire) {
  wire[2] = std::byte(wire.size() >> 8);
  wire[3] = std::byte(wire.size() & 0xff);
}

ByteVector hex(std::string_view s) { return bytes_from_hex(s); }

// An ARP request as OVS would send it to the controller.
ByteVector arp_frame() {
  return hex("ff ff ff ff ff ff 52 54 00 12 34 56 08 06 00 01 08 00 06 04 00 01 52 54 00 12 34 56"
             "0a 0a 00 05 00 00 00 00 00 00 0a 0a 00 01");
}

Match sample_match() {
  Match m;
  m.add(OxmField::InPort, 7)
      .add(OxmField::EthType, 0x0800)
      .add(OxmField::Ipv4Src, Ipv4Address{0x0a0a0005})
      .add(OxmField::Ipv4Dst, Ipv4Address{0xc0a80000}, Ipv4Address{0xffff0000});
  return m;
}

ActionList rewrite_actions() {
  return {set_field(OxmField::Ipv4Src, Ipv4Address{0xac100105}),
          set_field(OxmField::Ipv4Dst, Ipv4Address{0xac100209}),
          set_field(OxmField::EthDst, MacAddress{{0x02, 0, 0, 0, 0, 0x01}}), Output{3, 0}};
}

Port sample_port(std::uint32_t no) {
  return Port{no,   MacAddress{{0x52, 0x54, 0x00, 0xab, 0xcd, static_cast<std::uint8_t>(no)}},
              "vmn-tap" + std::to_string(no),
              port_config::kNoPacketIn, port_state::kLive, 0x2840, 0x2040, 0x2fff, 0x0001,
              10'000'000, 40'000'000};
}

std::vector<Bucket> sample_buckets() {
  return {Bucket{10, 4, kGroupAny, {Output{4, 0}}},
          Bucket{20, port::kAny, 7, {set_field(OxmField::VlanVid, kVlanPresent | 10), Output{5, 0}}}};
}

std::vector<MeterBand> sample_bands() {
  MeterBand drop{MeterBandType::Drop, 1000, 100, 0, 0, {}};
  MeterBand remark{MeterBandType::DscpRemark, 500, 50, 2, 0, {}};
  MeterBand experimenter{MeterBandType::Experimenter, 200, 20, 0, 0x00002320,
                         hex("01 02 03 04 05 06 07 08")};
  return {drop, remark, experimenter};
}

}  // namespace

TEST_CASE("every message type round-trips through encode and decode") {
  for (const auto& sample : testing::sample_messages()) {
    SECTION(sample.name) { check_round_trip(sample.message); }
  }
}

TEST_CASE("sample names are unique") {
  // The round-trip test runs one SECTION per name; Catch2 runs a repeated name only once.
  std::set<std::string> names;
  for (const auto& sample : testing::sample_messages()) {
    INFO(sample.name);
    CHECK(names.insert(sample.name).second);
  }
}

TEST_CASE("the samples cover every message body type") {
  std::vector<bool> seen(std::variant_size_v<MessageBody>, false);
  for (const auto& sample : testing::sample_messages()) seen[sample.message.body.index()] = true;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    INFO("variant index " << i);
    CHECK(seen[i]);
  }
}

TEST_CASE("FLOW_MOD round-trips with every command and flag") {
  for (auto command : {FlowModCommand::Add, FlowModCommand::Modify, FlowModCommand::ModifyStrict,
                       FlowModCommand::Delete, FlowModCommand::DeleteStrict}) {
    for (std::uint16_t flags : {flow_mod_flags::kSendFlowRem, flow_mod_flags::kCheckOverlap,
                                flow_mod_flags::kResetCounts, flow_mod_flags::kNoPktCounts,
                                flow_mod_flags::kNoBytCounts, std::uint16_t{0x1f}}) {
      FlowMod fm;
      fm.command = command;
      fm.flags = flags;
      fm.cookie = 0x1111;
      fm.out_port = 4;
      fm.match = sample_match();
      fm.instructions = {ApplyActions{{Output{2, 0}}}};
      ByteVector wire = check_round_trip(msg(fm));
      CHECK(std::to_integer<unsigned>(wire[8 + 17]) == static_cast<unsigned>(command));
      CHECK((std::to_integer<unsigned>(wire[8 + 36]) << 8 | std::to_integer<unsigned>(wire[8 + 37])) == flags);
    }
  }
}

TEST_CASE("GROUP_MOD and METER_MOD round-trip with every command and type") {
  for (auto command : {GroupModCommand::Add, GroupModCommand::Modify, GroupModCommand::Delete})
    for (auto type : {GroupType::All, GroupType::Select, GroupType::Indirect, GroupType::FastFailover})
      check_round_trip(msg(GroupMod{command, type, 0xfffffff0, sample_buckets()}));
  for (auto command : {MeterModCommand::Add, MeterModCommand::Modify, MeterModCommand::Delete})
    check_round_trip(msg(MeterMod{command, meter_flags::kPktps | meter_flags::kStats, 1, sample_bands()}));
}

// ---- Golden bytes (spec 7.x layouts; each string also decodes as expected in `ovs-ofctl ofp-print`) ----

TEST_CASE("golden: HELLO with version bitmap 0x10") {
  // OFPT_HELLO, length 16, one OFPHET_VERSIONBITMAP element of length 8 with bitmap 1<<4.
  ByteVector wire = hex("04 00 00 10 00 00 00 01  00 01 00 08 00 00 00 10");
  Result<Message> m = decode(as_bytes(wire));
  REQUIRE(m.has_value());
  const auto* hello = std::get_if<Hello>(&m->body);
  REQUIRE(hello != nullptr);
  REQUIRE(hello->version_bitmap() != nullptr);
  CHECK(hello->version_bitmap()->bitmaps == std::vector<std::uint32_t>{0x10});
  CHECK(hello->version_bitmap()->supports(4));
  CHECK_FALSE(hello->version_bitmap()->supports(1));
  CHECK(encoded(msg(Hello{{VersionBitmap::of({4})}}, 1)) == wire);
}

TEST_CASE("golden: FEATURES_REPLY") {
  ByteVector wire = hex("04 06 00 20 00 00 00 02  00 00 00 00 00 00 00 2a  00 00 01 00 fe 00 00 00"
                        "00 00 00 4f 00 00 00 00");
  FeaturesReply reply{42, 256, 254, 0, 0x4f, 0};
  CHECK(encoded(msg(reply, 2)) == wire);
  Result<Message> m = decode(as_bytes(wire));
  REQUIRE(m.has_value());
  CHECK(std::get<FeaturesReply>(m->body) == reply);
}

TEST_CASE("golden: BARRIER, ECHO and ERROR") {
  CHECK(to_hex(as_bytes(encoded(msg(BarrierRequest{}, 7)))) == "04 14 00 08 00 00 00 07");
  CHECK(to_hex(as_bytes(encoded(msg(BarrierReply{}, 7)))) == "04 15 00 08 00 00 00 07");
  CHECK(to_hex(as_bytes(encoded(msg(EchoRequest{hex("61 62")}, 3)))) == "04 02 00 0a 00 00 00 03 61 62");
  // OFPET_BAD_REQUEST / OFPBRC_BAD_TYPE with the first 8 bytes of the request.
  CHECK(to_hex(as_bytes(encoded(msg(ErrorMsg{ErrorType::BadRequest, 1, 0, hex("04 63 00 08 00 00 00 09")}, 9)))) ==
        "04 01 00 14 00 00 00 09 00 01 00 01 04 63 00 08 00 00 00 09");
  CHECK(to_hex(as_bytes(encoded(msg(ErrorMsg{ErrorType::Experimenter, 5, 0x2320, {}}, 9)))) ==
        "04 01 00 10 00 00 00 09 ff ff 00 05 00 00 23 20");
}

TEST_CASE("golden: experimenter ERROR (ONF bundle error, as ovs-ofctl prints OFPBFC_UNKNOWN)") {
  // type 0xffff, exp_type 2300, experimenter ONF (0x4f4e4600), data = the offending HELLO header.
  ByteVector wire = hex("04 01 00 18 12 34 56 78 ff ff 08 fc 4f 4e 46 00 04 00 00 08 00 00 00 01");
  Result<Message> m = decode(as_bytes(wire));
  REQUIRE(m.has_value());
  const auto& error = std::get<ErrorMsg>(m->body);
  CHECK(error.type == ErrorType::Experimenter);
  CHECK(error.code == 2300);
  CHECK(error.experimenter == 0x4f4e4600u);
  CHECK(error.data == hex("04 00 00 08 00 00 00 01"));
  CHECK(encoded(*m) == wire);
}

TEST_CASE("golden: FLOW_MOD with a match and apply-actions") {
  FlowMod fm;
  fm.cookie = 0x10;
  fm.priority = 100;
  fm.idle_timeout = 60;
  fm.flags = flow_mod_flags::kSendFlowRem;
  fm.match.add(OxmField::InPort, 1).add(OxmField::EthType, 0x0806);
  fm.instructions = {ApplyActions{{Output{port::kController, 0xffff}}}};
  // cookie, cookie_mask, table 0, ADD, idle 60, hard 0, prio 100, no buffer, any, any, flags 1;
  // match len 4+8+6=18 padded to 24; apply-actions of length 24 with one 16-byte output.
  CHECK(to_hex(as_bytes(encoded(msg(fm, 5)))) ==
        to_hex(as_bytes(hex("04 0e 00 60 00 00 00 05"
                            "00 00 00 00 00 00 00 10  00 00 00 00 00 00 00 00  00 00 00 3c 00 00 00 64"
                            "ff ff ff ff ff ff ff ff  ff ff ff ff 00 01 00 00"
                            "00 01 00 12 80 00 00 04 00 00 00 01 80 00 0a 02 08 06 00 00 00 00 00 00"
                            "00 04 00 18 00 00 00 00 00 00 00 10 ff ff ff fd ff ff 00 00 00 00 00 00"))));
}

TEST_CASE("golden: PACKET_IN from Open vSwitch decodes and borrows the frame") {
  // OVS 3.1 packet-in: no buffer, total_len 42, reason ACTION, table 0, cookie 0, match in_port=1.
  ByteVector wire = hex("04 0a 00 4c 00 00 00 00  ff ff ff ff 00 2a 01 00  00 00 00 00 00 00 00 00"
                        "00 01 00 0c 80 00 00 04 00 00 00 01 00 00 00 00  00 00");
  const ByteVector frame = arp_frame();
  wire.insert(wire.end(), frame.begin(), frame.end());
  set_length(wire);
  Result<Message> m = decode(as_bytes(wire));
  REQUIRE(m.has_value());
  const auto& in = std::get<PacketIn>(m->body);
  CHECK(in.buffer_id == kNoBuffer);
  CHECK(in.total_len == 42);
  CHECK(in.reason == PacketInReason::Action);
  CHECK(in.in_port() == 1);
  CHECK(in.data.size() == frame.size());
  CHECK(in.data.borrowed());
  CHECK(in.data.span().data() == wire.data() + 42);  // no copy: points into the input
  CHECK(in.data == Payload(frame));
  CHECK(encoded(*m) == wire);
}

// ---- Helpers on the value types ----

TEST_CASE("message_type, VersionBitmap, Hello and PacketIn helpers") {
  CHECK(message_type(FlowMod{}) == MessageType::FlowMod);
  CHECK(message_type(MeterMod{}) == MessageType::MeterMod);
  CHECK(message_type(RoleReply{}) == MessageType::RoleReply);
  CHECK(message_type(UnknownMessage{23, {}}) == MessageType::QueueGetConfigReply);
  CHECK(message_type_name(MessageType::PacketIn) == "PACKET_IN");

  VersionBitmap b = VersionBitmap::of({1, 4, 33});
  CHECK(b.bitmaps == std::vector<std::uint32_t>{0x12, 0x2});
  CHECK(b.supports(1));
  CHECK(b.supports(4));
  CHECK(b.supports(33));
  CHECK_FALSE(b.supports(3));
  CHECK_FALSE(b.supports(200));  // beyond the bitmaps given

  Hello h{{UnknownHelloElement{9, {}}, VersionBitmap::of({4})}};
  REQUIRE(h.version_bitmap() != nullptr);
  CHECK(h.version_bitmap()->supports(4));
  CHECK(Hello{}.version_bitmap() == nullptr);

  PacketIn in;
  CHECK(in.in_port() == 0);
  in.match.add(OxmField::EthType, 0x0806).add(OxmField::InPort, 0xfffffffe);
  CHECK(in.in_port() == port::kLocal);
}

// ---- HELLO of any version ----

TEST_CASE("HELLO of another version decodes, with elements or a body that is not elements") {
  // OpenFlow 1.0 HELLO without body.
  Result<Message> v1 = decode(as_bytes(hex("01 00 00 08 00 00 00 05")));
  REQUIRE(v1.has_value());
  CHECK(v1->version == 1);
  CHECK(std::get<Hello>(v1->body).elements.empty());
  // OpenFlow 1.5 HELLO with a bitmap for 1.3 and 1.5.
  Result<Message> v6 = decode(as_bytes(hex("06 00 00 10 00 00 00 05 00 01 00 08 00 00 00 50")));
  REQUIRE(v6.has_value());
  CHECK(v6->version == 6);
  CHECK(std::get<Hello>(v6->body).version_bitmap()->supports(6));
  // A 1.0 HELLO may carry arbitrary bytes (ignored before 1.3).
  Result<Message> junk = decode(as_bytes(hex("01 00 00 0b 00 00 00 05 ff ee dd")));
  REQUIRE(junk.has_value());
  CHECK(std::get<Hello>(junk->body).elements.empty());
  // The same junk in a 1.3 HELLO is an error.
  CodecError e = decode_error(hex("04 00 00 0b 00 00 00 05 ff ee dd"));
  CHECK(e.type == ErrorType::BadRequest);
  CHECK(e.code == static_cast<std::uint16_t>(BadRequestCode::BadLen));
  // Encoding keeps the version for HELLO only.
  Message hello1{1, 5, Hello{}};
  CHECK(to_hex(as_bytes(encoded(hello1))) == "01 00 00 08 00 00 00 05");
}

// ---- Malformed input ----

namespace {
void check_error(const ByteVector& wire, ErrorType type, std::uint16_t code, std::size_t offset) {
  CodecError e = decode_error(wire);
  INFO(e.to_string());
  CHECK(e.type == type);
  CHECK(e.code == code);
  CHECK(e.offset == offset);
  CHECK_FALSE(e.detail.empty());
}
constexpr auto kBadLen = static_cast<std::uint16_t>(BadRequestCode::BadLen);
}  // namespace

TEST_CASE("decode rejects a buffer that disagrees with its header") {
  check_error(hex("04 00 00"), ErrorType::BadRequest, kBadLen, 3);                       // short header
  check_error(hex("04 14 00 09 00 00 00 01"), ErrorType::BadRequest, kBadLen, 2);        // says 9, is 8
  check_error(hex("04 14 00 08 00 00 00 01 00"), ErrorType::BadRequest, kBadLen, 2);     // says 8, is 9
  check_error(hex("04 14 00 00 00 00 00 01"), ErrorType::BadRequest, kBadLen, 2);        // says 0
}

TEST_CASE("decode rejects versions other than 1.3 except in HELLO") {
  check_error(hex("01 14 00 08 00 00 00 01"), ErrorType::BadRequest,
              static_cast<std::uint16_t>(BadRequestCode::BadVersion), 0);
  check_error(hex("05 05 00 08 00 00 00 01"), ErrorType::BadRequest,
              static_cast<std::uint16_t>(BadRequestCode::BadVersion), 0);
  check_error(hex("05 63 00 08 00 00 00 01"), ErrorType::BadRequest,  // unknown type too
              static_cast<std::uint16_t>(BadRequestCode::BadVersion), 0);
}

TEST_CASE("decode checks fixed lengths from the table") {
  // FEATURES_REQUEST is exactly 8 bytes.
  check_error(hex("04 05 00 0c 00 00 00 01 00 00 00 00"), ErrorType::BadRequest, kBadLen, 8);
  // FEATURES_REPLY is exactly 32.
  check_error(hex("04 06 00 10 00 00 00 01 00 00 00 00 00 00 00 01"), ErrorType::BadRequest, kBadLen, 16);
  // FLOW_MOD needs at least 56.
  ByteVector short_flow_mod(48, std::byte{0});
  short_flow_mod[0] = std::byte{4};
  short_flow_mod[1] = std::byte{14};
  set_length(short_flow_mod);
  check_error(short_flow_mod, ErrorType::BadRequest, kBadLen, 48);
  // ERROR shorter than type + code.
  check_error(hex("04 01 00 0a 00 00 00 01 00 01"), ErrorType::BadRequest, kBadLen, 10);
  // Experimenter ERROR without its experimenter id.
  check_error(hex("04 01 00 0e 00 00 00 01 ff ff 00 01 00 00"), ErrorType::BadRequest, kBadLen, 12);
  // ROLE_REQUEST one byte long.
  check_error(hex("04 18 00 19 00 00 00 01 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 01 00"),
              ErrorType::BadRequest, kBadLen, 24);
}

TEST_CASE("decode checks hello element lengths") {
  // Element length 2 (< 4).
  check_error(hex("04 00 00 10 00 00 00 01 00 01 00 02 00 00 00 10"), ErrorType::BadRequest, kBadLen, 10);
  // Element length 12 overruns the 8 bytes left.
  check_error(hex("04 00 00 10 00 00 00 01 00 01 00 0c 00 00 00 10"), ErrorType::BadRequest, kBadLen, 10);
  // Length 6 needs 2 bytes of padding to 8 that are missing.
  check_error(hex("04 00 00 0e 00 00 00 01 00 07 00 06 aa bb"), ErrorType::BadRequest, kBadLen, 10);
  // Bitmap of 3 bytes is not whole 32-bit words.
  check_error(hex("04 00 00 10 00 00 00 01 00 01 00 07 00 00 10 00"), ErrorType::BadRequest, kBadLen, 12);
  // Only 2 bytes left for an element header.
  check_error(hex("04 00 00 0a 00 00 00 01 00 01"), ErrorType::BadRequest, kBadLen, 8);
  // Unknown element with padding is fine and kept.
  Result<Message> ok = decode(as_bytes(hex("04 00 00 10 00 00 00 01 00 63 00 06 aa bb 00 00")));
  REQUIRE(ok.has_value());
  CHECK(std::get<UnknownHelloElement>(std::get<Hello>(ok->body).elements.at(0)) ==
        UnknownHelloElement{0x63, hex("aa bb")});
}

TEST_CASE("decode checks PACKET_IN, PACKET_OUT and FLOW_REMOVED inner lengths") {
  // PACKET_IN whose match length runs past the end.
  check_error(hex("04 0a 00 22 00 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00 00 00 00 00"
                  "00 01 00 0c 80 00 00 04 00 00"),
              ErrorType::BadMatch, static_cast<std::uint16_t>(BadMatchCode::BadLen), 26);
  // PACKET_IN ending inside the 2 padding bytes after the match.
  check_error(hex("04 0a 00 29 00 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00 00 00 00 00"
                  "00 01 00 0c 80 00 00 04 00 00 00 01 00 00 00 00 00"),
              ErrorType::BadRequest, kBadLen, 40);
  // PACKET_OUT actions_len 16 with only 8 bytes after the fixed part.
  check_error(hex("04 0d 00 20 00 00 00 00 ff ff ff ff ff ff ff fd 00 10 00 00 00 00 00 00"
                  "00 00 00 10 00 00 00 01"),
              ErrorType::BadRequest, kBadLen, 16);
  // PACKET_OUT with a misaligned action inside actions_len.
  check_error(hex("04 0d 00 20 00 00 00 00 ff ff ff ff ff ff ff fd 00 08 00 00 00 00 00 00"
                  "00 00 00 06 00 00 00 01"),
              ErrorType::BadAction, static_cast<std::uint16_t>(BadActionCode::BadLen), 24);
  // FLOW_REMOVED with 8 bytes after its (empty) match.
  ByteVector removed = encoded(msg(FlowRemoved{}));
  removed.resize(removed.size() + 8);
  set_length(removed);
  check_error(removed, ErrorType::BadRequest, kBadLen, 56);
  // FLOW_MOD whose instruction list ends in a partial instruction.
  FlowMod fm;
  fm.instructions = {GotoTable{1}};
  ByteVector flow_mod = encoded(msg(fm));
  flow_mod.resize(flow_mod.size() - 4);
  set_length(flow_mod);
  check_error(flow_mod, ErrorType::BadInstruction, static_cast<std::uint16_t>(BadInstructionCode::BadLen), 56);
}

TEST_CASE("decode checks GROUP_MOD bucket lengths") {
  const ByteVector good = encoded(msg(GroupMod{GroupModCommand::Add, GroupType::All, 1, sample_buckets()}));
  REQUIRE(decode(as_bytes(good)).has_value());
  const auto bad_bucket = static_cast<std::uint16_t>(GroupModFailedCode::BadBucket);
  auto with_first_len = [&](std::uint16_t len) {
    ByteVector w = good;
    w[16] = std::byte(len >> 8);
    w[17] = std::byte(len & 0xff);
    return w;
  };
  check_error(with_first_len(8), ErrorType::GroupModFailed, bad_bucket, 16);     // below 16
  check_error(with_first_len(28), ErrorType::GroupModFailed, bad_bucket, 16);    // not a multiple of 8
  check_error(with_first_len(4000), ErrorType::GroupModFailed, bad_bucket, 16);  // overrun
  // A bucket length that cuts its action in half: the action list reports it.
  check_error(with_first_len(24), ErrorType::BadAction, static_cast<std::uint16_t>(BadActionCode::BadLen), 32);
  // Trailing bytes too few for a bucket header.
  ByteVector tail = good;
  tail.push_back(std::byte{0});
  set_length(tail);
  check_error(tail, ErrorType::GroupModFailed, bad_bucket, good.size());
}

TEST_CASE("decode checks METER_MOD band lengths and types") {
  const ByteVector good = encoded(msg(MeterMod{MeterModCommand::Add, 0, 1, sample_bands()}));
  auto patched = [&](std::size_t at, std::uint16_t v) {
    ByteVector w = good;
    w[at] = std::byte(v >> 8);
    w[at + 1] = std::byte(v & 0xff);
    return w;
  };
  check_error(patched(18, 8), ErrorType::BadRequest, kBadLen, 18);      // band len below 16
  check_error(patched(18, 20), ErrorType::BadRequest, kBadLen, 18);     // not a multiple of 8
  check_error(patched(18, 1000), ErrorType::BadRequest, kBadLen, 18);   // overrun
  check_error(patched(18, 24), ErrorType::BadRequest, kBadLen, 32);     // drop band with 8 extra bytes
  check_error(patched(16, 7), ErrorType::MeterModFailed, static_cast<std::uint16_t>(MeterModFailedCode::BadBand),
              16);
}

TEST_CASE("a message cut at any byte never decodes into something else") {
  std::vector<Message> messages;
  for (const auto& sample : testing::sample_messages()) messages.push_back(sample.message);
  for (const Message& m : messages) {
    const ByteVector full = encoded(m);
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
      ByteVector part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
      INFO(message_type_name(message_type(m.body)) << " cut at " << cut);
      // Header still claims the full length: always an error.
      CHECK_FALSE(decode(as_bytes(part)).has_value());
      if (cut < 8) continue;
      // Header patched to the cut length: an error, or a shorter message that encodes back to
      // exactly these bytes (e.g. an ECHO with less data).
      set_length(part);
      Result<Message> d = decode(as_bytes(part));
      if (d.has_value()) {
        Result<ByteVector> again = encode(*d);
        REQUIRE(again.has_value());
        CHECK(*again == part);
      } else {
        CHECK(d.error().offset <= cut);
      }
    }
  }
}

TEST_CASE("messages with fixed parts fail at every truncation") {
  for (const char* name : {"FEATURES_REPLY", "PORT_STATUS", "FLOW_REMOVED", "FLOW_MOD", "PACKET_OUT buffered",
                           "GET_ASYNC_REPLY", "ROLE_REQUEST", "PORT_MOD", "METER_MOD", "GROUP_MOD"}) {
    bool found = false;
    for (const auto& sample : testing::sample_messages()) {
      if (sample.name != name) continue;
      found = true;
      const ByteVector full = encoded(sample.message);
      for (std::size_t cut = 8; cut < full.size(); ++cut) {
        ByteVector part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
        set_length(part);
        Result<Message> d = decode(as_bytes(part));
        INFO(name << " cut at " << cut);
        // GROUP_MOD and METER_MOD stay valid when cut between buckets or bands.
        if (d.has_value()) {
          CHECK((std::holds_alternative<GroupMod>(d->body) || std::holds_alternative<MeterMod>(d->body) ||
                 std::holds_alternative<FlowMod>(d->body)));
          CHECK(encoded(*d) == part);
        }
      }
    }
    INFO(name);
    CHECK(found);
  }
}

TEST_CASE("decode survives byte flips in every sample") {
  // A cheap in-process fuzz: flip each byte of each sample; decode must either fail cleanly
  // or give a message that encodes back to the same bytes.
  for (const auto& sample : testing::sample_messages()) {
    const ByteVector full = encoded(sample.message);
    for (std::size_t i = 0; i < full.size(); ++i) {
      for (unsigned flip : {0x01u, 0x80u, 0xffu}) {
        ByteVector w = full;
        w[i] ^= std::byte(flip);
        Result<Message> d = decode(as_bytes(w));
        if (!d) continue;
        INFO(sample.name << " byte " << i << " ^ " << flip << ": " << to_hex(as_bytes(w)));
        Result<ByteVector> again = encode(*d);
        if (!again) {
          // Only non-canonical input may fail to re-encode (e.g. a 16-character port name).
          CHECK(again.error().type == ErrorType::BadRequest);
          continue;
        }
        // Padding is not checked on decode, so compare what decode sees, not raw bytes.
        Result<Message> d2 = decode(as_bytes(*again));
        REQUIRE(d2.has_value());
        CHECK(*d2 == *d);
      }
    }
  }
}

// ---- Encoding limits ----

TEST_CASE("encode fails cleanly above 65535 bytes and leaves the buffer unchanged") {
  ByteVector out = hex("aa bb cc");
  const ByteVector before = out;
  EchoRequest big{ByteVector(kMaxMessageLength - 8 + 1, std::byte{0x5a})};
  Status s = encode(msg(big), out);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == kBadLen);
  CHECK(out == before);

  PacketOut po;
  po.actions = rewrite_actions();
  po.data = ByteVector(70000, std::byte{1});
  CHECK_FALSE(encode(msg(po), out).has_value());
  CHECK(out == before);

  // Exactly 65535 is fine, and decodes.
  EchoRequest max{ByteVector(kMaxMessageLength - 8, std::byte{0x5a})};
  REQUIRE(encode(msg(max), out).has_value());
  CHECK(out.size() == before.size() + kMaxMessageLength);
  ByteSpan appended = as_bytes(out).subspan(before.size());
  Result<Message> d = decode(appended);
  REQUIRE(d.has_value());
  CHECK(std::get<EchoRequest>(d->body) == max);
}

TEST_CASE("encode refuses values the wire cannot represent") {
  ByteVector out = hex("01");
  auto refused = [&](const Message& m, ErrorType type, std::uint16_t code) {
    Status s = encode(m, out);
    REQUIRE_FALSE(s.has_value());
    INFO(s.error().to_string());
    CHECK(s.error().type == type);
    CHECK(s.error().code == code);
    CHECK(out == hex("01"));
  };
  Port long_name = sample_port(1);
  long_name.name = "a-port-name-of-16";
  refused(msg(PortStatus{PortReason::Add, long_name}), ErrorType::BadRequest, kBadLen);
  refused(msg(UnknownMessage{14, {}}), ErrorType::BadRequest, static_cast<std::uint16_t>(BadRequestCode::BadType));
  refused(msg(MultipartRequest{0, UnknownMultipart{13, {}}}), ErrorType::BadRequest,
          static_cast<std::uint16_t>(BadRequestCode::BadMultipart));
  refused(Message{1, 0, FeaturesRequest{}}, ErrorType::BadRequest,
          static_cast<std::uint16_t>(BadRequestCode::BadVersion));
  refused(msg(Hello{{UnknownHelloElement{1, {}}}}), ErrorType::BadRequest,
          static_cast<std::uint16_t>(BadRequestCode::BadType));
  MeterBand odd{MeterBandType::Experimenter, 1, 1, 0, 7, hex("01 02 03")};
  refused(msg(MeterMod{MeterModCommand::Add, 0, 1, {odd}}), ErrorType::BadRequest, kBadLen);
  MeterBand undefined{static_cast<MeterBandType>(9), 1, 1, 0, 0, {}};
  refused(msg(MeterMod{MeterModCommand::Add, 0, 1, {undefined}}), ErrorType::MeterModFailed,
          static_cast<std::uint16_t>(MeterModFailedCode::BadBand));

  // A port name of 15 characters is the longest that fits (NUL-terminated, spec 7.2.1).
  Port fifteen = sample_port(1);
  fifteen.name = "abcdefghijklmno";
  check_round_trip(msg(PortStatus{PortReason::Add, fifteen}));
}

TEST_CASE("encode appends to a buffer holding earlier messages") {
  ByteVector out;
  for (std::uint32_t xid = 0; xid < 100; ++xid) REQUIRE(encode(msg(BarrierRequest{}, xid), out).has_value());
  REQUIRE(out.size() == 800);
  for (std::uint32_t xid = 0; xid < 100; ++xid) {
    Result<Message> d = decode(as_bytes(out).subspan(xid * 8, 8));
    REQUIRE(d.has_value());
    CHECK(d->xid == xid);
  }
}
