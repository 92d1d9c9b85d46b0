// MobilityEngine::restore of broken snapshots: each problem is named by its path in the
// document, a value of the wrong JSON type is an error rather than an exception, and the engine
// is left as it was.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {

/// The snapshot of a world with two VMNs that talk to each other.
nlohmann::json sample(World& w) {
  w.all_up();
  w.attach(1, 1, 2);
  w.attach(2, 2, 2);
  w.ask(1, 2);
  return w.engine.snapshot(w.now);
}

/// Restores `bad` into a fresh engine and returns the error (which must be there).
std::string refused(const nlohmann::json& bad, TimePoint now) {
  World r;
  const nlohmann::json before = r.engine.snapshot(now);
  Batch out;
  Expected<void, std::string> result;
  REQUIRE_NOTHROW(result = r.engine.restore(bad, now, out));
  REQUIRE(!result.has_value());
  CHECK(r.engine.snapshot(now) == before);
  CHECK(out.messages.empty());
  return result.error();
}

}  // namespace

TEST_CASE("restore: values of the wrong type are errors named by their path, not exceptions") {
  World w;
  const nlohmann::json snap = sample(w);

  nlohmann::json bad = snap;
  bad["switches"][1]["uplink_port"] = "eth0";
  CHECK(refused(bad, w.now) == "switches[1].uplink_port: not a number");

  bad = snap;
  bad["switches"][0]["datapath_id"] = -1;
  CHECK(refused(bad, w.now).find("switches[0].datapath_id: not a whole number") != std::string::npos);

  bad = snap;
  bad["switches"][2]["learned_gateway_mac"] = 7;
  CHECK(refused(bad, w.now) == "switches[2].learned_gateway_mac: not a string");

  bad = snap;
  bad["switches"][0]["pool"]["in_use"][0] = nlohmann::json::array();
  CHECK(refused(bad, w.now) == "switches[0].pool.in_use[0]: not a string");

  bad = snap;
  bad["vmns"][1]["port"] = 2.5;
  CHECK(refused(bad, w.now).find("vmns[1].port: not a whole number") != std::string::npos);

  bad = snap;
  bad["vmns"][0]["correspondents"] = "all";
  CHECK(refused(bad, w.now) == "vmns[0].correspondents: not an array");

  bad = snap;
  bad["format"] = 1;
  CHECK(refused(bad, w.now) == "format: not a vmnmob-mobility-snapshot/1");

  CHECK(refused(nlohmann::json::array(), w.now) == "snapshot: not an object");
  CHECK(refused(nlohmann::json("vmnmob-mobility-snapshot/1"), w.now) == "snapshot: not an object");
}

TEST_CASE("restore: every problem of a snapshot is named at once") {
  World w;
  nlohmann::json bad = sample(w);
  bad["switches"][0].erase("uplink_port");
  bad["switches"][1]["datapath_id"] = 99;
  bad["vmns"][1]["mac"] = "not-a-mac";
  const std::string error = refused(bad, w.now);
  INFO(error);
  CHECK(error.find("vmns[1].mac: not a MAC address") != std::string::npos);
  CHECK(error.find("switches[0].uplink_port: missing") != std::string::npos);
  CHECK(error.find("switches[1].datapath_id: not in the configuration") != std::string::npos);
}

TEST_CASE("restore: a missing or misplaced part of the snapshot is named") {
  World w;
  const nlohmann::json snap = sample(w);
  nlohmann::json bad = snap;
  bad.erase("vmns");
  CHECK(refused(bad, w.now) == "vmns: missing");
  bad = snap;
  bad["switches"] = nlohmann::json::object();
  CHECK(refused(bad, w.now) == "switches: not an array");
  bad = snap;
  bad["switches"][0]["pool"].erase("held");
  CHECK(refused(bad, w.now) == "switches[0].pool.held: missing");
}

TEST_CASE("pool and registry JSON: wrong types are errors named by their path") {
  const TimePoint now{};
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.4")}}, std::chrono::seconds(10));
  nlohmann::json j = pool.to_json(now);
  j["held"].push_back({{"address", "10.1.0.2"}, {"remaining_ms", "soon"}});
  j["ranges"][0][1] = 4;
  auto err = AddressPool::from_json(j, std::chrono::seconds(10), now);
  REQUIRE(!err.has_value());
  CHECK(err.error() == "pool.ranges[0][1]: not a string");

  auto not_a_list = VmnRegistry::from_json(nlohmann::json::object(), now);
  REQUIRE(!not_a_list.has_value());
  CHECK(not_a_list.error() == "vmns: not an array");
}
