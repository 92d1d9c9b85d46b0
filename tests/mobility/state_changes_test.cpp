// Change records: what one engine call changed, saved as a record the size of the change, and
// merged into an older snapshot to give the state a whole snapshot would have.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {

/// The parts of a snapshot a merge must reproduce exactly: every VMN entry, and per switch the
/// learned fields and which addresses are in use (in any order) or held (the fresh cursor and the
/// free list's order may differ; the remaining hold of a merged held address is the whole hold
/// time).
nlohmann::json essentials(nlohmann::json snap) {
  for (auto& sw : snap["switches"]) {
    nlohmann::json held = nlohmann::json::array();
    for (const auto& h : sw["pool"]["held"]) held.push_back(h["address"]);
    std::vector<std::string> in_use = sw["pool"]["in_use"];  // a set: its order means nothing
    std::sort(in_use.begin(), in_use.end());
    sw["pool"] = {{"in_use", in_use}, {"held", held}};
  }
  return snap;
}

struct Recorder {
  explicit Recorder(World& world) : w(world) {}
  World& w;
  std::vector<nlohmann::json> records;
  void operator()() {
    if (w.batch.changes.empty()) return;
    records.push_back(w.engine.changes_record(w.batch.changes, w.now));
  }
};

}  // namespace

TEST_CASE("changes: each call names what it changed, and a snapshot plus the records restores the state") {
  World w;
  w.all_up();
  w.attach(1, 1, 2);
  const nlohmann::json base = w.engine.snapshot(w.now);  // what an earlier compaction wrote
  Recorder rec{w};

  w.attach(2, 2, 2);
  REQUIRE(w.batch.changes.vmns.size() == 1);
  CHECK(w.batch.changes.vmns[0] == vmn_mac(2));
  REQUIRE(w.batch.changes.addresses.size() == 1);
  CHECK(w.batch.changes.addresses[0].first == 2u);
  rec();
  w.attach(3, 3, 2);
  rec();
  w.ask(1, 2);  // correspondents: both entries change
  CHECK(w.batch.changes.vmns.size() == 2);
  rec();
  w.ask(3, 1);
  rec();
  w.ask(1, 2);  // nothing new: an answer changes nothing saved
  CHECK(w.batch.changes.empty());
  w.move(1, 2, 3);  // the VMN, its new MoA at dp 2 and its old one (now held) at dp 1
  CHECK(w.batch.changes.vmns.size() == 1);
  CHECK(w.batch.changes.addresses.size() == 2);
  rec();
  const nlohmann::json& moved = rec.records.back();
  CHECK(moved["vmns"].size() == 1);
  REQUIRE(moved["addresses"].size() == 2);
  CHECK(moved["addresses"][0]["state"] == "held");
  CHECK(moved["addresses"][1]["state"] == "in_use");
  w.move(1, 3, 4);
  rec();

  nlohmann::json merged = base;
  REQUIRE(merge_state_changes(merged, rec.records).has_value());
  CHECK(essentials(merged) == essentials(w.engine.snapshot(w.now)));

  // A restored engine serves on: no MoA handed out twice, every pair still reaches the other.
  World r;
  Batch out;
  REQUIRE(r.engine.restore(merged, w.now, out).has_value());
  r.now = w.now;
  r.all_up();
  r.router_neighbours = w.router_neighbours;
  r.check_consistent();
  r.check_reaches(1, 2);
  r.check_reaches(3, 1);
  r.attach(4, 1, 3);
  r.attach(5, 2, 4);
  r.check_consistent();

  SECTION("records already in the snapshot change nothing when merged again") {
    nlohmann::json again = w.engine.snapshot(w.now);
    REQUIRE(merge_state_changes(again, rec.records).has_value());
    CHECK(essentials(again) == essentials(w.engine.snapshot(w.now)));
  }
  SECTION("a record about a switch the snapshot lacks is named") {
    nlohmann::json bad = base;
    auto records = rec.records;
    records[1]["addresses"][0]["datapath_id"] = 99;
    auto merged_bad = merge_state_changes(bad, records);
    REQUIRE_FALSE(merged_bad.has_value());
    CHECK(merged_bad.error().find("changes[1].addresses[0]: datapath 0x63 is not in the snapshot") != std::string::npos);
  }
}

TEST_CASE("changes: an expired VMN's record removes it and updates its correspondents") {
  MobilityConfig c = three_sites();
  c.vmn_idle = std::chrono::seconds(600);
  World w(c);
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  const nlohmann::json base = w.engine.snapshot(w.now);
  Recorder rec{w};
  // Every local flow of VMN 2 reports its idle timeout: the VMN expires.
  w.advance(std::chrono::seconds(600));
  const std::uint64_t cookie = Cookie::make(0xa7, FlowKind::Local, w.vmn(2).generation, w.vmn(2).id);
  std::vector<fakes::FlowEntry> gone;
  for (const fakes::FlowEntry& e : w.switches[2].entries())
    if (e.cookie == cookie) gone.push_back(e);
  REQUIRE(gone.size() == 3);
  for (const fakes::FlowEntry& e : gone) {
    ofp::FlowRemoved fr;
    fr.cookie = e.cookie;
    fr.priority = e.priority;
    fr.table_id = e.table_id;
    fr.reason = ofp::FlowRemovedReason::IdleTimeout;
    fr.idle_timeout = 600;
    fr.match = e.match;
    w.batch.clear();
    w.engine.on_flow_removed(w.now, 2, fr, w.batch);
    w.deliver();
    rec();
  }
  REQUIRE(w.engine.registry().find(vmn_mac(2)) == nullptr);
  nlohmann::json merged = base;
  REQUIRE(merge_state_changes(merged, rec.records).has_value());
  CHECK(essentials(merged) == essentials(w.engine.snapshot(w.now)));
  REQUIRE(merged["vmns"].size() == 1);
  CHECK(merged["vmns"][0]["correspondents"].empty());
}

TEST_CASE("changes: addresses handed out of a grown pool's free stretch merge into the snapshot") {
  // A pool grown below its allocation cursor gets the new addresses as one free "first-last"
  // entry; a record naming one of them must take it out of that entry, or the merged snapshot
  // lists it twice and the restart is refused.
  MobilityConfig grown = three_sites();
  const AddressRange added{ip("172.16.1.2"), ip("172.16.1.8")};
  grown.sites[0].pool_ranges.push_back(added);
  World w;
  w.all_up();
  for (int i = 1; i <= 10; ++i) w.attach(i, 1, 2 + static_cast<std::uint32_t>(i % 4));  // every fresh address
  REQUIRE(w.engine.grow_pool(1, grown.sites[0].pool_ranges, {}).has_value());
  const nlohmann::json base = w.engine.snapshot(w.now);
  REQUIRE(base["switches"][0]["pool"]["free"] == nlohmann::json::array({"172.16.1.2-172.16.1.8"}));
  Recorder rec{w};
  w.attach(11, 1, 2);
  rec();
  w.attach(12, 1, 3);
  rec();
  CHECK(w.vmn(11).mobile_address == ip("172.16.1.2"));
  CHECK(w.vmn(12).mobile_address == ip("172.16.1.3"));

  nlohmann::json merged = base;
  REQUIRE(merge_state_changes(merged, rec.records).has_value());
  CHECK(merged["switches"][0]["pool"]["free"] == nlohmann::json::array({"172.16.1.4-172.16.1.8"}));
  CHECK(essentials(merged) == essentials(w.engine.snapshot(w.now)));

  // An address from the middle of a stretch splits it, the pieces keep their place.
  SECTION("a record from the middle of the stretch") {
    nlohmann::json middle = base;
    nlohmann::json record = {{"addresses", {{{"datapath_id", 1}, {"address", "172.16.1.5"}, {"state", "in_use"}}}}};
    REQUIRE(merge_state_changes(middle, std::vector<nlohmann::json>{record}).has_value());
    CHECK(middle["switches"][0]["pool"]["free"] == nlohmann::json::array({"172.16.1.2-172.16.1.4", "172.16.1.6-172.16.1.8"}));
  }

  World r(grown);
  Batch out;
  REQUIRE(r.engine.restore(merged, w.now, out).has_value());
  r.now = w.now;
  r.all_up();
  r.router_neighbours = w.router_neighbours;
  r.check_consistent();
  r.attach(13, 1, 4);
  CHECK(r.vmn(13).mobile_address == ip("172.16.1.4"));  // not one handed out before the restart
  r.check_consistent();
}
