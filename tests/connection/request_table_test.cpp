// Request/reply matching by xid, multipart assembly, errors and timeouts, fed with times.
#include <catch2/catch.hpp>

#include "connection/detail/request_table.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace vmnmob::connection::detail;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 1000h;

struct Capture {
  int calls = 0;
  std::optional<ReplyResult> result;
  ReplyHandler handler() {
    return [this](ReplyResult r) {
      ++calls;
      result = std::move(r);
    };
  }
};

ofp::Message part(std::uint32_t xid, std::vector<std::uint64_t> cookies, bool more) {
  ofp::FlowStatsReply body;
  for (auto c : cookies) {
    ofp::FlowStats f;
    f.cookie = c;
    body.flows.push_back(f);
  }
  return ofp::Message{ofp::kVersion, xid,
                      ofp::MultipartReply{more ? ofp::multipart_flags::kMore : std::uint16_t{0}, body}};
}
}  // namespace

TEST_CASE("request table: reply types", "[request]") {
  CHECK(reply_type_for(ofp::BarrierRequest{}) == ofp::MessageType::BarrierReply);
  CHECK(reply_type_for(ofp::EchoRequest{}) == ofp::MessageType::EchoReply);
  CHECK(reply_type_for(ofp::RoleRequest{}) == ofp::MessageType::RoleReply);
  CHECK(reply_type_for(ofp::GetConfigRequest{}) == ofp::MessageType::GetConfigReply);
  CHECK(reply_type_for(ofp::MultipartRequest{}) == ofp::MessageType::MultipartReply);
  CHECK_FALSE(reply_type_for(ofp::FlowMod{}).has_value());
  CHECK_FALSE(reply_type_for(ofp::PacketOut{}).has_value());
}

TEST_CASE("request table: matches by xid, ignores others", "[request]") {
  RequestTable table;
  Capture c;
  table.add(7, ofp::MessageType::BarrierReply, t0 + 1s, c.handler());
  ofp::Message other{ofp::kVersion, 8, ofp::BarrierReply{}};
  CHECK_FALSE(table.on_message(other));
  ofp::Message wrong_type{ofp::kVersion, 7, ofp::EchoReply{}};
  CHECK_FALSE(table.on_message(wrong_type));
  CHECK(c.calls == 0);
  ofp::Message reply{ofp::kVersion, 7, ofp::BarrierReply{}};
  CHECK(table.on_message(reply));
  REQUIRE(c.calls == 1);
  REQUIRE(c.result->has_value());
  CHECK((*c.result)->size() == 1);
  CHECK(table.size() == 0);
  ofp::Message again{ofp::kVersion, 7, ofp::BarrierReply{}};
  CHECK_FALSE(table.on_message(again));
}

TEST_CASE("request table: multipart parts are assembled until REPLY_MORE is clear", "[request]") {
  RequestTable table;
  Capture c;
  table.add(9, ofp::MessageType::MultipartReply, t0 + 1s, c.handler());
  auto p1 = part(9, {1, 2}, true);
  auto p2 = part(9, {3}, true);
  auto p3 = part(9, {4, 5}, false);
  CHECK(table.on_message(p1));
  CHECK(table.on_message(p2));
  CHECK(c.calls == 0);
  CHECK(table.on_message(p3));
  REQUIRE(c.calls == 1);
  REQUIRE(c.result->has_value());
  const Reply& parts = **c.result;
  REQUIRE(parts.size() == 3);
  auto merged = merge_multipart(parts);
  const auto* flows = std::get_if<ofp::FlowStatsReply>(&merged);
  REQUIRE(flows != nullptr);
  REQUIRE(flows->flows.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(flows->flows[i].cookie == i + 1);
}

TEST_CASE("request table: OFPT_ERROR with the request's xid is a typed failure", "[request]") {
  RequestTable table;
  Capture c;
  table.add(3, ofp::MessageType::RoleReply, t0 + 1s, c.handler());
  ofp::ErrorMsg e;
  e.type = ofp::ErrorType::RoleRequestFailed;
  e.code = static_cast<std::uint16_t>(ofp::RoleRequestFailedCode::Stale);
  ofp::Message error{ofp::kVersion, 3, e};
  CHECK(table.on_message(error));
  REQUIRE(c.calls == 1);
  REQUIRE_FALSE(c.result->has_value());
  CHECK(c.result->error().kind == RequestError::Kind::SwitchError);
  CHECK(c.result->error().error.type == ofp::ErrorType::RoleRequestFailed);
  CHECK(c.result->error().error.code == 0);
  CHECK(c.result->error().to_string().find("ROLE_REQUEST_FAILED") != std::string::npos);
}

TEST_CASE("request table: deadlines, partial multipart timeout, fail_all", "[request]") {
  RequestTable table;
  Capture a, b, d;
  table.add(1, ofp::MessageType::BarrierReply, t0 + 1s, a.handler());
  table.add(2, ofp::MessageType::MultipartReply, t0 + 2s, b.handler());
  table.add(4, ofp::MessageType::EchoReply, t0 + 3s, d.handler());
  CHECK(table.next_deadline() == t0 + 1s);
  auto p = part(2, {1}, true);
  CHECK(table.on_message(p));

  table.expire(t0 + 999ms);
  CHECK(a.calls == 0);
  table.expire(t0 + 2s);
  REQUIRE(a.calls == 1);
  CHECK(a.result->error().kind == RequestError::Kind::Timeout);
  REQUIRE(b.calls == 1);
  CHECK(b.result->error().kind == RequestError::Kind::Timeout);
  CHECK(b.result->error().detail.find("1 parts") != std::string::npos);
  CHECK(table.next_deadline() == t0 + 3s);

  table.fail_all(RequestError::Kind::Disconnected, "peer closed");
  REQUIRE(d.calls == 1);
  CHECK(d.result->error().kind == RequestError::Kind::Disconnected);
  CHECK(table.size() == 0);
  CHECK(table.next_deadline() == TimePoint::max());
}

TEST_CASE("request table: a handler may add requests while being called", "[request]") {
  RequestTable table;
  Capture inner;
  int outer_calls = 0;
  table.add(1, ofp::MessageType::BarrierReply, t0 + 1s, [&](ReplyResult) {
    ++outer_calls;
    table.add(2, ofp::MessageType::BarrierReply, t0 + 5s, inner.handler());
  });
  table.expire(t0 + 1s);
  CHECK(outer_calls == 1);
  CHECK(table.size() == 1);
  ofp::Message reply{ofp::kVersion, 2, ofp::BarrierReply{}};
  CHECK(table.on_message(reply));
  CHECK(inner.calls == 1);
}
