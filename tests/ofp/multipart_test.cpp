// MULTIPART_REQUEST / MULTIPART_REPLY bodies (spec 7.3.5): round trips for every body type,
// the more flag, unknown types kept, golden bytes and the length checks of each body.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "vmnmob/ofp/codec.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

ByteVector hex(std::string_view s) { return bytes_from_hex(s); }

ByteVector encoded(const Message& m) {
  Result<ByteVector> bytes = encode(m);
  REQUIRE(bytes.has_value());
  return std::move(*bytes);
}

ByteVector check_round_trip(const Message& m) {
  ByteVector wire = encoded(m);
  Result<Message> decoded = decode(as_bytes(wire));
  if (!decoded) FAIL(decoded.error().to_string() << "\n" << to_hex(as_bytes(wire)));
  CHECK(*decoded == m);
  CHECK(encoded(*decoded) == wire);
  return wire;
}

// Built in place: g++ 12 warns (-Wmaybe-uninitialized, wrongly) about the nested variant
// temporaries of a one-expression aggregate initialisation.
Message request(MultipartRequestBody body, std::uint16_t flags = 0) {
  Message m;
  m.xid = 0x0a0b0c0d;
  auto& r = m.body.emplace<MultipartRequest>();
  r.flags = flags;
  r.body = std::move(body);
  return m;
}
Message reply(MultipartReplyBody body, std::uint16_t flags = 0) {
  Message m;
  m.xid = 0x0a0b0c0d;
  auto& r = m.body.emplace<MultipartReply>();
  r.flags = flags;
  r.body = std::move(body);
  return m;
}

void set_length(ByteVector& wire) {
  wire[2] = std::byte(wire.size() >> 8);
  wire[3] = std::byte(wire.size() & 0xff);
}

Match cookie_match() {
  Match m;
  m.add(OxmField::EthType, 0x0800).add(OxmField::Ipv4Dst, Ipv4Address{0x0a0a0005});
  return m;
}

FlowStats flow_stats(std::uint16_t priority) {
  FlowStats f;
  f.table_id = 1;
  f.duration_sec = 12;
  f.duration_nsec = 345;
  f.priority = priority;
  f.idle_timeout = 60;
  f.hard_timeout = 600;
  f.flags = flow_mod_flags::kSendFlowRem;
  f.cookie = 0x00000a0a00050001;
  f.packet_count = 10;
  f.byte_count = 980;
  f.match = cookie_match();
  f.instructions = {ApplyActions{{set_field(OxmField::Ipv4Dst, Ipv4Address{0xac100209}), Output{2, 0}}}};
  return f;
}

Port make_port(std::uint32_t no) {
  // Not `"p" + std::to_string(no)`: g++ 12 at -O3 reports a false -Wrestrict in that operator+
  // (GCC bug 105651), which -Werror turns into a build failure.
  std::string name = "p";
  name += std::to_string(no);
  return Port{no, MacAddress{{2, 0, 0, 0, 0, static_cast<std::uint8_t>(no)}}, std::move(name), 0,
              port_state::kLive, 0x840, 0, 0, 0, 1'000'000, 1'000'000};
}

std::vector<std::pair<std::string, Message>> samples() {
  std::vector<std::pair<std::string, Message>> all;
  all.emplace_back("DESC request", request(DescRequest{}));
  all.emplace_back("DESC reply",
                   reply(DescReply{"Nicira, Inc.", "Open vSwitch", "3.1.0", "None", "br-site-a"}));
  all.emplace_back("FLOW request",
                   request(FlowStatsRequest{1, 4, 7, 0x00000a0a00050000, 0xffffffffffff0000, cookie_match()}));
  all.emplace_back("FLOW request, all tables, empty match", request(FlowStatsRequest{}));
  all.emplace_back("FLOW reply", reply(FlowStatsReply{{flow_stats(100), flow_stats(200)}}, multipart_flags::kMore));
  all.emplace_back("FLOW reply, empty", reply(FlowStatsReply{}));
  all.emplace_back("AGGREGATE request",
                   request(AggregateStatsRequest{FlowStatsRequest{0, port::kAny, kGroupAny, 5, 0xff, cookie_match()}}));
  all.emplace_back("AGGREGATE reply", reply(AggregateStatsReply{123456789, 987654321987, 42}));
  all.emplace_back("TABLE request", request(TableStatsRequest{}));
  all.emplace_back("TABLE reply", reply(TableStatsReply{{{0, 10, 1000, 900}, {1, 3, 50, 49}, {254, 0, 0, 0}}}));
  all.emplace_back("PORT_STATS request", request(PortStatsRequest{3}));
  {
    PortStats a{1, 10, 20, 1000, 2000, 1, 2, 3, 4, 5, 6, 7, 8, 100, 200};
    PortStats b{port::kLocal, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    all.emplace_back("PORT_STATS reply", reply(PortStatsReply{{a, b}}));
  }
  all.emplace_back("PORT_DESC request", request(PortDescRequest{}, multipart_flags::kMore));
  all.emplace_back("PORT_DESC reply", reply(PortDescReply{{make_port(1), make_port(2), make_port(port::kLocal)}}));
  all.emplace_back("GROUP_DESC request", request(GroupDescRequest{}));
  all.emplace_back(
      "GROUP_DESC reply",
      reply(GroupDescReply{{GroupDesc{GroupType::Select, 1,
                                      {Bucket{1, port::kAny, kGroupAny, {Output{1, 0}}},
                                       Bucket{2, port::kAny, kGroupAny, {Output{2, 0}, Output{3, 0}}}}},
                            GroupDesc{GroupType::Indirect, 2, {Bucket{0, port::kAny, kGroupAny, {}}}},
                            GroupDesc{GroupType::All, 3, {}}}}));
  all.emplace_back("METER_CONFIG request", request(MeterConfigRequest{7}));
  all.emplace_back(
      "METER_CONFIG reply",
      reply(MeterConfigReply{{MeterConfig{meter_flags::kKbps, 1, {MeterBand{MeterBandType::Drop, 100, 10, 0, 0, {}}}},
                              MeterConfig{meter_flags::kPktps, 2,
                                          {MeterBand{MeterBandType::DscpRemark, 10, 1, 1, 0, {}},
                                           MeterBand{MeterBandType::Experimenter, 5, 0, 0, 0x2320,
                                                     hex("00 00 00 00 00 00 00 01")}}},
                              MeterConfig{0, 3, {}}}}));
  all.emplace_back("GROUP request (kept unknown)", request(UnknownMultipart{6, hex("ff ff ff fc 00 00 00 00")}));
  all.emplace_back("METER_FEATURES request", request(MeterFeaturesRequest{}));
  all.emplace_back("METER_FEATURES reply", reply(MeterFeaturesReply{0x1000, 0x3, 0xf, 16, 8}));
  all.emplace_back("METER stats reply (kept unknown)",
                   reply(UnknownMultipart{9, hex("00 00 00 01 00 28 00 00 00 00 00 00 00 00 00 02"
                                                 "00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 04"
                                                 "00 00 00 05 00 00 00 06")}));
  all.emplace_back("experimenter request (kept unknown)",
                   request(UnknownMultipart{0xffff, hex("00 00 23 20 00 00 00 01")}));
  return all;
}

}  // namespace

TEST_CASE("every multipart body round-trips") {
  for (const auto& [name, m] : samples()) {
    SECTION(name) { check_round_trip(m); }
  }
}

TEST_CASE("the multipart samples cover every request and reply body type") {
  std::vector<bool> requests(std::variant_size_v<MultipartRequestBody>, false);
  std::vector<bool> replies(std::variant_size_v<MultipartReplyBody>, false);
  for (const auto& [name, m] : samples()) {
    if (const auto* r = std::get_if<MultipartRequest>(&m.body)) requests[r->body.index()] = true;
    if (const auto* r = std::get_if<MultipartReply>(&m.body)) replies[r->body.index()] = true;
  }
  for (bool seen : requests) CHECK(seen);
  for (bool seen : replies) CHECK(seen);
}

TEST_CASE("multipart_type and the more flag") {
  CHECK(multipart_type(MultipartRequestBody{FlowStatsRequest{}}) == MultipartType::Flow);
  CHECK(multipart_type(MultipartRequestBody{AggregateStatsRequest{}}) == MultipartType::Aggregate);
  CHECK(multipart_type(MultipartRequestBody{MeterConfigRequest{}}) == MultipartType::MeterConfig);
  CHECK(multipart_type(MultipartRequestBody{UnknownMultipart{12, {}}}) == MultipartType::TableFeatures);
  CHECK(multipart_type(MultipartReplyBody{PortDescReply{}}) == MultipartType::PortDesc);
  CHECK(multipart_type(MultipartReplyBody{GroupDescReply{}}) == MultipartType::GroupDesc);
  CHECK(multipart_type(MultipartReplyBody{DescReply{}}) == MultipartType::Desc);

  // OFPMPF_REPLY_MORE on the wire is the low bit of the flags at byte 10.
  ByteVector more = encoded(reply(TableStatsReply{{{0, 1, 2, 3}}}, multipart_flags::kMore));
  CHECK(std::to_integer<unsigned>(more[11]) == 1);
  Result<Message> d = decode(as_bytes(more));
  REQUIRE(d.has_value());
  CHECK(std::get<MultipartReply>(d->body).more());
  ByteVector last = encoded(reply(TableStatsReply{{{0, 1, 2, 3}}}));
  Result<Message> d2 = decode(as_bytes(last));
  REQUIRE(d2.has_value());
  CHECK_FALSE(std::get<MultipartReply>(d2->body).more());
  // Flags other than MORE are kept as they came.
  check_round_trip(request(PortDescRequest{}, 0x8001));
}

TEST_CASE("golden multipart bytes") {
  // OFPMP_PORT_DESC request: type 13, no flags, 4 bytes of padding, no body.
  CHECK(to_hex(as_bytes(encoded(request(PortDescRequest{})))) == "04 12 00 10 0a 0b 0c 0d 00 0d 00 00 00 00 00 00");
  // OFPMP_PORT_STATS request for port 3.
  CHECK(to_hex(as_bytes(encoded(request(PortStatsRequest{3})))) ==
        "04 12 00 18 0a 0b 0c 0d 00 04 00 00 00 00 00 00 00 00 00 03 00 00 00 00");
  // OFPMP_AGGREGATE reply.
  CHECK(to_hex(as_bytes(encoded(reply(AggregateStatsReply{2, 3, 4})))) ==
        "04 13 00 28 0a 0b 0c 0d 00 02 00 00 00 00 00 00 "
        "00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 03 00 00 00 04 00 00 00 00");
  // OFPMP_FLOW request: table 0xff, out_port/out_group ANY, cookie 0/0, empty match.
  CHECK(to_hex(as_bytes(encoded(request(FlowStatsRequest{})))) ==
        "04 12 00 38 0a 0b 0c 0d 00 01 00 00 00 00 00 00 "
        "ff 00 00 00 ff ff ff ff ff ff ff ff 00 00 00 00 "
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
        "00 01 00 04 00 00 00 00");
  // A DESC reply is 16 + 1056 bytes with NUL-padded strings.
  ByteVector desc = encoded(reply(DescReply{"a", "b", "c", "d", "e"}));
  CHECK(desc.size() == 16 + 1056);
  CHECK(std::to_integer<char>(desc[16]) == 'a');
  CHECK(std::to_integer<char>(desc[16 + 256]) == 'b');
  CHECK(std::to_integer<char>(desc[16 + 768]) == 'd');
  CHECK(std::to_integer<char>(desc[16 + 800]) == 'e');
}

namespace {
constexpr auto kBadLen = static_cast<std::uint16_t>(BadRequestCode::BadLen);

void check_bad_len(const ByteVector& wire, std::size_t offset) {
  Result<Message> d = decode(as_bytes(wire));
  REQUIRE_FALSE(d.has_value());
  INFO(d.error().to_string());
  CHECK(d.error().type == ErrorType::BadRequest);
  CHECK(d.error().code == kBadLen);
  CHECK(d.error().offset == offset);
}

ByteVector with_u16(ByteVector w, std::size_t at, std::uint16_t v) {
  w[at] = std::byte(v >> 8);
  w[at + 1] = std::byte(v & 0xff);
  return w;
}
ByteVector resized(ByteVector w, std::size_t n) {
  w.resize(n);
  set_length(w);
  return w;
}
}  // namespace

TEST_CASE("multipart length checks") {
  // Shorter than the multipart header.
  check_bad_len(hex("04 12 00 0c 0a 0b 0c 0d 00 0d 00 00"), 12);
  // Requests whose body must be empty or exactly 8 bytes.
  check_bad_len(resized(encoded(request(PortDescRequest{})), 24), 16);
  check_bad_len(resized(encoded(request(PortStatsRequest{})), 20), 20);
  check_bad_len(resized(encoded(request(MeterConfigRequest{})), 32), 24);
  // FLOW request shorter than its fixed part and empty match.
  check_bad_len(resized(encoded(request(FlowStatsRequest{})), 48), 48);
  // DESC reply one byte short.
  check_bad_len(resized(encoded(reply(DescReply{})), 16 + 1055), 16 + 1055);
  // Arrays of fixed-size elements with a partial element at the end.
  check_bad_len(resized(encoded(reply(TableStatsReply{{{}, {}}})), 16 + 24 + 10), 16 + 24);
  check_bad_len(resized(encoded(reply(PortStatsReply{{{}}})), 16 + 100), 16);
  check_bad_len(resized(encoded(reply(PortDescReply{{make_port(1), make_port(2)}})), 16 + 64 + 63), 16 + 64);
  // AGGREGATE reply with extra bytes.
  check_bad_len(resized(encoded(reply(AggregateStatsReply{})), 48), 40);
}

TEST_CASE("flow stats, group desc and meter config element lengths are checked") {
  const ByteVector flows = encoded(reply(FlowStatsReply{{flow_stats(1), flow_stats(2)}}));
  REQUIRE(decode(as_bytes(flows)).has_value());
  check_bad_len(with_u16(flows, 16, 48), 16);    // below the 56-byte minimum
  check_bad_len(with_u16(flows, 16, 60), 16);    // not a multiple of 8
  check_bad_len(with_u16(flows, 16, 4096), 16);  // overruns the message
  check_bad_len(resized(flows, flows.size() + 2), flows.size());  // too short for a header

  const ByteVector groups = encoded(reply(GroupDescReply{{GroupDesc{GroupType::All, 1, {Bucket{}}}}}));
  check_bad_len(with_u16(groups, 16, 4), 16);
  check_bad_len(with_u16(groups, 16, 12), 16);
  check_bad_len(with_u16(groups, 16, 32), 16);
  // A group desc that ends inside its bucket: the bucket length overruns.
  Result<Message> cut = decode(as_bytes(with_u16(groups, 16, 16)));
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().type == ErrorType::GroupModFailed);
  CHECK(cut.error().offset == 24);

  const ByteVector meters = encoded(reply(MeterConfigReply{
      {MeterConfig{0, 1, {MeterBand{MeterBandType::Drop, 1, 1, 0, 0, {}}}}}}));
  check_bad_len(with_u16(meters, 16, 6), 16);
  check_bad_len(with_u16(meters, 16, 20), 16);
  check_bad_len(with_u16(meters, 16, 40), 16);
  // Meter config length 16 leaves 8 bytes for a 16-byte band.
  check_bad_len(with_u16(meters, 16, 16), 26);
}

TEST_CASE("multipart messages cut at any byte fail or re-encode identically") {
  for (const auto& [name, m] : samples()) {
    const ByteVector full = encoded(m);
    for (std::size_t cut = 8; cut < full.size(); ++cut) {
      ByteVector part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
      set_length(part);
      Result<Message> d = decode(as_bytes(part));
      INFO(name << " cut at " << cut);
      if (d.has_value()) CHECK(encoded(*d) == part);
    }
  }
}
