// Limits and hygiene of the registry (docs/MOBILITY.md, "Limits and hygiene"): VMNs per port
// and per site, duplicate-move freeze (RFC 7432 section 15), expiry of idle VMNs, and what a
// snapshot carries of them. Deterministic: every step is fed its `now`.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "mobility/harness.hpp"
#include "vmnmob/ofp/codec.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {

std::size_t count_events(const Batch& b, Event::Kind k) {
  return static_cast<std::size_t>(std::count_if(b.events.begin(), b.events.end(), [k](const Event& e) { return e.kind == k; }));
}

std::uint64_t local_cookie(const Vmn& v) { return Cookie::make(0xa7, FlowKind::Local, v.generation, v.id); }

/// The switch's idle timeout fires for every local flow of VMN i (it carried no traffic):
/// they leave the fake table, then each FLOW_REMOVED reaches the engine (in the order the
/// switch would send them) and each batch is delivered. Returns the events of all of them.
std::vector<Event> idle_out(World& w, int i, std::size_t how_many = 3) {
  const Vmn& v = w.vmn(i);
  const std::uint64_t dp = v.location.datapath_id;
  const std::uint64_t cookie = local_cookie(v);
  std::vector<fakes::FlowEntry> gone;
  for (const fakes::FlowEntry& e : w.switches[dp].entries())
    if (e.cookie == cookie && gone.size() < how_many) gone.push_back(e);
  std::vector<Event> events;
  for (const fakes::FlowEntry& e : gone) {
    ofp::FlowMod del;
    del.command = ofp::FlowModCommand::DeleteStrict;
    del.table_id = e.table_id;
    del.priority = e.priority;
    del.match = e.match;
    del.cookie = e.cookie;
    del.cookie_mask = Cookie::kExact;
    w.switches[dp].apply(del);
  }
  for (const fakes::FlowEntry& e : gone) {
    ofp::FlowRemoved fr;
    fr.cookie = e.cookie;
    fr.priority = e.priority;
    fr.table_id = e.table_id;
    fr.reason = ofp::FlowRemovedReason::IdleTimeout;
    fr.idle_timeout = 600;
    fr.match = e.match;
    w.batch.clear();
    w.engine.on_flow_removed(w.now, dp, fr, w.batch);
    w.deliver();
    events.insert(events.end(), w.batch.events.begin(), w.batch.events.end());
  }
  return events;
}

bool has(const std::vector<Event>& events, Event::Kind k) {
  return std::any_of(events.begin(), events.end(), [k](const Event& e) { return e.kind == k; });
}

MobilityConfig idle_config() {
  MobilityConfig c = three_sites();
  c.vmn_idle = std::chrono::seconds(600);
  return c;
}

}  // namespace

TEST_CASE("limits: 10 000 made-up MACs from one port leave the site's pool to the other ports") {
  MobilityConfig c = three_sites(20);
  REQUIRE(c.max_vmns_per_port == 8);
  World w(c);
  w.all_up();
  std::mt19937_64 rng(7);
  std::size_t events = 0, limit_events = 0, reported = 0;
  for (int k = 0; k < 10000; ++k) {
    w.advance(std::chrono::milliseconds(1));
    // A locally administered unicast MAC, and an address from the top of the home prefix.
    const MacAddress m = MacAddress::from_u64((rng() & 0xfeffffffffffull) | 0x020000000000ull);
    const Ipv4Address a{ip("10.0.0.200").value + static_cast<std::uint32_t>(rng() % 50)};
    const Batch& b = w.arp(1, 2, arp_request(m, a, ip("10.0.0.1")));
    events += b.events.size();
    for (const Event& e : b.events)
      if (e.kind == Event::Kind::VmnLimit) {
        ++limit_events;
        reported += e.count;
        CHECK(e.to == Location{1, 2});
      }
  }
  // The port got its 8 VMNs (fewer if a made-up address repeated) and nothing else.
  CHECK(w.engine.registry().size() <= 8);
  CHECK(w.engine.registry().size() >= 7);
  CHECK(w.engine.pool(1)->in_use_count() == w.engine.registry().size());
  CHECK(w.engine.counters().port_limit_refusals >= 9990);
  // At most one limit event per second of the flood (10 s), the rest counted.
  CHECK(limit_events <= 11);
  CHECK(reported <= w.engine.counters().port_limit_refusals);
  CHECK(reported + 1000 >= w.engine.counters().port_limit_refusals);  // at most the last second unreported
  CHECK(events < 60);

  // Legitimate VMNs on the site's other ports still get MoAs, and talk.
  for (int i = 1; i <= 3; ++i) {
    const Batch& b = w.attach(i, 1, static_cast<std::uint32_t>(2 + i));
    CHECK(has_event(b, Event::Kind::VmnDetected));
  }
  w.attach(4, 2, 2);
  w.ask(1, 4);
  w.check_reaches(1, 4);
  w.check_reaches(4, 1);
  w.check_consistent();

  // The flooding port stays refused; a refusal sends nothing. After a quiet tick the notice
  // is forgotten (the refusals it did not report are in the counters).
  w.advance(std::chrono::seconds(5));
  w.tick();
  const Batch& more = w.arp(1, 2, arp_request(MacAddress::from_u64(0x02aabbccddee), ip("10.0.0.240"), ip("10.0.0.1")));
  CHECK(more.messages.empty());
  REQUIRE(count_events(more, Event::Kind::VmnLimit) == 1);
  CHECK(more.events[0].count == 1);
}

TEST_CASE("limits: a site at its limit refuses new VMNs, not migrations; a free slot is used again") {
  MobilityConfig c = three_sites();
  c.max_vmns_per_site = 3;
  World w(c);
  w.all_up();
  for (int i = 1; i <= 3; ++i) w.attach(i, 1, static_cast<std::uint32_t>(1 + i));
  const Batch& refused = w.attach(4, 1, 5);
  CHECK(refused.messages.empty());
  REQUIRE(count_events(refused, Event::Kind::SiteVmnLimit) == 1);
  CHECK(refused.events[0].to == Location{1, 5});
  CHECK(refused.events[0].count == 1);
  CHECK(w.engine.registry().find(vmn_mac(4)) == nullptr);
  CHECK(w.engine.pool(1)->in_use_count() == 3);
  // Rate: a second refusal within the interval is counted, not evented; after it, evented with
  // the count of both.
  CHECK(w.attach(4, 1, 5).events.empty());
  w.advance(std::chrono::seconds(1));
  const Batch& later = w.attach(4, 1, 5);
  REQUIRE(later.events.size() == 1);
  CHECK(later.events[0].count == 2);
  CHECK(w.engine.counters().site_limit_refusals == 3);

  // A VMN of another site may still migrate here: the limits bound detection only.
  w.attach(5, 2, 2);
  const Batch& moved = w.move(5, 1, 5);
  CHECK(has_event(moved, Event::Kind::Migrated));
  CHECK(w.vmn(5).location == Location{1, 5});
  // The site holds 4 now; once two have left there is room for a new one.
  w.move(5, 2, 2);
  w.move(3, 3, 2);
  w.advance(std::chrono::seconds(1));
  CHECK(has_event(w.attach(4, 1, 5), Event::Kind::VmnDetected));
  w.check_consistent();
}

TEST_CASE("limits: an address conflict is refused and evented as before, and takes no slot") {
  MobilityConfig c = three_sites();
  c.max_vmns_per_port = 2;
  World w(c);
  w.all_up();
  w.attach(1, 1, 2);
  const Batch& conflict = w.arp(1, 3, arp_request(vmn_mac(9), hoa(1), ip("10.0.0.1")));
  CHECK(conflict.messages.empty());
  REQUIRE(count_events(conflict, Event::Kind::AddressConflict) == 1);
  CHECK(conflict.events[0].peer_mac == vmn_mac(1));
  CHECK(w.engine.registry().size() == 1);
  // The same from the VMN's own port (below its limit): a conflict too, and again.
  CHECK(has_event(w.arp(1, 2, arp_request(vmn_mac(9), hoa(1), ip("10.0.0.1"))), Event::Kind::AddressConflict));
  CHECK(has_event(w.arp(1, 2, arp_request(vmn_mac(9), hoa(1), ip("10.0.0.1"))), Event::Kind::AddressConflict));
  // A known MAC claiming another HoA: a conflict, whatever the limits.
  CHECK(has_event(w.arp(1, 2, arp_request(vmn_mac(1), hoa(5), ip("10.0.0.1"))), Event::Kind::AddressConflict));
  // The conflicts took no slot: a second VMN fits on port 2; a third is over the limit, and
  // a conflicting claim from the full port is refused by the limit (one rate-limited event).
  CHECK(has_event(w.attach(2, 1, 2), Event::Kind::VmnDetected));
  CHECK(has_event(w.attach(3, 1, 2), Event::Kind::VmnLimit));
  const Batch& full = w.arp(1, 2, arp_request(vmn_mac(9), hoa(1), ip("10.0.0.1")));
  CHECK(full.messages.empty());
  CHECK(w.engine.registry().find(vmn_mac(9)) == nullptr);
  CHECK(w.vmn(1).mac == vmn_mac(1));
  w.check_consistent();
}

TEST_CASE("freeze: two ports fighting over one MAC stop after 5 moves; the VMN stays at the last place") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 3, 2);
  w.ask(1, 2);
  // The two ports announce VMN 1 in turn, every 10 s.
  const Location a{1, 2}, b{2, 2};
  std::size_t migrations = 0;
  for (int k = 1; k <= 5; ++k) {
    w.advance(std::chrono::seconds(10));
    const Location to = k % 2 == 1 ? b : a;
    const Batch& m = w.move(1, to.datapath_id, to.port);
    migrations += count_events(m, Event::Kind::Migrated);
    CHECK(w.vmn(1).location == to);
    CHECK(has_event(m, Event::Kind::MoveFrozen) == (k == 5));
    w.check_consistent();
  }
  CHECK(migrations == 5);
  CHECK(w.engine.frozen(vmn_mac(1), w.now));
  CHECK(w.engine.counters().moves_frozen == 1);
  const Location last = w.vmn(1).location;
  CHECK(last == b);
  const Ipv4Address moa = w.vmn(1).mobile_address;

  // The fight goes on: refused, evented once per window, counted.
  std::size_t refusals_evented = 0;
  for (int k = 0; k < 20; ++k) {
    w.advance(std::chrono::seconds(10));
    const Batch& r = w.move(1, a.datapath_id, a.port);
    CHECK(r.messages.empty());
    refusals_evented += count_events(r, Event::Kind::FrozenMoveRefused);
    w.move(1, b.datapath_id, b.port);  // the last place: no move, nothing to refuse
  }
  CHECK(refusals_evented == 2);  // 200 s: at 10 s and at 190 s (window 180 s)
  CHECK(w.engine.counters().frozen_moves_refused == 20);
  CHECK(w.vmn(1).location == last);
  CHECK(w.vmn(1).mobile_address == moa);
  w.check_consistent();
  // Traffic from and to the last place works.
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
  // Its ARPs at its place are served as usual.
  CHECK(!w.arp(b.datapath_id, b.port, arp_request(vmn_mac(1), hoa(1), ip("10.0.0.1"))).messages.empty());
}

TEST_CASE("freeze: moves spread over more than the window never freeze; a freeze ends after its time") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 3, 2);
  w.ask(1, 2);
  // One move every 50 s: at most 4 within any 180 s.
  for (int k = 1; k <= 12; ++k) {
    w.advance(std::chrono::seconds(50));
    const Batch& m = w.move(1, k % 2 == 1 ? 2 : 1, 2);
    CHECK(has_event(m, Event::Kind::Migrated));
    CHECK(!has_event(m, Event::Kind::MoveFrozen));
  }
  // After a quiet while, five quick moves freeze it.
  w.advance(std::chrono::seconds(400));
  for (int k = 1; k <= 5; ++k) {
    w.advance(std::chrono::seconds(1));
    w.move(1, k % 2 == 1 ? 2 : 1, 2);
  }
  CHECK(w.engine.frozen(vmn_mac(1), w.now));
  const Location frozen_at = w.vmn(1).location;
  const std::uint64_t elsewhere = frozen_at.datapath_id == 1 ? 2 : 1;
  w.advance(std::chrono::seconds(539));
  w.tick();
  CHECK(w.engine.frozen(vmn_mac(1), w.now));
  CHECK(w.move(1, elsewhere, 2).messages.empty());
  w.advance(std::chrono::seconds(1));  // 540 s = 3 windows
  const Batch& thaw = w.tick();
  CHECK(has_event(thaw, Event::Kind::MoveUnfrozen));
  CHECK(!w.engine.frozen(vmn_mac(1), w.now));
  const Batch& m = w.move(1, elsewhere, 2);
  CHECK(has_event(m, Event::Kind::Migrated));
  CHECK(!has_event(m, Event::Kind::MoveFrozen));  // the history starts again
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);

  // The operator may end a freeze at once (RFC 7432's corrective action).
  for (int k = 1; k <= 5; ++k) {
    w.advance(std::chrono::seconds(1));
    w.move(1, k % 2 == 1 ? frozen_at.datapath_id : elsewhere, 2);
  }
  REQUIRE(w.engine.frozen(vmn_mac(1), w.now));
  w.batch.clear();
  CHECK(w.engine.unfreeze(w.now, vmn_mac(1), w.batch));
  CHECK(w.batch.messages.empty());
  CHECK(has_event(w.batch, Event::Kind::MoveUnfrozen));
  CHECK(!w.engine.frozen(vmn_mac(1), w.now));
  w.batch.clear();
  CHECK(!w.engine.unfreeze(w.now, vmn_mac(1), w.batch));
  const Location here = w.vmn(1).location;
  CHECK(has_event(w.move(1, here.datapath_id == 1 ? 2 : 1, 2), Event::Kind::Migrated));
  w.check_consistent();
}

TEST_CASE("expiry: an idle VMN is removed, its flows gone everywhere, its MoA held then free") {
  World w(idle_config());
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.attach(3, 1, 3);
  w.ask(1, 2);
  w.ask(3, 1);
  // The local flows carry the idle timeout and report their removal.
  {
    World probe(idle_config());
    probe.all_up();
    const Batch& b = probe.attach(1, 1, 2);
    const auto flows = bodies<ofp::FlowMod>(b);
    REQUIRE(flows.size() == 3);
    for (const ofp::FlowMod* fm : flows) {
      CHECK(fm->idle_timeout == 600);
      CHECK(fm->flags == (ofp::flow_mod_flags::kSendFlowRem | ofp::flow_mod_flags::kResetCounts));
    }
  }
  const Vmn& v1 = w.vmn(1);
  const VmnId id1 = v1.id;
  const std::uint32_t generation1 = v1.generation;
  const Ipv4Address moa1 = v1.mobile_address;

  w.advance(std::chrono::seconds(600));
  const std::vector<Event> events = idle_out(w, 1);
  CHECK(has(events, Event::Kind::VmnExpired));
  CHECK(has(events, Event::Kind::MoaReleased));
  CHECK(w.engine.registry().find(vmn_mac(1)) == nullptr);
  CHECK(w.engine.registry().size() == 2);
  CHECK(w.engine.counters().vmns_expired == 1);
  // Nobody has it as correspondent any more; every switch holds what the registry calls for.
  CHECK(w.vmn(2).correspondents.empty());
  CHECK(w.vmn(3).correspondents.empty());
  w.check_consistent();
  for (std::uint64_t dp = 1; dp <= 3; ++dp)
    for (FlowKind kind : {FlowKind::Local, FlowKind::Remote})
      CHECK(w.switches[dp].count_cookie(Cookie::make(0xa7, kind, 0, id1), Cookie::kAnyGenerationMask) == 0);
  // The MoA is held for the hold time (30 s), then free.
  CHECK(w.engine.pool(1)->held(moa1));
  w.advance(std::chrono::seconds(30));
  w.tick();
  CHECK(!w.engine.pool(1)->held(moa1));
  CHECK(!w.engine.pool(1)->in_use(moa1));

  // The others still talk; the expired VMN comes back by its next ARP, with its id reused and
  // a later generation (so no delete meant for the old flows can hit the new ones).
  const Batch& back = w.attach(1, 1, 2);
  CHECK(has_event(back, Event::Kind::VmnDetected));
  CHECK(w.vmn(1).id == id1);
  CHECK(w.vmn(1).generation > generation1);
  w.ask(1, 2);
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
  w.check_consistent();
}

TEST_CASE("expiry: a VMN that still ARPs, or whose other flows carry traffic, keeps its flows") {
  World w(idle_config());
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);

  SECTION("ARP within vmn_idle: the idled flows come back") {
    w.advance(std::chrono::seconds(300));
    w.attach(1, 1, 2);  // its ARP for the gateway
    w.advance(std::chrono::seconds(300));
    const std::vector<Event> events = idle_out(w, 1);
    CHECK(!has(events, Event::Kind::VmnExpired));
    CHECK(has(events, Event::Kind::FlowRestored));
    CHECK(w.engine.counters().idle_flows_restored == 3);
  }
  SECTION("one flow idles (a direction without traffic), the others do not") {
    w.advance(std::chrono::seconds(600));
    const std::vector<Event> events = idle_out(w, 1, 1);
    CHECK(!has(events, Event::Kind::VmnExpired));
    CHECK(has(events, Event::Kind::FlowRestored));
    // Minutes later another flow idles alone: still traffic on the rest.
    w.advance(std::chrono::seconds(200));
    CHECK(!has(idle_out(w, 1, 1), Event::Kind::VmnExpired));
  }
  SECTION("a flow removed by someone else is no idleness") {
    w.advance(std::chrono::seconds(600));
    ofp::FlowRemoved fr;
    fr.cookie = local_cookie(w.vmn(1));
    fr.table_id = table::kIngress;
    fr.reason = ofp::FlowRemovedReason::Delete;
    w.batch.clear();
    w.engine.on_flow_removed(w.now, 1, fr, w.batch);
    w.deliver();
    CHECK(has_event(w.batch, Event::Kind::FlowRestored));
  }
  REQUIRE(w.engine.registry().find(vmn_mac(1)) != nullptr);
  w.check_consistent();
  w.check_reaches(1, 2);
  w.check_reaches(2, 1);
}

TEST_CASE("expiry: the idle timeout and flags of the local flows go on the wire unchanged") {
  World w(idle_config());
  w.all_up();
  const Batch& b = w.attach(1, 1, 2);
  std::size_t flow_mods = 0;
  for (const Outgoing& o : b.messages) {
    auto wire = ofp::encode(o.message);
    REQUIRE(wire.has_value());
    auto back = ofp::decode(as_bytes(*wire));
    REQUIRE(back.has_value());
    CHECK(*back == o.message);
    if (const auto* fm = std::get_if<ofp::FlowMod>(&back->body)) {
      ++flow_mods;
      CHECK(fm->idle_timeout == 600);
      CHECK(fm->hard_timeout == 0);
    }
  }
  CHECK(flow_mods == 3);
}

TEST_CASE("expiry is off by default: idle timeouts are neither set nor acted on") {
  World w;
  w.all_up();
  const Batch& b = w.attach(1, 1, 2);
  for (const ofp::FlowMod* fm : bodies<ofp::FlowMod>(b)) {
    CHECK(fm->idle_timeout == 0);
    CHECK(fm->flags == 0);
  }
  w.advance(std::chrono::hours(5));
  idle_out(w, 1);
  CHECK(w.engine.registry().find(vmn_mac(1)) != nullptr);
  w.check_consistent();
}

TEST_CASE("snapshot: a freeze, the move history and free ids survive a restart; limits hold after it") {
  MobilityConfig c = idle_config();
  c.max_vmns_per_port = 2;
  World w(c);
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 3, 2);
  w.attach(3, 1, 4);
  w.attach(4, 1, 4);
  w.ask(1, 2);
  // VMN 3 expires: its id is free (a gap in the snapshot).
  w.advance(std::chrono::seconds(600));
  w.attach(1, 1, 2);
  w.attach(2, 3, 2);
  w.attach(4, 1, 4);
  idle_out(w, 3);
  REQUIRE(w.engine.registry().find(vmn_mac(3)) == nullptr);
  // VMN 1 is frozen after five quick moves; VMN 2 has moved once.
  for (int k = 1; k <= 5; ++k) {
    w.advance(std::chrono::seconds(2));
    w.move(1, k % 2 == 1 ? 2 : 1, 2);
  }
  w.move(2, 3, 3);
  REQUIRE(w.engine.frozen(vmn_mac(1), w.now));

  const nlohmann::json snap = w.engine.snapshot(w.now);
  World r(c);
  Batch out;
  REQUIRE(r.engine.restore(snap, w.now, out).has_value());
  CHECK(r.engine.snapshot(w.now) == snap);
  CHECK(r.engine.frozen(vmn_mac(1), w.now));
  CHECK(r.engine.registry().at(r.engine.registry().find(vmn_mac(2))->id).recent_moves.size() == 1);

  // The restarted engine carries on: the freeze refuses, the port limit holds, the free id is
  // given to the next VMN.
  r.all_up();
  r.now = w.now + std::chrono::seconds(1);
  const Location at = r.vmn(1).location;
  CHECK(has_event(r.move(1, at.datapath_id == 1 ? 2 : 1, 2), Event::Kind::FrozenMoveRefused));
  r.attach(5, 1, 4);  // port 4 holds VMN 4 alone now: room for one
  CHECK(has_event(r.attach(6, 1, 4), Event::Kind::VmnLimit));
  CHECK(r.vmn(5).id == 2);  // VMN 3's number
  r.check_consistent();
  r.now += std::chrono::seconds(540);
  CHECK(has_event(r.tick(), Event::Kind::MoveUnfrozen));
  CHECK(has_event(r.move(1, at.datapath_id == 1 ? 2 : 1, 2), Event::Kind::Migrated));
  r.check_consistent();

  SECTION("a snapshot with the new fields broken names them") {
    nlohmann::json bad = snap;
    bad["vmns"][0]["frozen_remaining_ms"] = "soon";
    bad["vmns"][1]["recent_moves_age_ms"] = 3;
    World x(c);
    Batch o;
    auto err = x.engine.restore(bad, w.now, o);
    REQUIRE(!err.has_value());
    CHECK(err.error().find("vmns[0].frozen_remaining_ms: not a number") != std::string::npos);
    CHECK(err.error().find("vmns[1].recent_moves_age_ms: not an array") != std::string::npos);
  }
  SECTION("ids out of order are refused") {
    nlohmann::json bad = snap;
    std::swap(bad["vmns"][0], bad["vmns"][1]);
    World x(c);
    Batch o;
    auto err = x.engine.restore(bad, w.now, o);
    REQUIRE(!err.has_value());
    CHECK(err.error().find("ids must be in increasing order") != std::string::npos);
  }
}

TEST_CASE("randomised with limits, freezes and expiry: switches stay consistent, no MoA twice") {
  std::size_t expired = 0, frozen = 0, limited = 0;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    MobilityConfig c = three_sites(8);
    c.vmn_idle = std::chrono::seconds(600);
    c.max_vmns_per_port = 2;
    c.max_vmns_per_site = 5;
    c.move_freeze = {3, std::chrono::seconds(120), std::chrono::seconds(240)};
    World w(c);
    w.vm_ports = 8;
    w.all_up();
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
    auto invariants = [&] {
      for (std::uint64_t d = 1; d <= 3; ++d)
        if (!w.up[d]) w.switch_up(d, site_ports(8));
      w.check_consistent();
      std::set<std::uint32_t> moas;
      for (const Vmn& v : w.engine.registry()) {
        CHECK(moas.insert(v.mobile_address.value).second);
        CHECK(w.engine.pool(v.location.datapath_id)->in_use(v.mobile_address));
        CHECK(w.engine.registry().count_at(v.location) <= 2);
        for (VmnId p : v.correspondents) CHECK(w.engine.registry().contains(p));
      }
      std::uint64_t in_use = 0;
      for (std::uint64_t d = 1; d <= 3; ++d) in_use += w.engine.pool(d)->in_use_count();
      CHECK(in_use == w.engine.registry().size());
      // (Two VMNs behind one port reach each other behind it, not through the switch.)
      for (const Vmn& v : w.engine.registry())
        for (VmnId p : v.correspondents)
          if (w.engine.registry().at(p).location != v.location)
            w.check_reaches(static_cast<int>(v.mac.to_u64() - 0x525400000000ull),
                          static_cast<int>(w.engine.registry().at(p).mac.to_u64() - 0x525400000000ull));
    };
    for (int step = 0; step < 200; ++step) {
      w.advance(std::chrono::seconds(1 + pick(90)));
      const int i = 1 + pick(12);
      const std::uint64_t dp = 1 + static_cast<std::uint64_t>(pick(3));
      const std::uint32_t port = 2 + static_cast<std::uint32_t>(pick(4));  // shared: limits are hit
      const bool known = w.engine.registry().find(vmn_mac(i)) != nullptr;
      const bool home_up = known && w.up[w.vmn(i).location.datapath_id];
      switch (pick(12)) {
        case 0: case 1: case 2:
          if (!known && w.up[dp]) w.attach(i, dp, port);
          break;
        case 3: case 4:
          if (home_up) w.ask(i, 1 + pick(12));
          break;
        case 5: case 6:
          if (known && w.up[dp]) w.move(i, dp, port);
          break;
        case 7:  // two places fighting over the MAC, a second apart
          if (known && w.up[dp] && w.up[1 + dp % 3])
            for (int k = 0; k < 4; ++k) {
              w.advance(std::chrono::seconds(1));
              if (k % 2 == 0) w.move(i, dp, port); else w.move(i, 1 + dp % 3, 2 + static_cast<std::uint32_t>(pick(4)));
            }
          break;
        case 8:
          if (home_up) idle_out(w, i);
          break;
        case 9:
          if (home_up) idle_out(w, i, 1);
          break;
        case 10:
          if (pick(3) == 0) {
            if (w.up[dp]) w.switch_down(dp); else w.switch_up(dp, site_ports(8));
          }
          break;
        default:
          w.tick();
      }
      if (step % 10 == 9) invariants();
    }
    invariants();
    expired += w.engine.counters().vmns_expired;
    frozen += w.engine.counters().moves_frozen;
    limited += w.engine.counters().port_limit_refusals + w.engine.counters().site_limit_refusals;
  }
  // The run did exercise what it claims to.
  CHECK(expired > 10);
  CHECK(frozen > 3);
  CHECK(limited > 5);  // seeds 1-8: 50 expired, 14 frozen, 9 refused by a limit
}
