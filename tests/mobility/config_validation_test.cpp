// validate() / check_config() (vmnmob/mobility/config.hpp): each configuration issue 17 found
// passing is refused with "path: reason", and a sound configuration passes.
#include <catch2/catch.hpp>

#include <algorithm>

#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {

/// Every problem of `c`, one "path: reason" line each.
std::vector<std::string> problems(const MobilityConfig& c) {
  auto valid = validate(c);
  return valid ? std::vector<std::string>{} : valid.error();
}

bool has(const std::vector<std::string>& all, std::string_view text) {
  return std::any_of(all.begin(), all.end(), [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

Ipv4Prefix prefix(const char* s) { return *Ipv4Prefix::parse(s); }

}  // namespace

TEST_CASE("config: the test worlds' configurations are sound") {
  CHECK(problems(three_sites()).empty());
  CHECK(problems(three_sites(200)).empty());
  CHECK(MobilityEngine::create(three_sites()).has_value());
}

TEST_CASE("config: a pool that overlaps or straddles the home prefix is refused") {
  // issue 17: the pool 10.10.0.0/16 around the home prefix 10.10.0.0/24 passed (only its first
  // and last address were looked at), and the engine handed out a VMN's HoA as a MoA.
  MobilityConfig c = three_sites();
  c.home_prefix = prefix("10.10.0.0/24");
  c.home_gateway = ip("10.10.0.254");
  c.sites[0].pool_ranges = {{ip("10.9.255.250"), ip("10.10.0.3")}};  // straddles its start
  c.sites[1].pool_prefixes = {prefix("10.10.0.64/26")};              // inside
  c.sites[2].pool_prefixes = {prefix("10.8.0.0/14")};                // around it
  auto all = problems(c);
  INFO(fmt::format("{}", fmt::join(all, "\n")));
  CHECK(has(all, "sites[0].pool_ranges[0]: 10.9.255.250-10.10.0.3 overlaps the home prefix 10.10.0.0/24 (home_prefix)"));
  CHECK(has(all, "sites[1].pool_prefixes[0]: 10.10.0.64/26 overlaps the home prefix"));
  CHECK(has(all, "sites[2].pool_prefixes[0]: 10.8.0.0/14 overlaps the home prefix"));
  CHECK(has(all, "sites[2].pool_prefixes[0]: 10.8.0.0/14 overlaps sites[0].pool_ranges[0]"));
  CHECK(has(all, "sites[2].pool_prefixes[0]: 10.8.0.0/14 overlaps sites[1].pool_prefixes[0]"));
  CHECK(all.size() == 5);
  auto engine = MobilityEngine::create(c);
  REQUIRE(!engine.has_value());
  CHECK(engine.error() == all);
}

TEST_CASE("config: pools of two sites that overlap are refused, each clash named once") {
  MobilityConfig c = three_sites();
  c.sites[2].pool_ranges.push_back(c.sites[0].pool_ranges[0]);
  auto all = problems(c);
  REQUIRE(all.size() == 1);
  CHECK(all[0] == "sites[2].pool_ranges[1]: 172.16.1.10-172.16.1.19 overlaps sites[0].pool_ranges[0] (172.16.1.10-172.16.1.19)");
}

TEST_CASE("config: a home prefix too wide, too narrow or outside unicast space is refused") {
  MobilityConfig c = three_sites();
  c.home_prefix = prefix("0.0.0.0/0");  // issue 17: passed, so every address was a HoA
  CHECK(has(problems(c), "home_prefix: 0.0.0.0/0 is wider than /8"));
  c.home_prefix = prefix("10.0.0.0/7");
  CHECK(has(problems(c), "home_prefix: 10.0.0.0/7 is wider than /8"));
  c.home_prefix = prefix("10.0.0.0/8");
  CHECK(problems(c).empty());
  c.home_prefix = prefix("10.0.0.0/31");
  CHECK(has(problems(c), "home_prefix: 10.0.0.0/31 is narrower than /30"));
  c.home_prefix = prefix("127.0.0.0/24");
  c.home_gateway = ip("127.0.0.1");
  CHECK(has(problems(c), "home_prefix: 127.0.0.0/24 is in 127.0.0.0/8"));
}

TEST_CASE("config: the home gateway must be a host address of the home prefix") {
  MobilityConfig c = three_sites();
  c.home_gateway = ip("10.0.0.0");
  CHECK(problems(c) == std::vector<std::string>{"home_gateway: 10.0.0.0 is the network address of 10.0.0.0/24"});
  c.home_gateway = ip("10.0.0.255");
  CHECK(problems(c) == std::vector<std::string>{"home_gateway: 10.0.0.255 is the broadcast address of 10.0.0.0/24"});
  c.home_gateway = ip("10.0.1.1");
  CHECK(problems(c) == std::vector<std::string>{"home_gateway: is not inside home_prefix (10.0.0.0/24)"});
}

TEST_CASE("config: datapath id 0 and a repeated datapath id are refused") {
  MobilityConfig c = three_sites();
  c.sites[0].datapath_id = 0;  // issue 17: two sites with dpid 0 passed
  c.sites[1].datapath_id = 0;
  auto all = problems(c);
  CHECK(all == std::vector<std::string>{"sites[0].datapath_id: 0 is not a datapath id",
                                        "sites[1].datapath_id: 0 is not a datapath id"});
  c = three_sites();
  c.sites[2].datapath_id = 1;
  CHECK(problems(c) == std::vector<std::string>{"sites[2].datapath_id: 0x1 repeats sites[0].datapath_id"});
}

TEST_CASE("config: an uplink port above OFPP_MAX, port 0 or no uplink at all is refused") {
  MobilityConfig c = three_sites();
  c.sites[0].uplink_port = 0xffffff01;
  c.sites[1].uplink_port = 0;
  c.sites[2].uplink_name.clear();
  auto all = problems(c);
  INFO(fmt::format("{}", fmt::join(all, "\n")));
  CHECK(has(all, "sites[0].uplink: port 4294967041 is not from 1 to 0xffffff00 (OFPP_MAX)"));
  CHECK(has(all, "sites[1].uplink: port 0 is not from 1"));
  CHECK(has(all, "sites[2].uplink: neither a port number nor a port name"));
  c = three_sites();
  c.sites[0].uplink_port = 0xffffff00;  // OFPP_MAX itself is a port
  CHECK(problems(c).empty());
}

TEST_CASE("config: site gateways, empty pools, reversed ranges and non-unicast pools are refused") {
  MobilityConfig c = three_sites();
  c.sites[0].gateway_ip = c.sites[0].pool_ranges[0].first;
  c.sites[1].gateway_ip = ip("10.0.0.9");
  c.sites[2].pool_ranges = {};
  auto all = problems(c);
  INFO(fmt::format("{}", fmt::join(all, "\n")));
  CHECK(has(all, "sites[0].pool_ranges[0]: 172.16.1.10-172.16.1.19 contains the site gateway address 172.16.1.10"));
  CHECK(has(all, "sites[1].gateway_ip: 10.0.0.9 is inside home_prefix"));
  CHECK(has(all, "sites[2].pool: the pool is empty"));
  c = three_sites();
  c.sites[0].pool_ranges = {{ip("172.16.1.20"), ip("172.16.1.10")}};
  c.sites[1].pool_prefixes = {prefix("224.0.0.0/24")};
  c.sites[2].pool_ranges = {{ip("126.255.255.0"), ip("127.0.0.5")}};
  all = problems(c);
  INFO(fmt::format("{}", fmt::join(all, "\n")));
  CHECK(has(all, "sites[0].pool_ranges[0]: 172.16.1.20-172.16.1.10: the last address is before the first"));
  CHECK(has(all, "sites[1].pool_prefixes[0]: 224.0.0.0/24 holds addresses of 224.0.0.0 and above"));
  CHECK(has(all, "sites[2].pool_ranges[0]: 126.255.255.0-127.0.0.5 holds addresses of 127.0.0.0/8"));
}

TEST_CASE("config: times that could overflow the clock, and other engine settings, are refused") {
  MobilityConfig c = three_sites();
  c.hold_time = std::chrono::hours(24 * 10000);
  c.probe_timeout = Duration::zero();
  c.vmn_idle = std::chrono::seconds(70000);
  c.move_freeze.window = -std::chrono::seconds(1);
  c.first_table = 252;
  c.switch_meters.enabled = true;
  c.switch_meters.announce_meter_id = c.switch_meters.arp_meter_id;
  auto all = problems(c);
  INFO(fmt::format("{}", fmt::join(all, "\n")));
  CHECK(has(all, "hold_time: must be from 0 to 366 days"));
  CHECK(has(all, "probe_timeout: must be positive"));
  CHECK(has(all, "vmn_idle: must be from 0 to 65535 s"));
  CHECK(has(all, "move_freeze: window and freeze must be from 0 to 366 days"));
  CHECK(has(all, "first_table: 252 leaves no room for five tables"));
  CHECK(has(all, "switch_meters: the ARP and the announce meter need ids of their own"));
  CHECK(all.size() == 6);
}

TEST_CASE("config: a host names the fields its own way") {
  MobilityConfig c = three_sites();
  c.sites[1].datapath_id = 0;
  auto named = validate(c, [](const ConfigField& f) {
    return f.kind == ConfigField::Kind::DatapathId ? fmt::format("site {} dpid", f.site) : to_string(f);
  });
  REQUIRE(!named.has_value());
  CHECK(named.error() == std::vector<std::string>{"site 1 dpid: 0 is not a datapath id"});
  auto detailed = check_config(c);
  REQUIRE(detailed.size() == 1);
  CHECK(detailed[0].fields == std::vector<ConfigField>{{ConfigField::Kind::DatapathId, 1, 0}});
}

TEST_CASE("engine: a VMN claiming the network or broadcast address of the home prefix is refused as an address conflict") {
  // issue 17: 10.10.0.0 (the home prefix's network address) was accepted as a HoA.
  World w;
  w.all_up();
  for (const char* claimed : {"10.0.0.0", "10.0.0.255"}) {
    const Batch& b = w.arp(1, 2, arp_request(vmn_mac(1), ip(claimed), ip("10.0.0.1")));
    INFO(claimed);
    CHECK(has_event(b, Event::Kind::AddressConflict));
    CHECK(!has_event(b, Event::Kind::VmnDetected));
    CHECK(b.messages.empty());
    CHECK(w.engine.registry().size() == 0);
  }
  w.attach(1, 1, 2);  // the same MAC with a host address is a VMN
  CHECK(w.engine.registry().size() == 1);
}
