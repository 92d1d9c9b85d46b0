// vmnmob/controller: the connection manager, the engine and the delivery wired together,
// driven over loopback by the shared fake switch.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "fakes/migration_on_wire.hpp"
#include "vmnmob/controller/controller.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility::test;
using vmnmob::testing::FakeSwitch;

namespace {

/// Records what a host hears (from the io_context thread; read after it stopped, or locked).
struct Recorder final : controller::ControllerObserver {
  std::mutex mutex;
  std::vector<std::uint64_t> up;
  std::vector<mobility::Event::Kind> events;
  std::vector<delivery::Report::Kind> reports;
  int state_changes = 0;
  bool negative_reaction = false;
  // Messages queued to the switches when a migration's changes were heard and when its events
  // were (after the delivery): the changes must come first, with none of the flows queued yet.
  std::atomic<controller::Controller*> controller{nullptr};
  std::vector<std::uint64_t> queued_at_changes, queued_at_events;

  std::uint64_t queued() {
    std::uint64_t n = 0;
    if (controller::Controller* c = controller.load())
      for (std::uint64_t dp = 1; dp <= 3; ++dp)
        if (auto sw = c->switches().find(dp)) n += sw->counters().messages_out;
    return n;
  }
  static bool migration(std::span<const mobility::Event> events) {
    return std::any_of(events.begin(), events.end(), [](const auto& e) { return e.kind == mobility::Event::Kind::Migrated; });
  }
  void on_state_changes(const mobility::Batch& batch) override {
    if (!migration(batch.events)) return;
    std::lock_guard lock(mutex);
    queued_at_changes.push_back(queued());
  }

  void on_switch_up(const connection::SwitchUp& e) override {
    std::lock_guard lock(mutex);
    up.push_back(e.datapath_id);
  }
  void on_events(std::span<const mobility::Event> batch, Duration reaction) override {
    std::lock_guard lock(mutex);
    negative_reaction = negative_reaction || reaction < Duration::zero();  // no Catch2 off the test thread
    if (migration(batch)) queued_at_events.push_back(queued());
    for (const auto& e : batch) events.push_back(e.kind);
  }
  void on_state_changed() override {
    std::lock_guard lock(mutex);
    ++state_changes;
  }
  void on_delivery(const delivery::Report& r) override {
    std::lock_guard lock(mutex);
    reports.push_back(r.kind);
  }
  template <class T, class K>
  static bool has(const std::vector<T>& v, K k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  }
};

/// A controller on its own io_context thread, listening on a free loopback port.
struct Running {
  explicit Running(delivery::BreakOrder order, Recorder* observer = nullptr)
      : controller(io, mobility::MobilityEngine(three_sites()), options(order), observer) {
    auto bound = controller.switches().listen("127.0.0.1", 0);
    REQUIRE(bound.has_value());
    port = *bound;
    controller.start();
    thread = std::thread([this] { io.run(); });
  }
  ~Running() {
    boost::asio::post(io, [this] {
      controller.stop();
      io.stop();
    });
    thread.join();
  }
  static controller::ControllerOptions options(delivery::BreakOrder order) {
    controller::ControllerOptions o;
    o.delivery = {order, std::chrono::seconds(5)};
    return o;
  }
  boost::asio::io_context io;
  controller::Controller controller;
  std::uint16_t port = 0;
  std::thread thread;
};

}  // namespace

TEST_CASE("controller, network order: the deletes wait for every switch's barrier reply on the wire") {
  Recorder recorder;
  {
    Running running(delivery::BreakOrder::Network, &recorder);
    recorder.controller = &running.controller;
    testing::check_network_order_on_wire(running.port);
  }
  CHECK(recorder.up.size() == 3);
  CHECK(Recorder::has(recorder.events, mobility::Event::Kind::VmnDetected));
  CHECK(Recorder::has(recorder.events, mobility::Event::Kind::Migrated));
  CHECK(recorder.state_changes > 0);
  CHECK(!recorder.negative_reaction);
  // Durability before flows: the host heard the move's changes before its flows were queued.
  REQUIRE(recorder.queued_at_changes.size() >= 1);
  REQUIRE(recorder.queued_at_changes.size() == recorder.queued_at_events.size());
  for (std::size_t i = 0; i < recorder.queued_at_changes.size(); ++i)
    CHECK(recorder.queued_at_changes[i] < recorder.queued_at_events[i]);
  CHECK(Recorder::has(recorder.reports, delivery::Report::Kind::BreakComplete));
}

TEST_CASE("controller, switch order: each switch gets adds, barrier and deletes without waiting") {
  Running running(delivery::BreakOrder::Switch);
  std::vector<std::unique_ptr<FakeSwitch>> sw;
  for (std::uint64_t dp = 1; dp <= 3; ++dp) {
    sw.push_back(FakeSwitch::connect(running.port));
    REQUIRE(sw.back()->handshake(dp, testing::on_wire::fake_ports()));
  }
  testing::on_wire::send_arp(*sw[0], 2, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1")));
  REQUIRE(sw[0]->expect(ofp::MessageType::PacketOut));
  for (auto& s : sw)
    while (s->receive(std::chrono::milliseconds(100))) {
    }
  // VMN 1 arrives at site 2: site 2 gets its adds and a barrier, site 1 its deletes, and
  // nobody answers a barrier.
  testing::on_wire::send_arp(*sw[1], 3, rarp(vmn_mac(1)));
  CHECK(testing::on_wire::read_until_barrier(*sw[1]) != 0);
  auto deleted = testing::on_wire::next_flow_message(*sw[0], std::chrono::seconds(3));
  REQUIRE(deleted.has_value());
  CHECK(testing::on_wire::is_delete(*deleted));
}

TEST_CASE("controller: an OFPT_ERROR for a delivered message is the delivery's, others the host's") {
  struct Errors final : controller::ControllerObserver {
    std::promise<std::uint32_t> host;
    std::promise<delivery::Report> refused;
    void on_switch_error(const connection::SwitchErrorEvent& e) override { host.set_value(e.xid); }
    void on_delivery(const delivery::Report& r) override {
      if (r.kind == delivery::Report::Kind::Refused) refused.set_value(r);
    }
  } errors;
  auto host_error = errors.host.get_future();
  auto refused = errors.refused.get_future();
  boost::asio::io_context io;
  controller::Controller c(io, mobility::MobilityEngine(three_sites()), {}, &errors);
  const auto port = c.switches().listen("127.0.0.1", 0);
  REQUIRE(port.has_value());
  std::thread thread([&] { io.run(); });
  {
    auto sw = FakeSwitch::connect(*port);
    REQUIRE(sw->handshake(1, testing::on_wire::fake_ports()));
    auto base = sw->expect(ofp::MessageType::FlowMod);
    REQUIRE(base.has_value());
    CHECK(delivery::Delivery::owns_xid(base->xid));
    ofp::ErrorMsg e;
    e.type = ofp::ErrorType::FlowModFailed;
    sw->send(e, base->xid);
    sw->send(e, 77);
    REQUIRE(refused.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
    CHECK(refused.get().xid == base->xid);
    REQUIRE(host_error.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
    CHECK(host_error.get() == 77);
  }
  boost::asio::post(io, [&] {
    c.stop();
    io.stop();
  });
  thread.join();
}
