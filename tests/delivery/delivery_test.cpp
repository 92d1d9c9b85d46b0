// The delivery of engine batches, driven with the mobility harness's fake switches (one fake
// OpenFlow flow table per datapath, a site router between them): the make-before-break order
// per switch and across switches, and what happens when a switch errs, is silent or goes away.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "mobility/harness.hpp"
#include "vmnmob/delivery/delivery.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;
using delivery::BreakOrder;
using delivery::Delivery;
using delivery::Report;

namespace {

enum class Kind { Add, Delete, Barrier, PacketOut, Other };

Kind kind_of(const ofp::Message& m) {
  if (const auto* fm = std::get_if<ofp::FlowMod>(&m.body))
    return fm->command == ofp::FlowModCommand::Add ? Kind::Add : Kind::Delete;
  if (std::holds_alternative<ofp::BarrierRequest>(m.body)) return Kind::Barrier;
  if (std::holds_alternative<ofp::PacketOut>(m.body)) return Kind::PacketOut;
  return Kind::Other;
}

/// The switches as a SwitchLink: every message reaches the world's fake flow table of its
/// switch; barriers wait for the test to answer them.
struct FakeNetwork final : delivery::SwitchLink {
  explicit FakeNetwork(World& world) : w(world) {}

  struct Sent {
    std::uint64_t dp;
    Kind kind;
    std::uint32_t xid;
    std::size_t call;  // which send() carried it
  };
  World& w;
  std::vector<Sent> log;
  std::size_t calls = 0;
  std::set<std::uint64_t> unreachable;
  std::map<std::uint64_t, std::uint32_t> barriers;  // outstanding, by switch

  bool send(std::uint64_t dp, std::span<const ofp::Message> messages) override {
    if (unreachable.count(dp) != 0) return false;
    ++calls;
    for (const ofp::Message& m : messages) {
      log.push_back({dp, kind_of(m), m.xid, calls});
      w.apply(dp, m);
      if (kind_of(m) == Kind::Barrier) barriers[dp] = m.xid;
    }
    return true;
  }

  std::vector<Sent> of(std::uint64_t dp) const {
    std::vector<Sent> out;
    std::copy_if(log.begin(), log.end(), std::back_inserter(out), [&](const Sent& s) { return s.dp == dp; });
    return out;
  }
  std::size_t count(Kind k) const {
    return static_cast<std::size_t>(std::count_if(log.begin(), log.end(), [&](const Sent& s) { return s.kind == k; }));
  }
  std::set<std::uint64_t> switches() const {
    std::set<std::uint64_t> out;
    for (const Sent& s : log) out.insert(s.dp);
    return out;
  }
};

/// VMN 1 at site 1 talks to VMN 2 at site 2; VMN 3 sits at site 3.
World two_correspondents() {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.attach(3, 3, 3);
  w.ask(1, 2);
  w.ask(2, 1);
  w.check_reaches(1, 2);
  return w;
}

/// The engine's batch for VMN 1 announcing itself at site 3 (not yet delivered).
Batch& migration(World& w, std::uint64_t dp = 3, std::uint32_t port = 2) {
  w.batch.clear();
  w.engine.on_arp(w.now, dp, port, rarp(vmn_mac(1)), w.batch);
  REQUIRE(has_event(w.batch, Event::Kind::Migrated));
  REQUIRE(w.batch.break_at < w.batch.messages.size());
  return w.batch;
}

/// On every switch: adds (and packet-outs) first, then its barrier, then its deletes.
void check_order_per_switch(const FakeNetwork& net) {
  for (std::uint64_t dp : net.switches()) {
    INFO("datapath " << dp);
    bool barrier = false, deleted = false;
    for (const auto& s : net.of(dp)) {
      if (s.kind == Kind::Add) CHECK((!barrier && !deleted));
      if (s.kind == Kind::Barrier) {
        CHECK(!deleted);
        barrier = true;
      }
      if (s.kind == Kind::Delete) deleted = true;
    }
  }
}

/// Two correspondents, their switches as a FakeNetwork, and a delivery in `order`.
struct Setup {
  explicit Setup(BreakOrder order) : d(net, {order, std::chrono::seconds(2)}) {}
  World w = two_correspondents();
  FakeNetwork net{w};
  Delivery d;
  std::vector<Report> reports;
};

std::size_t reports_of(const std::vector<Report>& reports, Report::Kind k) {
  return static_cast<std::size_t>(
      std::count_if(reports.begin(), reports.end(), [&](const Report& r) { return r.kind == k; }));
}

ofp::ErrorMsg bad_request() {
  ofp::ErrorMsg e;
  e.type = ofp::ErrorType::BadRequest;
  e.code = 0;
  return e;
}

}  // namespace

TEST_CASE("switch order: each switch gets adds, barrier and deletes at once, in one send") {
  Setup setup(BreakOrder::Switch);
  auto& [w, net, d, reports] = setup;
  Batch& b = migration(w);
  const std::size_t deletes = b.messages.size() - b.break_at;
  d.deliver(w.now, b, reports);

  CHECK(reports.empty());
  CHECK(d.waiting() == 0);
  CHECK(net.count(Kind::Delete) == deletes);
  check_order_per_switch(net);
  // One send per switch, and each switch with adds got a barrier before its deletes.
  CHECK(net.calls == net.switches().size());
  for (std::uint64_t dp : net.switches()) {
    const auto sent = net.of(dp);
    CHECK(std::all_of(sent.begin(), sent.end(), [&](const auto& s) { return s.call == sent.front().call; }));
  }
  CHECK(net.switches().count(3) == 1);  // the new location
  CHECK(net.switches().count(2) == 1);  // the correspondent
  // Every message carries an xid of the delivery's own space.
  CHECK(std::all_of(net.log.begin(), net.log.end(), [](const auto& s) { return Delivery::owns_xid(s.xid); }));
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
}

TEST_CASE("switch order: an ARP answer is one message in one send") {
  Setup setup(BreakOrder::Switch);
  auto& [w, net, d, reports] = setup;
  w.batch.clear();
  w.engine.on_arp(w.now, 1, 2, arp_request(vmn_mac(1), hoa(1), hoa(2)), w.batch);
  REQUIRE(w.batch.messages.size() == 1);
  d.deliver(w.now, w.batch, reports);
  CHECK(net.calls == 1);
  CHECK(net.log.size() == 1);
  CHECK(net.log[0].kind == Kind::PacketOut);
}

TEST_CASE("network order: no switch loses its old flows before every switch answered its barrier") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  Batch& b = migration(w);
  const std::size_t deletes = b.messages.size() - b.break_at;
  const std::uint64_t id = d.deliver(w.now, b, reports);

  CHECK(net.count(Kind::Delete) == 0);
  CHECK(d.waiting() == 1);
  REQUIRE(net.barriers.size() >= 2);  // the new location and the correspondent
  // Make: the new path works while the old one still exists.
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  // All barriers but the last answered: still nothing deleted anywhere.
  auto last = std::prev(net.barriers.end());
  for (auto it = net.barriers.begin(); it != last; ++it) {
    w.advance(std::chrono::milliseconds(1));
    CHECK(d.on_barrier_reply(w.now, it->first, it->second, reports));
    CHECK(net.count(Kind::Delete) == 0);
  }
  CHECK(reports.empty());
  w.advance(std::chrono::milliseconds(1));
  CHECK(d.on_barrier_reply(w.now, last->first, last->second, reports));

  // Break: every delete went out, after every barrier reply.
  CHECK(net.count(Kind::Delete) == deletes);
  CHECK(d.waiting() == 0);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].kind == Report::Kind::BreakComplete);
  CHECK(reports[0].batch == id);
  CHECK(reports[0].messages == deletes);
  CHECK(reports[0].at - reports[0].started == std::chrono::milliseconds(net.barriers.size()));
  check_order_per_switch(net);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
}

TEST_CASE("network order: a barrier answered with an error does not hold the deletes") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  d.deliver(w.now, migration(w), reports);
  auto failing = net.barriers.begin();
  CHECK(d.on_error(w.now, failing->first, failing->second, bad_request(), reports));
  CHECK(reports_of(reports, Report::Kind::BarrierFailed) == 1);
  CHECK(reports.front().datapath_id == failing->first);
  CHECK(net.count(Kind::Delete) == 0);
  for (auto it = std::next(failing); it != net.barriers.end(); ++it) d.on_barrier_reply(w.now, it->first, it->second, reports);
  CHECK(reports_of(reports, Report::Kind::BreakComplete) == 1);
  CHECK(net.count(Kind::Delete) > 0);
  w.check_consistent();
}

TEST_CASE("network order: silent switches time out and the deletes go anyway") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  d.deliver(w.now, migration(w), reports);
  REQUIRE(d.next_deadline() == w.now + std::chrono::seconds(2));
  const auto answered = net.barriers.begin();
  d.on_barrier_reply(w.now, answered->first, answered->second, reports);

  w.advance(std::chrono::milliseconds(1999));
  d.on_tick(w.now, reports);
  CHECK(reports.empty());
  CHECK(net.count(Kind::Delete) == 0);

  w.advance(std::chrono::milliseconds(1));
  d.on_tick(w.now, reports);
  CHECK(reports_of(reports, Report::Kind::BarrierTimeout) == net.barriers.size() - 1);
  CHECK(reports_of(reports, Report::Kind::BreakComplete) == 1);
  CHECK(net.count(Kind::Delete) > 0);
  CHECK(d.waiting() == 0);
  CHECK(!d.next_deadline());
  // A reply that arrives late is still the delivery's, and changes nothing.
  reports.clear();
  const auto late = std::next(answered);
  CHECK(d.on_barrier_reply(w.now, late->first, late->second, reports));
  CHECK(reports.empty());
  w.check_consistent();
}

TEST_CASE("network order: a switch that dies mid-migration stops holding the others; its deletes are dropped") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  d.deliver(w.now, migration(w), reports);
  REQUIRE(net.barriers.count(2) == 1);  // the correspondent's switch

  // Everybody else answers; the correspondent's switch goes down without answering.
  for (const auto& [dp, xid] : net.barriers)
    if (dp != 2) d.on_barrier_reply(w.now, dp, xid, reports);
  CHECK(net.count(Kind::Delete) == 0);
  w.up[2] = false;
  w.batch.clear();
  w.engine.on_switch_down(w.now, 2, w.batch);
  d.on_switch_down(w.now, 2, reports);

  CHECK(reports_of(reports, Report::Kind::SwitchLost) == 1);
  CHECK(reports_of(reports, Report::Kind::BreakComplete) == 1);
  CHECK(net.count(Kind::Delete) > 0);
  const auto on_lost = net.of(2);
  CHECK(std::none_of(on_lost.begin(), on_lost.end(), [](const auto& s) { return s.kind == Kind::Delete; }));

  // It comes back: the engine reconciles it, and the pair talks again.
  w.switch_up(2);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
}

TEST_CASE("network order: a switch that cannot be sent to is not waited for") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  net.unreachable.insert(2);
  d.deliver(w.now, migration(w), reports);
  CHECK(reports_of(reports, Report::Kind::SwitchLost) == 1);
  CHECK(net.barriers.count(2) == 0);
  for (const auto& [dp, xid] : net.barriers) d.on_barrier_reply(w.now, dp, xid, reports);
  CHECK(reports_of(reports, Report::Kind::BreakComplete) == 1);
  CHECK(d.waiting() == 0);
}

TEST_CASE("a refused message is reported with its batch; the batch goes on") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  const std::uint64_t id = d.deliver(w.now, migration(w), reports);
  const auto add = std::find_if(net.log.begin(), net.log.end(), [](const auto& s) { return s.kind == Kind::Add; });
  REQUIRE(add != net.log.end());
  CHECK(d.on_error(w.now, add->dp, add->xid, bad_request(), reports));
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].kind == Report::Kind::Refused);
  CHECK(reports[0].batch == id);
  CHECK(reports[0].xid == add->xid);
  CHECK(reports[0].error->type == ofp::ErrorType::BadRequest);
  for (const auto& [dp, xid] : net.barriers) d.on_barrier_reply(w.now, dp, xid, reports);
  CHECK(reports_of(reports, Report::Kind::BreakComplete) == 1);
}

TEST_CASE("replies and errors that are not the delivery's are left to the host") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  d.deliver(w.now, migration(w), reports);
  CHECK(!d.on_barrier_reply(w.now, 1, 7, reports));
  CHECK(!d.on_error(w.now, 1, 7, bad_request(), reports));
  CHECK(!d.on_message(w.now, 1, ofp::Message{ofp::kVersion, Delivery::kXidBit | 1u, ofp::EchoRequest{}}, reports));
  CHECK(reports.empty());
  CHECK(d.waiting() == 1);
  // The decoded-message entry point finds the barrier reply.
  for (const auto& [dp, xid] : net.barriers)
    CHECK(d.on_message(w.now, dp, ofp::Message{ofp::kVersion, xid, ofp::BarrierReply{}}, reports));
  CHECK(d.waiting() == 0);
}

TEST_CASE("network order: two migrations wait independently") {
  Setup setup(BreakOrder::Network);
  auto& [w, net, d, reports] = setup;
  const std::uint64_t first = d.deliver(w.now, migration(w, 3, 2), reports);
  const auto barriers_first = net.barriers;
  net.barriers.clear();
  w.advance(std::chrono::milliseconds(10));
  const std::uint64_t second = d.deliver(w.now, migration(w, 1, 3), reports);  // and back to site 1
  CHECK(d.waiting() == 2);
  for (const auto& [dp, xid] : net.barriers) d.on_barrier_reply(w.now, dp, xid, reports);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].batch == second);
  CHECK(d.waiting() == 1);
  for (const auto& [dp, xid] : barriers_first) d.on_barrier_reply(w.now, dp, xid, reports);
  REQUIRE(reports.size() == 2);
  CHECK(reports[1].batch == first);
  CHECK(d.waiting() == 0);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
}
