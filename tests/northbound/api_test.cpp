// vmnmob/northbound: every route of the API against a controller whose engine is in a known
// state (exact JSON), the error cases, the event stream, and clients that misbehave, over real
// loopback sockets.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <thread>

#include "fakes/migration_on_wire.hpp"
#include "northbound/http_client.hpp"
#include "vmnmob/northbound/api.hpp"
#include "vmnmob/controller/observer_tee.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility::test;
using northbound::test::HttpClient;
using nlohmann::json;
using vmnmob::testing::FakeSwitch;

namespace {

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1000);
// 2026-12-04T08:00:10Z: the wall time of the API's clock, kT0 + 10 s.
const auto kWall = std::chrono::system_clock::time_point{} + std::chrono::seconds(1796371210);

/// A controller (three sites, datapaths 1..3, named site-a..c) with the API, on an io_context
/// thread; the controller listens for switches and the API for HTTP on free loopback ports.
struct Northbound {
  explicit Northbound(northbound::ServerOptions server_options = {}, northbound::ApiOptions api_options = defaults())
      : controller(io, mobility::MobilityEngine(three_sites()), {}, &tee),
        api(io, controller, std::move(api_options), std::move(server_options)) {
    tee.add(api);
    auto of = controller.switches().listen("127.0.0.1", 0);
    REQUIRE(of.has_value());
    openflow_port = *of;
    auto http = api.listen("127.0.0.1", 0);
    REQUIRE(http.has_value());
    http_port = *http;
    controller.start();
    thread = std::thread([this] { io.run(); });
  }
  ~Northbound() {
    boost::asio::post(io, [this] {
      api.stop();
      controller.stop();
      io.stop();
    });
    thread.join();
    tee.remove(api);  // the controller outlives the api
  }
  static northbound::ApiOptions defaults() {
    northbound::ApiOptions o;
    o.site_names = {{1, "site-a"}, {2, "site-b"}, {3, "site-c"}};
    o.clock = [] { return kT0 + std::chrono::seconds(10); };
    o.wall_clock = [] { return kWall; };
    o.config = [] { return json{{"northbound", {{"listen", "127.0.0.1:8080"}}}}; };
    return o;
  }
  /// Runs `f` on the io_context thread and waits for it.
  template <class F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }
  /// The engine's known state, driven directly at fixed times: switches 1 and 2 up, VMN 1
  /// detected at site-a port 2, VMN 2 at site-b port 2, VMN 1 talks to VMN 2, then VMN 1
  /// migrates to site-b port 3.
  void known_state() {
    on_io([this] {
      auto& engine = controller.engine();
      mobility::Batch b;
      engine.on_switch_up(kT0, 1, site_ports(), b);
      engine.on_switch_up(kT0, 2, site_ports(), b);
      engine.on_arp(kT0 + std::chrono::seconds(1), 1, 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")), b);
      engine.on_arp(kT0 + std::chrono::seconds(2), 2, 2, arp_request(vmn_mac(2), hoa(2), ip("10.0.0.1")), b);
      engine.on_arp(kT0 + std::chrono::seconds(3), 1, 2, arp_request(vmn_mac(1), hoa(1), hoa(2)), b);
      engine.on_arp(kT0 + std::chrono::seconds(5), 2, 3, rarp(vmn_mac(1)), b);
      return 0;
    });
  }
  northbound::ServerCounters counters() {
    return on_io([this] { return api.server().counters(); });
  }

  boost::asio::io_context io;
  controller::ObserverTee tee;
  controller::Controller controller;
  northbound::Api api;
  std::uint16_t openflow_port = 0;
  std::uint16_t http_port = 0;
  std::thread thread;
};

json get_json(std::uint16_t port, const std::string& target, int expected_status = 200) {
  HttpClient c(port);
  auto r = c.request("GET", target);
  REQUIRE(r.has_value());
  CHECK(r->status == expected_status);
  CHECK(r->headers["content-type"] == "application/json");
  return r->json();
}

json error(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace

TEST_CASE("northbound: every read-only route against an engine in a known state") {
  Northbound w;
  w.known_state();
  CHECK(get_json(w.http_port, "/healthz") == json{{"status", "ok"}});

  const json vmn1 = {{"mac", "52:54:00:00:00:01"}, {"hoa", "10.0.0.11"}, {"moa", "172.16.2.11"},
                     {"site", "site-b"}, {"dpid", "0x0000000000000002"}, {"port", 3}, {"generation", 1},
                     {"correspondents", {"52:54:00:00:00:02"}},
                     {"detected_at", "2026-12-04T08:00:01.000Z"}, {"moved_at", "2026-12-04T08:00:05.000Z"},
                     {"frozen", false}};
  const json vmn2 = {{"mac", "52:54:00:00:00:02"}, {"hoa", "10.0.0.12"}, {"moa", "172.16.2.10"},
                     {"site", "site-b"}, {"dpid", "0x0000000000000002"}, {"port", 2}, {"generation", 0},
                     {"correspondents", {"52:54:00:00:00:01"}},
                     {"detected_at", "2026-12-04T08:00:02.000Z"}, {"moved_at", "2026-12-04T08:00:02.000Z"},
                     {"frozen", false}};
  CHECK(get_json(w.http_port, "/v1/vmns") == json{{"vmns", {vmn1, vmn2}}});
  CHECK(get_json(w.http_port, "/v1/vmns/52:54:00:00:00:01") == vmn1);
  CHECK(get_json(w.http_port, "/v1/vmns/52-54-00-00-00-02") == vmn2);
  CHECK(get_json(w.http_port, "/v1/vmns/52:54:00:00:00:09", 404) ==
        error("not_found", "no VMN with MAC 52:54:00:00:00:09"));
  CHECK(get_json(w.http_port, "/v1/vmns/52:54:00:00:00", 400) ==
        error("bad_request", "not a MAC address: \"52:54:00:00:00\""));

  // site-a's old MoA of VMN 1 is held (30 s); site-b has both VMNs.
  CHECK(get_json(w.http_port, "/v1/pools") ==
        json{{"pools",
              {{{"site", "site-a"}, {"dpid", "0x0000000000000001"}, {"size", 10}, {"in_use", 0}, {"held", 1}, {"free", 9}},
               {{"site", "site-b"}, {"dpid", "0x0000000000000002"}, {"size", 10}, {"in_use", 2}, {"held", 0}, {"free", 8}},
               {{"site", "site-c"}, {"dpid", "0x0000000000000003"}, {"size", 10}, {"in_use", 0}, {"held", 0}, {"free", 10}}}}});
  CHECK(get_json(w.http_port, "/v1/config") == json{{"northbound", {{"listen", "127.0.0.1:8080"}}}});

  // No switch is connected over the wire (the engine was driven directly).
  auto not_connected = [](const char* dpid, const char* site) {
    return json{{"dpid", dpid}, {"site", site}, {"connected", false}};
  };
  CHECK(get_json(w.http_port, "/v1/switches") ==
        json{{"switches",
              {not_connected("0x0000000000000001", "site-a"), not_connected("0x0000000000000002", "site-b"),
               not_connected("0x0000000000000003", "site-c")}}});
}

TEST_CASE("northbound: /readyz and /v1/switches follow switches connecting over the wire") {
  Northbound w;
  auto ready = get_json(w.http_port, "/readyz", 503);
  CHECK(ready["error"]["code"] == "not_ready");
  CHECK(ready["error"]["message"] ==
        "switches not connected: site-a (0x0000000000000001), site-b (0x0000000000000002), site-c (0x0000000000000003)");

  std::vector<std::unique_ptr<FakeSwitch>> sw;
  for (std::uint64_t dp = 1; dp <= 2; ++dp) {
    sw.push_back(FakeSwitch::connect(w.openflow_port));
    REQUIRE(sw.back()->handshake(dp, testing::on_wire::fake_ports()));
  }
  // The controller has seen both (its base flows arrive after switch-up).
  for (auto& s : sw) REQUIRE(s->expect(ofp::MessageType::FlowMod));
  ready = get_json(w.http_port, "/readyz", 503);
  CHECK(ready == json{{"error",
                       {{"code", "not_ready"},
                        {"message", "switches not connected: site-c (0x0000000000000003)"},
                        {"missing", {{{"dpid", "0x0000000000000003"}, {"site", "site-c"}}}}}}});

  auto switches = get_json(w.http_port, "/v1/switches")["switches"];
  REQUIRE(switches.size() == 3);
  for (std::size_t i = 0; i < 2; ++i) {
    sockaddr_in local{};
    socklen_t len = sizeof local;
    REQUIRE(::getsockname(sw[i]->fd(), reinterpret_cast<sockaddr*>(&local), &len) == 0);
    auto s = switches[i];
    CHECK(s["connected"] == true);
    CHECK(s["peer"] == "127.0.0.1:" + std::to_string(ntohs(local.sin_port)));
    CHECK(s["connected_since"] == "2026-12-04T08:00:10.000Z");
    json ports = json::array();
    for (const auto& p : testing::on_wire::fake_ports())
      ports.push_back({{"port_no", p.port_no}, {"name", p.name}, {"hw_addr", p.hw_addr.to_string()}, {"up", true}});
    CHECK(s["ports"] == ports);
    CHECK(s["counters"]["messages_in"].get<std::uint64_t>() >= 3);  // HELLO, FEATURES, PORT_DESC replies
    CHECK(s["counters"]["packet_ins"] == 0);
    CHECK(s["counters"].size() == 10);
  }
  CHECK(switches[2] == json{{"dpid", "0x0000000000000003"}, {"site", "site-c"}, {"connected", false}});

  sw.push_back(FakeSwitch::connect(w.openflow_port));
  REQUIRE(sw.back()->handshake(3, testing::on_wire::fake_ports()));
  REQUIRE(sw.back()->expect(ofp::MessageType::FlowMod));
  CHECK(get_json(w.http_port, "/readyz") == json{{"ready", true}, {"switches", {{"configured", 3}, {"connected", 3}}}});

  sw[0]->close();
  bool down = false;
  for (int i = 0; i < 200 && !down; ++i) {  // the controller notices the close asynchronously
    down = !w.on_io([&w] { return w.controller.engine().connected(1); });
    if (!down) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(down);
  CHECK(get_json(w.http_port, "/readyz", 503)["error"]["missing"] ==
        json{{{"dpid", "0x0000000000000001"}, {"site", "site-a"}}});
}

TEST_CASE("northbound: errors are JSON with stable codes") {
  Northbound w;
  HttpClient c(w.http_port);
  SECTION("unknown path: 404") {
    auto r = c.request("GET", "/v1/nothing");
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(r->json() == error("not_found", "no such resource: /v1/nothing"));
  }
  SECTION("wrong method: 405 with Allow") {
    auto r = c.request("DELETE", "/v1/vmns");
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->headers["allow"] == "GET");
    CHECK(r->json() == error("method_not_allowed", "/v1/vmns does not take DELETE; allowed: GET"));
    r = c.request("GET", "/v1/reload");  // the same connection is kept alive
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->headers["allow"] == "POST");
  }
  SECTION("malformed JSON: 400 naming the problem") {
    auto r = c.request("POST", "/v1/reload", "Content-Type: application/json\r\n", "{\"a\": ");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->json()["error"]["code"] == "bad_request");
    const std::string message = r->json()["error"]["message"];
    CHECK(message.rfind("invalid JSON at byte 7: ", 0) == 0);
    r = c.request("POST", "/v1/reload", "", "{\"now\": true}");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->json() == error("bad_request", "unknown key \"now\" (POST /v1/reload takes none)"));
  }
  SECTION("a body over the limit: 413 before it is read") {
    // Only the headers are sent: the answer must not wait for the 10 MB.
    REQUIRE(c.send("POST /v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
    auto r = c.read_reply();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->json() == error("body_too_large", "request body of 10000000 bytes exceeds the limit of 65536"));
    CHECK(r->headers["connection"] == "close");
    CHECK(c.wait_closed());
    CHECK(w.counters().bodies_too_large == 1);
  }
  SECTION("POST /v1/reload without a host callback: 501") {
    auto r = c.request("POST", "/v1/reload");
    REQUIRE(r);
    CHECK(r->status == 501);
  }
}

TEST_CASE("northbound: a chunked body over the limit is refused 413") {
  northbound::ServerOptions o;
  o.body_limit = 16;
  Northbound w(o);
  HttpClient c(w.http_port);
  REQUIRE(c.send("POST /v1/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n"
                 "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}\r\n0\r\n\r\n"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->json()["error"]["code"] == "body_too_large");
}

TEST_CASE("northbound: a bearer token guards every route but /healthz") {
  northbound::ServerOptions o;
  o.token = "s3cret-token";
  Northbound w(o);
  HttpClient c(w.http_port);
  auto r = c.request("GET", "/v1/pools");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->headers["www-authenticate"] == "Bearer realm=\"vmnctl-ofc\"");
  CHECK(r->json() == error("unauthorized", "this API needs an Authorization: Bearer token"));
  HttpClient wrong(w.http_port);
  r = wrong.request("GET", "/v1/pools", "Authorization: Bearer s3cret-tokeN\r\n");
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(r->json() == error("unauthorized", "the bearer token is not the configured one"));
  HttpClient prefix(w.http_port);
  r = prefix.request("GET", "/v1/pools", "Authorization: Bearer s3cret\r\n");
  REQUIRE(r);
  CHECK(r->status == 401);
  HttpClient right(w.http_port);
  r = right.request("GET", "/v1/pools", "Authorization: Bearer s3cret-token\r\n");
  REQUIRE(r);
  CHECK(r->status == 200);
  HttpClient health(w.http_port);
  r = health.request("GET", "/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  HttpClient ready(w.http_port);
  r = ready.request("GET", "/readyz");  // only /healthz is open
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(w.counters().unauthorized == 4);
}

TEST_CASE("northbound: constant_time_equal") {
  CHECK(northbound::constant_time_equal("abc", "abc"));
  CHECK(!northbound::constant_time_equal("abd", "abc"));
  CHECK(!northbound::constant_time_equal("ab", "abc"));
  CHECK(!northbound::constant_time_equal("abcd", "abc"));
  CHECK(!northbound::constant_time_equal("", "abc"));
  CHECK(!northbound::constant_time_equal("abc", ""));
}

TEST_CASE("northbound: POST /v1/reload answers what the host's reload did") {
  int calls = 0;
  northbound::ReloadResult next;
  auto options = Northbound::defaults();
  options.reload = [&] {
    ++calls;
    return next;
  };
  Northbound w({}, options);
  next = {true, {"pool of site-a grown by 4 addresses to 14"}, {}};
  HttpClient c(w.http_port);
  auto r = c.request("POST", "/v1/reload");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->json() == json{{"applied", true}, {"changes", {"pool of site-a grown by 4 addresses to 14"}}});
  next = {false, {}, {"sites[0].dpid (site-a) cannot change while running", "home cannot change while running"}};
  r = c.request("POST", "/v1/reload", "", "{}");
  REQUIRE(r);
  CHECK(r->status == 409);
  CHECK(r->json() ==
        json{{"error",
              {{"code", "reload_refused"},
               {"message", "reload refused (2 problems); nothing changed"},
               {"refusals", {"sites[0].dpid (site-a) cannot change while running", "home cannot change while running"}}}}});
  CHECK(calls == 2);
}

TEST_CASE("northbound: the event stream delivers every engine event in order") {
  Northbound w;
  HttpClient c(w.http_port);
  REQUIRE(c.send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c.read_reply();
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->headers["content-type"] == "text/event-stream");
  // The subscription is in place once the counter says so.
  for (int i = 0; i < 500 && w.counters().event_clients == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(w.counters().event_clients == 1);

  // A real engine batch: a switch connects, a VMN is detected over the wire.
  auto sw = FakeSwitch::connect(w.openflow_port);
  REQUIRE(sw->handshake(1, testing::on_wire::fake_ports()));
  testing::on_wire::send_arp(*sw, 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")));
  REQUIRE(sw->expect(ofp::MessageType::PacketOut));

  std::vector<json> events;
  for (int i = 0; i < 3; ++i) {
    auto e = c.read_event();
    REQUIRE(e);
    events.push_back(*e);
  }
  CHECK(events[0] == json{{"seq", 1}, {"kind", "switch-up"}, {"to", {{"dpid", "0x0000000000000001"}, {"port", 0}}}});
  CHECK(events[1]["seq"] == 2);
  CHECK(events[1]["kind"] == "vmn-detected");
  CHECK(events[1]["mac"] == "52:54:00:00:00:01");
  CHECK(events[2]["seq"] == 3);
  CHECK(events[2]["kind"] == "moa-assigned");
  CHECK(events[2]["moa"] == "172.16.1.10");

  // Injected events keep their order too, many at once.
  w.on_io([&w] {
    std::vector<mobility::Event> batch(50);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].kind = mobility::Event::Kind::ProbeSent;
      batch[i].home_address = Ipv4Address{static_cast<std::uint32_t>(i + 1)};
    }
    w.tee.on_events(batch, {});
    return 0;
  });
  for (std::uint32_t i = 0; i < 50; ++i) {
    auto e = c.read_event();
    REQUIRE(e);
    CHECK((*e)["seq"] == 4 + i);
    CHECK((*e)["hoa"] == Ipv4Address{i + 1}.to_string());
  }
  CHECK(w.counters().event_clients_dropped == 0);
}

TEST_CASE("northbound: an event client that does not read is dropped; the controller keeps answering") {
  northbound::ServerOptions o;
  o.event_buffer_bytes = 4096;
  Northbound w(o);
  HttpClient stalled(w.http_port, 4096);
  REQUIRE(stalled.send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 500 && w.counters().event_clients == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(w.counters().event_clients == 1);
  // Batches of 10 events until the socket buffers and then the client's 4 KiB are full.
  bool dropped = false;
  for (int round = 0; round < 200000 && !dropped; ++round) {
    dropped = w.on_io([&w] {
      std::vector<mobility::Event> batch(10);
      for (auto& e : batch) {
        e.kind = mobility::Event::Kind::VmnDetected;
        e.mac = vmn_mac(1);
        e.home_address = hoa(1);
      }
      w.tee.on_events(batch, {});
      return w.api.server().counters().event_clients_dropped == 1;
    });
  }
  REQUIRE(dropped);
  CHECK(w.counters().event_clients == 0);
  // The controller still answers HTTP and switches.
  CHECK(get_json(w.http_port, "/healthz") == json{{"status", "ok"}});
  auto sw = FakeSwitch::connect(w.openflow_port);
  REQUIRE(sw->handshake(1, testing::on_wire::fake_ports()));
  testing::on_wire::send_arp(*sw, 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")));
  CHECK(sw->expect(ofp::MessageType::PacketOut));
}

TEST_CASE("northbound: a slow-loris client blocks neither other clients nor a switch's packet-in") {
  Northbound w;  // header timeout 10 s: the trickling client stays connected throughout
  HttpClient loris(w.http_port);
  REQUIRE(loris.send("GET /v1/vmns HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  auto sw = FakeSwitch::connect(w.openflow_port);
  REQUIRE(sw->handshake(1, testing::on_wire::fake_ports()));
  REQUIRE(loris.send("a"));
  testing::on_wire::send_arp(*sw, 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")));
  CHECK(sw->expect(ofp::MessageType::PacketOut));
  REQUIRE(loris.send("b"));
  HttpClient other(w.http_port);
  auto r = other.request("GET", "/v1/vmns/52:54:00:00:00:01");
  REQUIRE(r);
  CHECK(r->status == 200);
  const auto c = w.counters();
  CHECK(c.connections_open == 2);  // the loris is still there, unanswered
  CHECK(c.requests == 1);
  CHECK(c.timeouts == 0);
}

TEST_CASE("northbound: a header that does not finish in time closes the connection") {
  northbound::ServerOptions o;
  o.header_timeout = std::chrono::milliseconds(200);
  Northbound w(o);
  HttpClient loris(w.http_port);
  REQUIRE(loris.send("GET /healthz HTTP/1.1\r\nHo"));
  CHECK(loris.wait_closed());
  const auto c = w.counters();
  CHECK(c.timeouts == 1);
  CHECK(c.requests == 0);
}

TEST_CASE("northbound: connections over the cap are closed at once, the others served") {
  northbound::ServerOptions o;
  o.max_connections = 2;
  Northbound w(o);
  HttpClient a(w.http_port), b(w.http_port);
  REQUIRE(a.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(a.read_reply());
  REQUIRE(b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(b.read_reply());
  HttpClient third(w.http_port);
  CHECK(third.wait_closed());
  CHECK(w.counters().connections_refused == 1);
  auto r = a.request("GET", "/healthz");  // kept alive
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("northbound: with a token, an oversized body from a stranger is answered 401, not 413") {
  northbound::ServerOptions o;
  o.token = "t";
  Northbound w(o);
  HttpClient c(w.http_port);
  REQUIRE(c.send("POST /v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
  auto r = c.read_reply();
  REQUIRE(r);
  CHECK(r->status == 401);
  CHECK(c.wait_closed());
}
