// The session state machine fed with messages and times: no sockets, no sleeping.
#include <catch2/catch.hpp>

#include "vmnmob/connection/session.hpp"
#include "vmnmob/ofp/codec.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace std::chrono_literals;

namespace {

const TimePoint t0 = TimePoint{} + 1000h;

SessionConfig test_config() {
  SessionConfig c;
  c.handshake_timeout = 10s;
  c.echo_interval = 5s;
  c.echo_timeout = 3s;
  c.switch_config.miss_send_len = 0xffff;
  return c;
}

ofp::Message msg(ofp::MessageBody body, std::uint32_t xid = 0x77, std::uint8_t version = ofp::kVersion) {
  return ofp::Message{version, xid, std::move(body)};
}

ofp::Message hello13() { return msg(ofp::Hello{{ofp::VersionBitmap::of({ofp::kVersion})}}); }

template <class T>
const T* only(const Session::Actions& a, std::size_t index = 0) {
  if (a.send.size() <= index) return nullptr;
  return std::get_if<T>(&a.send[index].body);
}

// Drives a session through the whole handshake; returns it up.
Session up_session(TimePoint now) {
  Session s(test_config());
  auto start = s.start(now);
  REQUIRE(start.send.size() == 1);
  auto a = s.on_message(now, hello13());
  REQUIRE(only<ofp::FeaturesRequest>(a) != nullptr);
  ofp::FeaturesReply features;
  features.datapath_id = 0xabc;
  a = s.on_message(now, msg(features, a.send[0].xid));
  REQUIRE(a.send.size() == 2);
  std::uint32_t ports_xid = a.send[1].xid;
  a = s.on_message(now, msg(ofp::MultipartReply{0, ofp::PortDescReply{}}, ports_xid));
  REQUIRE(a.became_up);
  return s;
}

}  // namespace

TEST_CASE("session: start sends HELLO with a 1.3-only version bitmap", "[session]") {
  Session s(test_config());
  CHECK(s.state() == Session::State::NotStarted);
  auto a = s.start(t0);
  REQUIRE(a.send.size() == 1);
  const auto* hello = only<ofp::Hello>(a);
  REQUIRE(hello != nullptr);
  REQUIRE(hello->version_bitmap() != nullptr);
  CHECK(hello->version_bitmap()->supports(4));
  CHECK_FALSE(hello->version_bitmap()->supports(1));
  CHECK(s.state() == Session::State::WaitHello);
  CHECK(s.next_deadline() == t0 + 10s);
  CHECK(s.start(t0).send.empty());  // idempotent
}

TEST_CASE("session: full handshake FEATURES -> SET_CONFIG + PORT_DESC (two parts) -> up", "[session]") {
  Session s(test_config());
  (void)s.start(t0);
  auto a = s.on_message(t0 + 1ms, hello13());
  CHECK(a.consumed);
  REQUIRE(a.send.size() == 1);
  REQUIRE(only<ofp::FeaturesRequest>(a) != nullptr);
  std::uint32_t features_xid = a.send[0].xid;
  CHECK(s.state() == Session::State::WaitFeatures);

  // A PACKET_IN sneaking in before the handshake completes is swallowed, not dispatched.
  auto early = s.on_message(t0 + 2ms, msg(ofp::PacketIn{}));
  CHECK(early.consumed);
  CHECK_FALSE(early.close);

  ofp::FeaturesReply features;
  features.datapath_id = 0x00000000000000a1;
  features.n_tables = 254;
  a = s.on_message(t0 + 3ms, msg(features, features_xid));
  REQUIRE(a.send.size() == 2);
  const auto* config = only<ofp::SetConfig>(a, 0);
  REQUIRE(config != nullptr);
  CHECK(config->config.miss_send_len == 0xffff);
  const auto* ports = only<ofp::MultipartRequest>(a, 1);
  REQUIRE(ports != nullptr);
  CHECK(std::holds_alternative<ofp::PortDescRequest>(ports->body));
  std::uint32_t ports_xid = a.send[1].xid;
  CHECK(ports_xid != features_xid);
  CHECK(s.state() == Session::State::WaitPorts);

  ofp::Port p1;
  p1.port_no = 1;
  p1.name = "p1";
  ofp::Port p2 = p1;
  p2.port_no = 2;
  a = s.on_message(t0 + 4ms,
                   msg(ofp::MultipartReply{ofp::multipart_flags::kMore, ofp::PortDescReply{{p1}}}, ports_xid));
  CHECK_FALSE(a.became_up);
  CHECK(s.state() == Session::State::WaitPorts);
  a = s.on_message(t0 + 5ms, msg(ofp::MultipartReply{0, ofp::PortDescReply{{p2}}}, ports_xid));
  CHECK(a.became_up);
  CHECK(s.up());
  CHECK(s.features().datapath_id == 0xa1);
  REQUIRE(s.ports().size() == 2);
  CHECK(s.ports()[0].port_no == 1);
  CHECK(s.ports()[1].port_no == 2);
}

TEST_CASE("session: probe_meters asks METER_FEATURES with PORT_DESC; up once both are answered", "[session]") {
  SessionConfig c = test_config();
  c.probe_meters = true;
  ofp::FeaturesReply features;
  features.datapath_id = 0xa1;
  const ofp::MeterFeaturesReply ovs{0x40000, 1u << 1, 0xf, 8, 0};
  // Drives a session to WaitPorts; returns the xids of PORT_DESC and METER_FEATURES.
  auto handshake = [&](Session& s) {
    (void)s.start(t0);
    auto a = s.on_message(t0, hello13());
    a = s.on_message(t0, msg(features, a.send[0].xid));
    REQUIRE(a.send.size() == 3);
    const auto* meters = only<ofp::MultipartRequest>(a, 2);
    REQUIRE(meters != nullptr);
    CHECK(std::holds_alternative<ofp::MeterFeaturesRequest>(meters->body));
    CHECK(a.send[2].xid != a.send[1].xid);
    return std::pair{a.send[1].xid, a.send[2].xid};
  };
  SECTION("ports first, then the meters") {
    Session s(c);
    auto [ports, meters] = handshake(s);
    auto a = s.on_message(t0 + 1ms, msg(ofp::MultipartReply{0, ofp::PortDescReply{}}, ports));
    CHECK_FALSE(a.became_up);
    a = s.on_message(t0 + 2ms, msg(ofp::MultipartReply{0, ovs}, meters));
    CHECK(a.became_up);
    REQUIRE(s.meter_features().has_value());
    CHECK(*s.meter_features() == ovs);
  }
  SECTION("the meters first, then the ports") {
    Session s(c);
    auto [ports, meters] = handshake(s);
    auto a = s.on_message(t0 + 1ms, msg(ofp::MultipartReply{0, ovs}, meters));
    CHECK_FALSE(a.became_up);
    a = s.on_message(t0 + 2ms, msg(ofp::MultipartReply{0, ofp::PortDescReply{}}, ports));
    CHECK(a.became_up);
    CHECK(s.meter_features().has_value());
  }
  SECTION("a switch without meters refuses the request: up all the same, without features") {
    Session s(c);
    auto [ports, meters] = handshake(s);
    auto a = s.on_message(t0 + 1ms, msg(ofp::ErrorMsg{ofp::ErrorType::BadRequest, 2, 0, {}}, meters));  // BAD_MULTIPART
    CHECK_FALSE(a.close);
    CHECK_FALSE(a.became_up);
    a = s.on_message(t0 + 2ms, msg(ofp::MultipartReply{0, ofp::PortDescReply{}}, ports));
    CHECK(a.became_up);
    CHECK_FALSE(s.meter_features().has_value());
  }
  SECTION("no answer to METER_FEATURES: the handshake times out and says which") {
    Session s(c);
    auto [ports, meters] = handshake(s);
    (void)meters;
    (void)s.on_message(t0 + 1ms, msg(ofp::MultipartReply{0, ofp::PortDescReply{}}, ports));
    auto a = s.on_tick(t0 + 10s);
    REQUIRE(a.close);
    CHECK(a.close->reason == DisconnectReason::HandshakeTimeout);
    CHECK(a.close->detail == "no METER_FEATURES reply from the switch");
  }
  SECTION("not asked: nothing sent, nothing known") {
    Session s(test_config());
    CHECK_FALSE(up_session(t0).meter_features().has_value());
  }
}

TEST_CASE("session: hello negotiation", "[session]") {
  Session s(test_config());
  (void)s.start(t0);
  SECTION("bitmap without 1.3 -> HELLO_FAILED/INCOMPATIBLE, close") {
    auto a = s.on_message(t0, msg(ofp::Hello{{ofp::VersionBitmap::of({1, 2, 3})}}, 1, 3));
    REQUIRE(a.close);
    CHECK(a.close->reason == DisconnectReason::HelloFailed);
    const auto* error = only<ofp::ErrorMsg>(a);
    REQUIRE(error != nullptr);
    CHECK(error->type == ofp::ErrorType::HelloFailed);
    CHECK(error->code == static_cast<std::uint16_t>(ofp::HelloFailedCode::Incompatible));
    CHECK(a.send[0].version == 3);  // answered in the peer's version
    CHECK(s.state() == Session::State::Closed);
  }
  SECTION("OpenFlow 1.0 hello without bitmap -> HELLO_FAILED in version 1") {
    auto a = s.on_message(t0, msg(ofp::Hello{}, 1, 1));
    REQUIRE(a.close);
    CHECK(a.close->reason == DisconnectReason::HelloFailed);
    REQUIRE(a.send.size() == 1);
    CHECK(a.send[0].version == 1);
  }
  SECTION("newer version without bitmap negotiates down to 1.3") {
    auto a = s.on_message(t0, msg(ofp::Hello{}, 1, 6));
    CHECK_FALSE(a.close);
    CHECK(only<ofp::FeaturesRequest>(a) != nullptr);
  }
  SECTION("bitmap with 1.0 and 1.3 works") {
    auto a = s.on_message(t0, msg(ofp::Hello{{ofp::VersionBitmap::of({1, 4})}}, 1, 4));
    CHECK_FALSE(a.close);
    CHECK(only<ofp::FeaturesRequest>(a) != nullptr);
  }
  SECTION("a first message other than HELLO is a protocol error") {
    auto a = s.on_message(t0, msg(ofp::EchoRequest{}));
    REQUIRE(a.close);
    CHECK(a.close->reason == DisconnectReason::ProtocolError);
  }
  SECTION("HELLO_FAILED from the switch closes") {
    (void)s.on_message(t0, hello13());
    ofp::ErrorMsg e;
    e.type = ofp::ErrorType::HelloFailed;
    auto a = s.on_message(t0, msg(e));
    REQUIRE(a.close);
    CHECK(a.close->reason == DisconnectReason::HelloFailed);
  }
}

TEST_CASE("session: error answering FEATURES_REQUEST fails the handshake", "[session]") {
  Session s(test_config());
  (void)s.start(t0);
  auto a = s.on_message(t0, hello13());
  ofp::ErrorMsg e;
  e.type = ofp::ErrorType::BadRequest;
  e.code = static_cast<std::uint16_t>(ofp::BadRequestCode::BadType);
  a = s.on_message(t0, msg(e, a.send[0].xid));
  REQUIRE(a.close);
  CHECK(a.close->reason == DisconnectReason::HandshakeError);
}

TEST_CASE("session: a stalled handshake times out at the deadline, not before", "[session]") {
  Session s(test_config());
  (void)s.start(t0);
  (void)s.on_message(t0 + 1s, hello13());  // then nothing
  CHECK_FALSE(s.on_tick(t0 + 9999ms).close);
  auto a = s.on_tick(t0 + 10s);
  REQUIRE(a.close);
  CHECK(a.close->reason == DisconnectReason::HandshakeTimeout);
  CHECK(a.close->detail.find("FEATURES") != std::string::npos);
}

TEST_CASE("session: echo when idle, timeout when silent, any message proves liveness", "[session]") {
  Session s = up_session(t0);
  CHECK(s.next_deadline() == t0 + 5s);
  CHECK(s.on_tick(t0 + 4s).send.empty());

  auto a = s.on_tick(t0 + 5s);
  REQUIRE(a.send.size() == 1);
  const auto* probe = only<ofp::EchoRequest>(a);
  REQUIRE(probe != nullptr);
  std::uint32_t probe_xid = a.send[0].xid;
  CHECK(s.next_deadline() == t0 + 8s);
  CHECK(s.on_tick(t0 + 6s).send.empty());  // one probe outstanding at a time

  SECTION("the echo reply is consumed and resets the idle clock") {
    auto r = s.on_message(t0 + 7s, msg(ofp::EchoReply{}, probe_xid));
    CHECK(r.consumed);
    CHECK_FALSE(s.on_tick(t0 + 8s).close);
    CHECK(s.next_deadline() == t0 + 12s);
  }
  SECTION("bulk traffic counts as liveness too") {
    auto r = s.on_message(t0 + 7s, msg(ofp::PacketIn{}));
    CHECK_FALSE(r.consumed);  // for the adapter to dispatch
    CHECK_FALSE(s.on_tick(t0 + 8s).close);
  }
  SECTION("silence closes with EchoTimeout exactly at probe + echo_timeout") {
    CHECK_FALSE(s.on_tick(t0 + 7999ms).close);
    auto c = s.on_tick(t0 + 8s);
    REQUIRE(c.close);
    CHECK(c.close->reason == DisconnectReason::EchoTimeout);
    CHECK(s.state() == Session::State::Closed);
  }
}

TEST_CASE("session: the switch's echo requests are answered with its xid and data", "[session]") {
  Session s = up_session(t0);
  ofp::EchoRequest request;
  request.data = bytes_from_hex("de ad be ef");
  auto a = s.on_message(t0 + 1s, msg(request, 0x1234));
  CHECK(a.consumed);
  REQUIRE(a.send.size() == 1);
  CHECK(a.send[0].xid == 0x1234);
  const auto* reply = only<ofp::EchoReply>(a);
  REQUIRE(reply != nullptr);
  CHECK(reply->data == request.data);
}

TEST_CASE("session: replies that are not the session's pass through when up", "[session]") {
  Session s = up_session(t0);
  auto a = s.on_message(t0, msg(ofp::EchoReply{}, 0x999));  // a user's echo request
  CHECK_FALSE(a.consumed);
  a = s.on_message(t0, msg(ofp::BarrierReply{}, 0x999));
  CHECK_FALSE(a.consumed);
}

TEST_CASE("backoff doubles to the cap and resets when up", "[session][backoff]") {
  Backoff b(BackoffConfig{100ms, 1s});
  CHECK(b.on_failure(t0) == t0 + 100ms);
  CHECK(b.on_failure(t0) == t0 + 200ms);
  CHECK(b.on_failure(t0) == t0 + 400ms);
  CHECK(b.on_failure(t0) == t0 + 800ms);
  CHECK(b.on_failure(t0) == t0 + 1s);
  CHECK(b.on_failure(t0) == t0 + 1s);
  b.on_up();
  CHECK(b.on_failure(t0) == t0 + 100ms);
}

TEST_CASE("session: an unknown message type is answered with BAD_REQUEST/BAD_TYPE, its xid and first 64 bytes",
          "[session]") {
  Session s = up_session(t0);
  ofp::UnknownMessage unknown{200, ByteVector(100)};
  for (std::size_t i = 0; i < unknown.body.size(); ++i) unknown.body[i] = static_cast<std::byte>(i);
  const ofp::Message in = msg(unknown, 0xfeed);
  auto a = s.on_message(t0, in);
  REQUIRE(a.send.size() == 1);
  CHECK(a.send[0].xid == 0xfeed);
  const auto* error = only<ofp::ErrorMsg>(a);
  REQUIRE(error != nullptr);
  CHECK(error->type == ofp::ErrorType::BadRequest);
  CHECK(error->code == static_cast<std::uint16_t>(ofp::BadRequestCode::BadType));
  ByteVector wire;
  REQUIRE(ofp::encode(in, wire));
  REQUIRE(error->data.size() == 64);
  CHECK(std::equal(error->data.begin(), error->data.end(), wire.begin()));
  CHECK_FALSE(a.close);
  CHECK(s.up());

  // A short one is echoed whole; during the handshake it is answered too (and consumed).
  Session early(test_config());
  (void)early.start(t0);
  (void)early.on_message(t0, hello13());
  a = early.on_message(t0, msg(ofp::UnknownMessage{31, ByteVector(4)}, 9));
  REQUIRE(only<ofp::ErrorMsg>(a) != nullptr);
  CHECK(only<ofp::ErrorMsg>(a)->data.size() == 12);
  CHECK(a.consumed);

  // A stray reply of a type we do not decode gets no error back.
  a = s.on_message(t0, msg(ofp::UnknownMessage{static_cast<std::uint8_t>(ofp::MessageType::QueueGetConfigReply), {}}, 10));
  CHECK(a.send.empty());
}
