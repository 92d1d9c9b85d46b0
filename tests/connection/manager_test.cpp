// The switch manager over loopback TCP against the scripted fake switch. The manager's
// io_context runs on a background thread; the test thread plays the switches.
#include <catch2/catch.hpp>

#include <future>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/endian/conversion.hpp>

#include "fakes/fake_switch.hpp"
#include "fakes/recording_observer.hpp"
#include "connection/manager_harness.hpp"
#include "vmnmob/connection/switch_manager.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace vmnmob::testing;
using namespace std::chrono_literals;
using Kind = RecordedEvent::Kind;

namespace {

ManagerOptions fast_options() {
  ManagerOptions o;
  o.session.handshake_timeout = 2s;
  o.session.echo_interval = 5s;
  o.session.echo_timeout = 5s;
  o.backoff = BackoffConfig{50ms, 400ms};
  return o;
}

struct Harness : ManagerHarness {
  explicit Harness(ManagerOptions options = fast_options(), const std::string& address = "127.0.0.1")
      : ManagerHarness(options, address) {}
};

// Sends a request from the test thread and waits for its completion.
ReplyResult call(Switch& sw, ofp::MessageBody body, Duration timeout = 2s) {
  auto promise = std::make_shared<std::promise<ReplyResult>>();
  auto future = promise->get_future();
  sw.request(std::move(body), timeout, [promise](ReplyResult r) { promise->set_value(std::move(r)); });
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  return future.get();
}

ByteVector frame_bytes(std::size_t n, std::uint8_t seed) {
  ByteVector v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::byte{static_cast<std::uint8_t>(seed + i)};
  return v;
}

ByteVector encoded(const ofp::Message& m) {
  auto e = ofp::encode(m);
  REQUIRE(e);
  return *e;
}

auto by_dpid(std::uint64_t dpid) {
  return [dpid](const RecordedEvent& e) { return e.datapath_id == dpid; };
}

}  // namespace

TEST_CASE("manager: handshake reports the switch up with datapath id, features and all port parts",
          "[manager]") {
  Harness h;
  auto sw = FakeSwitch::connect(h.port);
  REQUIRE(sw);
  std::vector<ofp::Port> ports{make_port(1, "eth1"), make_port(2, "eth2"), make_port(3, "eth3")};
  REQUIRE(sw->handshake(0x00000000000000a1, ports, 2));
  auto up = h.observer.wait_for(Kind::Up);
  REQUIRE(up);
  CHECK(up->datapath_id == 0xa1);
  CHECK(up->features.n_tables == 254);
  REQUIRE(up->ports.size() == 3);
  CHECK(up->ports[2].name == "eth3");
  auto handle = h.find(0xa1);
  REQUIRE(handle);
  CHECK(handle->connected());
  CHECK(handle->ports().size() == 3);
  CHECK(h.manager->datapath_ids() == std::vector<DatapathId>{0xa1});
  CHECK(h.find(0xa2) == nullptr);
}

TEST_CASE("manager: PACKET_IN split at every byte boundary is delivered whole and in order",
          "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xb1);
  ByteVector wire = encoded(ofp::Message{ofp::kVersion, 0x500, make_packet_in(7, frame_bytes(60, 1))});
  for (std::size_t k = 1; k < wire.size(); ++k) {
    ByteVector copy = wire;
    std::uint32_t xid = boost::endian::native_to_big(static_cast<std::uint32_t>(0x1000 + k));
    std::memcpy(copy.data() + 4, &xid, 4);
    sw->send_raw(ByteSpan(copy).subspan(0, k));
    std::this_thread::sleep_for(1ms);
    sw->send_raw(ByteSpan(copy).subspan(k));
  }
  REQUIRE(h.observer.wait_count(Kind::PacketIn, wire.size() - 1, 10s));
  auto events = h.observer.events();
  std::size_t k = 1;
  for (const auto& e : events) {
    if (e.kind != Kind::PacketIn) continue;
    CHECK(e.message->xid == 0x1000 + k);
    const auto& pi = std::get<ofp::PacketIn>(e.message->body);
    CHECK(pi.in_port() == 7);
    CHECK(pi.data == Payload(frame_bytes(60, 1)));
    ++k;
  }
  CHECK(h.find(0xb1)->counters().packet_ins == wire.size() - 1);
}

TEST_CASE("manager: byte-by-byte and chunked streams of several messages", "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xb2);
  ByteVector stream;
  for (std::uint32_t i = 0; i < 5; ++i) {
    auto m = encoded(ofp::Message{ofp::kVersion, 100 + i,
                                  make_packet_in(i + 1, frame_bytes(20 + i * 30, static_cast<std::uint8_t>(i)))});
    stream.insert(stream.end(), m.begin(), m.end());
  }
  SECTION("one byte per write") { sw->send_in_pieces(stream, 1, 200us); }
  SECTION("7 bytes per write, crossing message boundaries") { sw->send_in_pieces(stream, 7, 300us); }
  REQUIRE(h.observer.wait_count(Kind::PacketIn, 5, 10s));
  std::uint32_t i = 0;
  for (const auto& e : h.observer.events()) {
    if (e.kind != Kind::PacketIn) continue;
    const auto& pi = std::get<ofp::PacketIn>(e.message->body);
    CHECK(pi.in_port() == i + 1);
    CHECK(pi.data.size() == 20 + i * 30);
    ++i;
  }
}

TEST_CASE("manager: PACKET_IN answered with PACKET_OUT from the callback (borrowed data)",
          "[manager]") {
  Harness h;
  h.observer.packet_in_hook = [](const PacketInEvent& e) {
    ofp::PacketOut out;
    out.in_port = e.packet_in.in_port();
    out.actions.push_back(ofp::Output{ofp::port::kFlood});
    out.data = Payload::borrow(e.packet_in.data.span());  // valid during the callback
    CHECK(e.sw.send(ofp::Message{ofp::kVersion, e.xid, out}));
  };
  auto sw = h.up_switch(0xb3);
  auto frame = frame_bytes(98, 9);
  sw->send(make_packet_in(4, frame), 0x77);
  auto out = sw->expect(ofp::MessageType::PacketOut);
  REQUIRE(out);
  CHECK(out->xid == 0x77);
  const auto& po = std::get<ofp::PacketOut>(out->body);
  CHECK(po.in_port == 4);
  CHECK(po.data == Payload(frame));
}

TEST_CASE("manager: messages to other switches from a PACKET_IN callback all arrive, in order",
          "[manager]") {
  // A migration: a packet-in on one switch re-programs others. The writes to the other
  // switches are deferred to the end of the read batch (one flush each); none may be lost or
  // reordered, including those sent to a switch whose own write is still in flight.
  Harness h;
  constexpr int kPerSwitch = 40;
  std::vector<std::shared_ptr<Switch>> others;
  h.observer.packet_in_hook = [&](const PacketInEvent&) {
    for (int i = 0; i < kPerSwitch; ++i)
      for (auto& sw : others) {
        ofp::FlowMod fm;
        fm.cookie = static_cast<std::uint64_t>(i);
        CHECK(sw->send(fm));
      }
  };
  auto trigger = h.up_switch(0xc1);
  auto b = h.up_switch(0xc2);
  auto c = h.up_switch(0xc3);
  others = {h.find(0xc2), h.find(0xc3)};
  REQUIRE(others[0]);
  REQUIRE(others[1]);
  trigger->send(make_packet_in(1, frame_bytes(60, 1)), 0x10);
  trigger->send(make_packet_in(1, frame_bytes(60, 2)), 0x11);  // a second batch of the same kind
  for (auto* sw : {b.get(), c.get()}) {
    for (int round = 0; round < 2; ++round)
      for (int i = 0; i < kPerSwitch; ++i) {
        auto m = sw->expect(ofp::MessageType::FlowMod);
        REQUIRE(m);
        CHECK(std::get<ofp::FlowMod>(m->body).cookie == static_cast<std::uint64_t>(i));
      }
  }
}

TEST_CASE("manager: send_batch from another thread queues the messages in order, numbering xid 0",
          "[manager]") {
  Harness h;
  auto fake = h.up_switch(0xd1);
  auto sw = h.find(0xd1);
  REQUIRE(sw);
  std::vector<ofp::Message> batch;
  for (std::uint64_t i = 0; i < 3; ++i) {
    ofp::FlowMod fm;
    fm.cookie = 100 + i;
    batch.push_back(ofp::Message{ofp::kVersion, i == 1 ? 0x4242u : 0u, fm});
  }
  batch.push_back(ofp::Message{ofp::kVersion, 0, ofp::BarrierRequest{}});
  REQUIRE(sw->send_batch(batch));
  std::vector<std::uint32_t> xids;
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto m = fake->expect(ofp::MessageType::FlowMod);
    REQUIRE(m);
    CHECK(std::get<ofp::FlowMod>(m->body).cookie == 100 + i);
    xids.push_back(m->xid);
  }
  auto barrier = fake->expect(ofp::MessageType::BarrierRequest);
  REQUIRE(barrier);
  CHECK(xids[1] == 0x4242u);  // a given xid is kept
  CHECK(xids[0] != 0);        // xid 0 gets the connection's next xid
  CHECK(barrier->xid != 0);
  CHECK(xids[0] != barrier->xid);
  CHECK(sw->counters().messages_out >= 4);
}

TEST_CASE("manager: a bad header length closes that switch with a reason; others keep working",
          "[manager]") {
  Harness h;
  auto bad = h.up_switch(0xc1);
  auto good = h.up_switch(0xc2);
  ByteVector header = bytes_from_hex("04 0a 00 04 00 00 00 01");  // length 4 < 8
  bad->send_raw(header);
  auto down = h.observer.wait_for(Kind::Down, by_dpid(0xc1));
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::ProtocolError);
  CHECK(down->detail.find("length") != std::string::npos);
  CHECK(bad->wait_closed());
  CHECK(h.find(0xc1) == nullptr);

  good->send(make_packet_in(1, frame_bytes(10, 0)));
  CHECK(h.observer.wait_for(Kind::PacketIn, by_dpid(0xc2)));
  auto handle = h.find(0xc2);
  REQUIRE(handle);
  auto future = std::async(std::launch::async, [&] { return call(*handle, ofp::BarrierRequest{}); });
  auto request = good->expect(ofp::MessageType::BarrierRequest);
  REQUIRE(request);
  good->send(ofp::BarrierReply{}, request->xid);
  CHECK(future.get().has_value());
}

TEST_CASE("manager: oversized message closes the connection", "[manager]") {
  ManagerOptions o = fast_options();
  o.max_message_size = 1024;
  Harness h(o);
  auto sw = h.up_switch(0xc3);
  sw->send(make_packet_in(1, frame_bytes(2000, 0)));
  auto down = h.observer.wait_for(Kind::Down, by_dpid(0xc3));
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::ProtocolError);
  CHECK(down->detail.find("1024") != std::string::npos);
}

TEST_CASE("manager: wrong version after the handshake is answered with BAD_VERSION, switch stays up",
          "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xc4);
  ByteVector wire = encoded(ofp::Message{ofp::kVersion, 0x4242, ofp::BarrierRequest{}});
  wire[0] = std::byte{5};
  sw->send_raw(wire);
  auto error = sw->expect(ofp::MessageType::Error);
  REQUIRE(error);
  CHECK(error->xid == 0x4242);
  const auto& e = std::get<ofp::ErrorMsg>(error->body);
  CHECK(e.type == ofp::ErrorType::BadRequest);
  CHECK(e.code == static_cast<std::uint16_t>(ofp::BadRequestCode::BadVersion));
  CHECK(e.data.size() == wire.size());
  REQUIRE(h.find(0xc4));
  CHECK(h.find(0xc4)->counters().decode_errors == 1);
  sw->send(make_packet_in(2, frame_bytes(10, 0)));
  CHECK(h.observer.wait_for(Kind::PacketIn, by_dpid(0xc4)));
}

TEST_CASE("manager: a malformed body is answered with the codec's error type/code", "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xc5);
  ByteVector wire = encoded(ofp::Message{ofp::kVersion, 0x99, make_packet_in(1, frame_bytes(100, 0))});
  // ofp_packet_in.match.length (bytes 26-27) far beyond the message.
  wire[26] = std::byte{0x0f};
  wire[27] = std::byte{0x00};
  sw->send_raw(wire);
  auto error = sw->expect(ofp::MessageType::Error);
  REQUIRE(error);
  CHECK(error->xid == 0x99);
  const auto& e = std::get<ofp::ErrorMsg>(error->body);
  CHECK(e.type != ofp::ErrorType::HelloFailed);
  CHECK(e.data.size() == 64);  // spec 7.4.4: at least 64 bytes of the request
  CHECK(h.observer.count(Kind::PacketIn) == 0);
  CHECK(h.find(0xc5));
}

TEST_CASE("manager: an unknown message type is answered with BAD_REQUEST/BAD_TYPE, switch stays up",
          "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xc6);
  // Type 77 is no OpenFlow 1.3 message; 100 bytes of body after the header.
  ByteVector wire(108);
  wire[0] = std::byte{ofp::kVersion};
  wire[1] = std::byte{77};
  boost::endian::store_big_u16(reinterpret_cast<unsigned char*>(wire.data() + 2), 108);
  boost::endian::store_big_u32(reinterpret_cast<unsigned char*>(wire.data() + 4), 0x31337);
  for (std::size_t i = 8; i < wire.size(); ++i) wire[i] = static_cast<std::byte>(i);
  sw->send_raw(wire);
  auto error = sw->expect(ofp::MessageType::Error);
  REQUIRE(error);
  CHECK(error->xid == 0x31337);
  const auto& e = std::get<ofp::ErrorMsg>(error->body);
  CHECK(e.type == ofp::ErrorType::BadRequest);
  CHECK(e.code == static_cast<std::uint16_t>(ofp::BadRequestCode::BadType));
  REQUIRE(e.data.size() == 64);
  CHECK(std::equal(e.data.begin(), e.data.end(), wire.begin()));
  sw->send(make_packet_in(2, frame_bytes(10, 0)));
  CHECK(h.observer.wait_for(Kind::PacketIn, by_dpid(0xc6)));
  CHECK(h.find(0xc6));
}

TEST_CASE("manager: a peer without OpenFlow 1.3 gets HELLO_FAILED and is closed", "[manager]") {
  Harness h;
  auto sw = FakeSwitch::connect(h.port);
  REQUIRE(sw);
  sw->send(ofp::Message{1, 1, ofp::Hello{}});  // OpenFlow 1.0 hello, no bitmap
  auto error = sw->expect(ofp::MessageType::Error);
  REQUIRE(error);
  CHECK(error->version == 1);
  const auto& e = std::get<ofp::ErrorMsg>(error->body);
  CHECK(e.type == ofp::ErrorType::HelloFailed);
  CHECK(e.code == static_cast<std::uint16_t>(ofp::HelloFailedCode::Incompatible));
  CHECK(sw->wait_closed());
  auto failed = h.observer.wait_for(Kind::HandshakeFailed);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::HelloFailed);
  CHECK(h.observer.count(Kind::Up) == 0);
}

TEST_CASE("manager: a handshake that stalls times out and never counts as up", "[manager]") {
  ManagerOptions o = fast_options();
  o.session.handshake_timeout = 300ms;
  Harness h(o);
  auto sw = FakeSwitch::connect(h.port);
  REQUIRE(sw);
  sw->send(ofp::Hello{{ofp::VersionBitmap::of({4})}});
  CHECK(sw->expect(ofp::MessageType::FeaturesRequest));  // and never answer
  auto t = std::chrono::steady_clock::now();
  CHECK(sw->wait_closed(3000ms));
  CHECK(std::chrono::steady_clock::now() - t >= 200ms);
  auto failed = h.observer.wait_for(Kind::HandshakeFailed);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::HandshakeTimeout);
  CHECK(h.observer.count(Kind::Up) == 0);
  for (int i = 0; i < 100 && h.manager->connection_count() != 0; ++i) std::this_thread::sleep_for(5ms);
  CHECK(h.manager->connection_count() == 0);
}

TEST_CASE("manager: echo keepalive", "[manager]") {
  ManagerOptions o = fast_options();
  o.session.echo_interval = 100ms;
  o.session.echo_timeout = 200ms;
  Harness h(o);
  auto sw = h.up_switch(0xd1);
  SECTION("a switch that answers echoes stays up") {
    CHECK_FALSE(sw->receive(700ms));  // pumps, auto-answering the probes
    CHECK(sw->echo_requests_seen() >= 2);
    CHECK(h.observer.count(Kind::Down) == 0);
  }
  SECTION("a silent switch is dropped with EchoTimeout") {
    sw->set_auto_echo(false);
    auto down = h.observer.wait_for(Kind::Down, by_dpid(0xd1), 2s);
    REQUIRE(down);
    CHECK(down->reason == DisconnectReason::EchoTimeout);
    CHECK(sw->expect(ofp::MessageType::EchoRequest, 100ms));
  }
  SECTION("the switch's echo request is answered with its xid and data") {
    ofp::EchoRequest request;
    request.data = bytes_from_hex("01 02 03");
    sw->send(request, 0x5150);
    auto reply = sw->expect(ofp::MessageType::EchoReply);
    REQUIRE(reply);
    CHECK(reply->xid == 0x5150);
    CHECK(std::get<ofp::EchoReply>(reply->body).data == request.data);
  }
}

TEST_CASE("manager: requests matched by xid", "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xe1);
  auto handle = h.find(0xe1);
  REQUIRE(handle);

  SECTION("barrier round trip") {
    auto future = std::async(std::launch::async, [&] { return call(*handle, ofp::BarrierRequest{}); });
    auto request = sw->expect(ofp::MessageType::BarrierRequest);
    REQUIRE(request);
    sw->send(ofp::BarrierReply{}, request->xid);
    auto result = future.get();
    REQUIRE(result);
    CHECK(result->size() == 1);
    CHECK(result->front().xid == request->xid);
  }
  SECTION("multipart flow stats assembled from three parts") {
    auto future = std::async(std::launch::async,
                             [&] { return call(*handle, ofp::MultipartRequest{0, ofp::FlowStatsRequest{}}); });
    auto request = sw->expect(ofp::MessageType::MultipartRequest);
    REQUIRE(request);
    for (int i = 0; i < 3; ++i) {
      ofp::FlowStatsReply body;
      ofp::FlowStats f;
      f.cookie = static_cast<std::uint64_t>(i + 1);
      body.flows = {f, f};
      sw->send(ofp::MultipartReply{i < 2 ? ofp::multipart_flags::kMore : std::uint16_t{0}, body},
               request->xid);
      // An unrelated async message between parts does not disturb the assembly.
      sw->send(make_packet_in(1, frame_bytes(8, 0)));
    }
    auto result = future.get();
    REQUIRE(result);
    CHECK(result->size() == 3);
    auto merged = merge_multipart(*result);
    CHECK(std::get<ofp::FlowStatsReply>(merged).flows.size() == 6);
    CHECK(h.observer.wait_count(Kind::PacketIn, 3));
  }
  SECTION("an OFPT_ERROR reply becomes a typed failure") {
    auto future = std::async(std::launch::async, [&] {
      return call(*handle, ofp::RoleRequest{ofp::ControllerRole::Master, 1});
    });
    auto request = sw->expect(ofp::MessageType::RoleRequest);
    REQUIRE(request);
    ofp::ErrorMsg e;
    e.type = ofp::ErrorType::RoleRequestFailed;
    e.code = static_cast<std::uint16_t>(ofp::RoleRequestFailedCode::Stale);
    sw->send(e, request->xid);
    auto result = future.get();
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == RequestError::Kind::SwitchError);
    CHECK(result.error().error.type == ofp::ErrorType::RoleRequestFailed);
    CHECK(h.observer.count(Kind::Error) == 0);  // it answered a request: no error event
  }
  SECTION("role reply completes the request and reports a role change") {
    auto future = std::async(std::launch::async, [&] {
      return call(*handle, ofp::RoleRequest{ofp::ControllerRole::Master, 7});
    });
    auto request = sw->expect(ofp::MessageType::RoleRequest);
    REQUIRE(request);
    sw->send(ofp::RoleReply{ofp::ControllerRole::Master, 7}, request->xid);
    CHECK(future.get().has_value());
    auto role = h.observer.wait_for(Kind::Role);
    REQUIRE(role);
    CHECK(role->role == ofp::ControllerRole::Master);
    CHECK(role->generation_id == 7);
  }
  SECTION("no reply -> timeout; a late reply is then ignored as unsolicited") {
    auto result = call(*handle, ofp::GetConfigRequest{}, 200ms);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == RequestError::Kind::Timeout);
    auto request = sw->expect(ofp::MessageType::GetConfigRequest);
    REQUIRE(request);
    sw->send(ofp::GetConfigReply{}, request->xid);
    CHECK(h.observer.wait_for(Kind::Other));
  }
  SECTION("a message without reply is refused as a request") {
    auto result = call(*handle, ofp::FlowMod{});
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == RequestError::Kind::NotARequest);
  }
  SECTION("an unmatched error (refused FLOW_MOD) is an error event") {
    REQUIRE(handle->send(ofp::Message{ofp::kVersion, 0x600, ofp::FlowMod{}}));
    auto mod = sw->expect(ofp::MessageType::FlowMod);
    REQUIRE(mod);
    CHECK(mod->xid == 0x600);
    ofp::ErrorMsg e;
    e.type = ofp::ErrorType::FlowModFailed;
    e.code = static_cast<std::uint16_t>(ofp::FlowModFailedCode::TableFull);
    sw->send(e, 0x600);
    auto event = h.observer.wait_for(Kind::Error);
    REQUIRE(event);
    CHECK(event->message->xid == 0x600);
    CHECK(h.find(0xe1)->counters().errors_in == 1);
  }
}

TEST_CASE("manager: disconnect in the middle of a multipart reply fails the request", "[manager]") {
  Harness h;
  auto sw = h.up_switch(0xe2);
  auto handle = h.find(0xe2);
  REQUIRE(handle);
  auto future = std::async(std::launch::async,
                           [&] { return call(*handle, ofp::MultipartRequest{0, ofp::PortStatsRequest{}}); });
  auto request = sw->expect(ofp::MessageType::MultipartRequest);
  REQUIRE(request);
  sw->send(ofp::MultipartReply{ofp::multipart_flags::kMore, ofp::PortStatsReply{{ofp::PortStats{}}}},
           request->xid);
  std::this_thread::sleep_for(50ms);
  sw->close();
  auto result = future.get();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind == RequestError::Kind::Disconnected);
  auto down = h.observer.wait_for(Kind::Down, by_dpid(0xe2));
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::PeerClosed);
  CHECK(h.find(0xe2) == nullptr);
  CHECK_FALSE(handle->connected());
  CHECK_FALSE(handle->send(ofp::BarrierRequest{}));
}

TEST_CASE("manager: the same datapath id connecting twice replaces the old connection", "[manager]") {
  Harness h;
  auto first = h.up_switch(0xf1);
  auto old_handle = h.find(0xf1);
  REQUIRE(old_handle);
  auto second = FakeSwitch::connect(h.port);
  REQUIRE(second);
  REQUIRE(second->handshake(0xf1, {make_port(9, "new")}));

  auto down = h.observer.wait_for(Kind::Down, by_dpid(0xf1));
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::Replaced);
  auto up = h.observer.wait_for(Kind::Up, by_dpid(0xf1));  // the second up event
  REQUIRE(up);
  CHECK(up->ports.size() == 1);
  // Order: the old one went down before the new one came up.
  auto events = h.observer.events();
  std::vector<Kind> kinds;
  for (const auto& e : events)
    if (e.datapath_id == 0xf1 && (e.kind == Kind::Up || e.kind == Kind::Down)) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<Kind>{Kind::Up, Kind::Down, Kind::Up});

  CHECK(first->wait_closed());
  auto now_handle = h.find(0xf1);
  REQUIRE(now_handle);
  CHECK(now_handle != old_handle);
  CHECK(now_handle->ports().front().name == "new");
  CHECK_FALSE(old_handle->connected());
  CHECK(h.observer.count(Kind::Down) == 1);  // the old connection's close reported once

  // The new connection works.
  second->send(make_packet_in(9, frame_bytes(12, 0)));
  CHECK(h.observer.wait_for(Kind::PacketIn, by_dpid(0xf1)));
}

TEST_CASE("manager: a switch that never reads is bounded and does not stall others", "[manager]") {
  ManagerOptions o = fast_options();
  o.send_queue_limit = 256 * 1024;
  o.write_stall_timeout = 1500ms;
  o.session.echo_interval = 60s;  // the silent switch must fail on the write side, not echo
  Harness h(o);
  auto stuck = FakeSwitch::connect(h.port, "127.0.0.1", 4096);
  REQUIRE(stuck);
  REQUIRE(stuck->handshake(0x51));
  REQUIRE(h.observer.wait_for(Kind::Up, by_dpid(0x51)));
  auto healthy = h.up_switch(0x52);
  auto handle = h.find(0x51);
  REQUIRE(handle);

  ofp::PacketOut big;
  big.actions.push_back(ofp::Output{1});
  big.data = Payload(frame_bytes(60000, 0));
  // Keep producing, as a controller would, until the manager gives up on the switch: first the
  // kernel's socket buffers fill (tcp_wmem allows 4 MiB), then the manager's own queue; from
  // then on sends are refused, and once the write has made no progress for
  // write_stall_timeout the connection is closed.
  auto healthy_handle = h.find(0x52);
  REQUIRE(healthy_handle);
  bool refused = false;
  bool healthy_checked = false;
  auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until && h.observer.count(Kind::Down) == 0) {
    auto r = handle->send(ofp::Message{ofp::kVersion, 0, big});
    if (r) continue;
    CHECK((r.error() == SendError::QueueFull || r.error() == SendError::NotConnected));
    refused = refused || r.error() == SendError::QueueFull;
    if (refused && !healthy_checked && handle->counters().queue_depth > 0) {
      // The healthy switch is served meanwhile, promptly.
      auto t = std::chrono::steady_clock::now();
      auto future = std::async(std::launch::async, [&] { return call(*healthy_handle, ofp::BarrierRequest{}); });
      auto request = healthy->expect(ofp::MessageType::BarrierRequest);
      REQUIRE(request);
      healthy->send(ofp::BarrierReply{}, request->xid);
      CHECK(future.get().has_value());
      CHECK(std::chrono::steady_clock::now() - t < 1s);
      healthy_checked = true;
    }
    std::this_thread::sleep_for(2ms);
  }
  CHECK(refused);
  CHECK(healthy_checked);
  auto counters = handle->counters();
  INFO("queue depth " << counters.queue_depth << ", high water " << counters.queue_high_water
                      << ", dropped " << counters.dropped << ", bytes out " << counters.bytes_out);
  CHECK(counters.dropped >= 1);
  // Bounded: the pending buffer, the batch in flight and one message over.
  CHECK(counters.queue_high_water <= 2 * o.send_queue_limit + 64 * 1024);

  auto down = h.observer.wait_for(Kind::Down, by_dpid(0x51), 1s);
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::SendQueueStalled);
  CHECK(h.find(0x52));
  CHECK(h.observer.count(Kind::Down) == 1);
}

TEST_CASE("manager: port status updates the port list and is reported", "[manager]") {
  Harness h;
  auto sw = h.up_switch(0x61, {make_port(1, "a")});
  sw->send(ofp::PortStatus{ofp::PortReason::Add, make_port(2, "b")});
  auto added = h.observer.wait_for(Kind::PortStatus);
  REQUIRE(added);
  CHECK(added->ports.size() == 2);
  sw->send(ofp::PortStatus{ofp::PortReason::Delete, make_port(1, "a")});
  auto deleted = h.observer.wait_for(Kind::PortStatus);
  REQUIRE(deleted);
  REQUIRE(deleted->ports.size() == 1);
  CHECK(deleted->ports[0].port_no == 2);
  CHECK(std::get<ofp::PortStatus>(deleted->message->body).reason == ofp::PortReason::Delete);

  ofp::FlowRemoved removed;
  removed.cookie = 0xc0ffee;
  removed.reason = ofp::FlowRemovedReason::Delete;
  sw->send(removed);
  auto event = h.observer.wait_for(Kind::FlowRemoved);
  REQUIRE(event);
  CHECK(std::get<ofp::FlowRemoved>(event->message->body).cookie == 0xc0ffee);
}

TEST_CASE("manager: counters count messages and bytes both ways", "[manager]") {
  Harness h;
  auto sw = h.up_switch(0x71);
  auto handle = h.find(0x71);
  REQUIRE(handle);
  auto before = handle->counters();
  for (int i = 0; i < 10; ++i) sw->send(make_packet_in(1, frame_bytes(100, 0)));
  REQUIRE(h.observer.wait_count(Kind::PacketIn, 10));
  for (int i = 0; i < 5; ++i) REQUIRE(handle->send(ofp::FlowMod{}));
  for (int i = 0; i < 5; ++i) REQUIRE(sw->expect(ofp::MessageType::FlowMod));
  // The last write's completion may run just after the fake read the bytes.
  for (int i = 0; i < 100 && handle->counters().queue_depth != 0; ++i) std::this_thread::sleep_for(5ms);
  auto after = handle->counters();
  CHECK(after.packet_ins - before.packet_ins == 10);
  CHECK(after.messages_in - before.messages_in == 10);
  CHECK(after.bytes_in - before.bytes_in >= 10 * 100);
  CHECK(after.messages_out - before.messages_out == 5);
  CHECK(after.bytes_out - before.bytes_out >= 5 * 56);
  CHECK(after.queue_depth == 0);
}

TEST_CASE("manager: active mode connects out and reconnects with backoff", "[manager]") {
  Harness h(fast_options(), "");
  FakeSwitchListener listener;
  h.manager->connect("127.0.0.1", listener.port());
  auto sw = listener.accept();
  REQUIRE(sw);
  REQUIRE(sw->handshake(0x81));
  REQUIRE(h.observer.wait_for(Kind::Up, by_dpid(0x81)));
  sw->close();
  auto down = h.observer.wait_for(Kind::Down, by_dpid(0x81));
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::PeerClosed);
  auto again = listener.accept();
  REQUIRE(again);
  REQUIRE(again->handshake(0x81));
  CHECK(h.observer.wait_for(Kind::Up, by_dpid(0x81)));
}

TEST_CASE("manager: listening on :: accepts IPv4 and IPv6", "[manager]") {
  Harness h(fast_options(), "");
  auto bound = h.manager->listen("::", 0);
  if (!bound) {
    WARN("no IPv6 on this host: " << bound.error());
    return;
  }
  h.port = *bound;
  auto v4 = FakeSwitch::connect(h.port, "127.0.0.1");
  REQUIRE(v4);
  REQUIRE(v4->handshake(0x91));
  CHECK(h.observer.wait_for(Kind::Up, by_dpid(0x91)));
  auto v6 = FakeSwitch::connect(h.port, "::1");
  if (!v6) {
    WARN("no ::1 on this host");
    return;
  }
  REQUIRE(v6->handshake(0x92));
  auto up = h.observer.wait_for(Kind::Up, by_dpid(0x92));
  REQUIRE(up);
  CHECK(up->peer.find("::1") != std::string::npos);
}

TEST_CASE("manager: stop reports every switch down with Shutdown", "[manager]") {
  Harness h;
  auto a = h.up_switch(0xa01);
  auto b = h.up_switch(0xa02);
  h.manager->stop();
  CHECK(h.observer.wait_count(Kind::Down, 2));
  for (const auto& e : h.observer.events())
    if (e.kind == Kind::Down) CHECK(e.reason == DisconnectReason::Shutdown);
  CHECK(a->wait_closed());
  CHECK(b->wait_closed());
}

TEST_CASE("manager: random garbage from many switches never disturbs a well-behaved one",
          "[manager]") {
  Harness h;
  auto good = h.up_switch(0xb00);
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1103515245u + 12345u;  // a fixed LCG: the same bytes every run
    return static_cast<std::uint8_t>(seed >> 16);
  };
  for (std::uint64_t i = 0; i < 16; ++i) {
    auto bad = FakeSwitch::connect(h.port);
    REQUIRE(bad);
    if (i % 2 == 0) REQUIRE(bad->handshake(0xb10 + i));  // half of them after the handshake
    ByteVector garbage(64 + i * 97);
    for (auto& b : garbage) b = std::byte{next()};
    // A plausible header first, so the body reaches the decoder rather than only the framer.
    garbage[0] = std::byte{ofp::kVersion};
    garbage[1] = std::byte{static_cast<std::uint8_t>(i % 30)};
    garbage[2] = std::byte{0};
    garbage[3] = std::byte{static_cast<std::uint8_t>(std::min<std::size_t>(garbage.size(), 255))};
    bad->send_raw(garbage);
    bad->send_in_pieces(garbage, 13, 100us);
    bad->close();
  }
  good->send(make_packet_in(3, frame_bytes(40, 0)));
  CHECK(h.observer.wait_for(Kind::PacketIn, by_dpid(0xb00)));
  auto handle = h.find(0xb00);
  REQUIRE(handle);
  auto future = std::async(std::launch::async, [&] { return call(*handle, ofp::BarrierRequest{}); });
  auto request = good->expect(ofp::MessageType::BarrierRequest);
  REQUIRE(request);
  good->send(ofp::BarrierReply{}, request->xid);
  CHECK(future.get().has_value());
  for (int i = 0; i < 200 && h.manager->connection_count() != 1; ++i) std::this_thread::sleep_for(10ms);
  CHECK(h.manager->connection_count() == 1);
  CHECK(h.manager->datapath_ids() == std::vector<DatapathId>{0xb00});
}
