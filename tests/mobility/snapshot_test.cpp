// MobilityEngine::restore of broken snapshots: each problem is named by its path in the
// document, a value of the wrong JSON type is an error rather than an exception, and the engine
// is left as it was.
#include <catch2/catch.hpp>

#include <limits>

#include <fmt/format.h>
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

// ---- issue 17: a snapshot is checked against the running configuration ----

TEST_CASE("restore: a snapshot of a configuration with the sites' pools swapped is refused") {
  // issue 17: it was accepted (each pool grown by the configured one) and site 2 then handed
  // out site 1's addresses.
  MobilityConfig swapped = three_sites();
  std::swap(swapped.sites[0].pool_ranges, swapped.sites[1].pool_ranges);
  World w(swapped);
  const nlohmann::json snap = sample(w);
  const std::string error = refused(snap, w.now);
  INFO(error);
  CHECK(error.find("switches[0].pool.ranges: 172.16.2.10 is not in the configured pool of datapath 0x1") != std::string::npos);
  CHECK(error.find("switches[1].pool.ranges: 172.16.1.10 is not in the configured pool of datapath 0x2") != std::string::npos);
}

TEST_CASE("restore: a switch that is not configured, or listed twice, is refused") {
  World w;
  nlohmann::json bad = sample(w);
  bad["switches"][2]["datapath_id"] = 1;
  CHECK(refused(bad, w.now) == "switches[2].datapath_id: datapath 0x1 is listed twice");
  bad = sample(w);
  bad["switches"][0]["datapath_id"] = 0;
  CHECK(refused(bad, w.now) == "switches[0].datapath_id: not in the configuration");
}

TEST_CASE("restore: a HoA outside the home prefix or its network, broadcast or gateway address is refused") {
  World w;
  const nlohmann::json snap = sample(w);
  for (const auto& [hoa, why] : std::vector<std::pair<std::string, std::string>>{
           {"192.168.7.7", "192.168.7.7 is not inside the home prefix 10.0.0.0/24"},  // issue 17: accepted
           {"10.0.0.0", "10.0.0.0 is the network address of 10.0.0.0/24"},
           {"10.0.0.255", "10.0.0.255 is the broadcast address of 10.0.0.0/24"},
           {"10.0.0.1", "10.0.0.1 is the home gateway"}}) {
    nlohmann::json bad = snap;
    bad["vmns"][1]["home_address"] = hoa;
    CHECK(refused(bad, w.now) == "vmns[1].home_address: " + why);
  }
}

TEST_CASE("restore: port 0 or above OFPP_MAX is refused, for a VMN and for an uplink") {
  World w;
  const nlohmann::json snap = sample(w);
  nlohmann::json bad = snap;
  bad["vmns"][0]["port"] = 0;  // issue 17: accepted
  CHECK(refused(bad, w.now) == "vmns[0].port: 0 is not a port from 1 to 0xffffff00");
  bad = snap;
  bad["vmns"][0]["port"] = 0xffffff01u;
  CHECK(refused(bad, w.now) == "vmns[0].port: 4294967041 is not a port from 1 to 0xffffff00");
  bad = snap;
  bad["switches"][0]["uplink_port"] = 0;
  CHECK(refused(bad, w.now) == "switches[0].uplink_port: not a port from 1 to 0xffffff00");
}

TEST_CASE("restore: a MoA that is not in its site's pool is refused") {
  World w;
  nlohmann::json bad = sample(w);
  bad["vmns"][0]["mobile_address"] = "172.16.3.10";  // site 3's, not site 1's
  CHECK(refused(bad, w.now) == "vmns[0].mobile_address: 172.16.3.10 is not in use in the pool of datapath 0x1");
}

TEST_CASE("restore: times out of range are refused without any signed overflow") {
  // issue 17: 1e17 ms or -2^62 ms made `now - age` overflow (UBSan: signed integer overflow).
  World w;
  const nlohmann::json snap = sample(w);
  const std::vector<nlohmann::json> times = {nlohmann::json(100'000'000'000'000'000), nlohmann::json(-(std::int64_t{1} << 62)),
                                             nlohmann::json(std::numeric_limits<std::int64_t>::max()),
                                             nlohmann::json(std::numeric_limits<std::int64_t>::min()), nlohmann::json(1e17),
                                             nlohmann::json(-1)};
  for (const nlohmann::json& t : times) {
    INFO(t.dump());
    for (const char* key : {"detected_age_ms", "last_seen_age_ms", "moved_age_ms", "frozen_remaining_ms"}) {
      nlohmann::json bad = snap;
      bad["vmns"][0][key] = t;
      CHECK(refused(bad, w.now).starts_with(fmt::format("vmns[0].{}: not a whole number from 0 to", key)));
    }
    nlohmann::json bad = snap;
    bad["vmns"][0]["recent_moves_age_ms"] = nlohmann::json::array({t});
    CHECK(refused(bad, w.now).starts_with("vmns[0].recent_moves_age_ms[0]: not a whole number from 0 to"));
  }
  // Ten years is the bound; a snapshot at it reads.
  nlohmann::json old = snap;
  old["vmns"][0]["detected_age_ms"] = std::int64_t{10} * 366 * 24 * 3600 * 1000;
  World r;
  Batch out;
  CHECK(r.engine.restore(old, w.now, out).has_value());
}
