// MobilityEngine::grow_pool: a site's MoA pool grows live (vmnctl-ofc's SIGHUP), never
// shrinks, and a snapshot taken after it restores with the grown configuration.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {
/// Site 2's pool 172.16.2.10-.11 as configured by three_sites(2), plus `extra`.
std::vector<AddressRange> site2_pool(std::vector<AddressRange> extra = {}) {
  std::vector<AddressRange> r{{ip("172.16.2.10"), ip("172.16.2.11")}};
  for (const AddressRange& e : extra) r.push_back(e);
  return r;
}
}  // namespace

TEST_CASE("grow_pool: an exhausted site gets new MoAs after its pool grows") {
  World w(three_sites(2));
  w.all_up();
  w.attach(1, 2, 2);
  w.attach(2, 2, 3);
  const Batch& full = w.attach(3, 2, 4);
  CHECK(has_event(full, Event::Kind::PoolExhausted));
  CHECK(w.engine.registry().find(vmn_mac(3)) == nullptr);

  auto added = w.engine.grow_pool(2, site2_pool({{ip("172.16.2.200"), ip("172.16.2.201")}}),
                                  {*Ipv4Prefix::parse("172.16.9.0/30")});
  REQUIRE(added.has_value());
  CHECK(*added == 4);  // .200, .201 and the /30's two host addresses
  CHECK(w.engine.pool(2)->capacity() == 6);
  CHECK(w.engine.pool(2)->in_use_count() == 2);
  CHECK(w.engine.config().sites[1].pool_ranges.size() == 2);
  CHECK(w.engine.config().sites[1].pool_prefixes.size() == 1);

  const Batch& detected = w.attach(3, 2, 4);  // the VMN asks again
  CHECK(has_event(detected, Event::Kind::VmnDetected));
  CHECK(w.vmn(3).mobile_address == ip("172.16.2.200"));
  // A migration onto the grown site takes the next new address, and traffic flows.
  w.attach(4, 1, 2);
  w.ask(4, 3);
  CHECK(has_event(w.move(4, 2, 5), Event::Kind::Migrated));
  CHECK(w.vmn(4).mobile_address == ip("172.16.2.201"));
  w.check_consistent();
  w.check_reaches(4, 3);
  w.check_reaches(3, 4);
}

TEST_CASE("grow_pool: a pool that would lose an address, overlap or is unknown is refused unchanged") {
  World w(three_sites(4));
  w.all_up();
  w.attach(1, 2, 2);
  const auto before = w.engine.snapshot(w.now);
  const auto config_ranges = w.engine.config().sites[1].pool_ranges;

  auto shrink = w.engine.grow_pool(2, {{ip("172.16.2.10"), ip("172.16.2.12")}}, {});
  REQUIRE(!shrink.has_value());
  CHECK(shrink.error().find("172.16.2.13 would leave the pool") != std::string::npos);
  auto gone = w.engine.grow_pool(2, {}, {});
  REQUIRE(!gone.has_value());
  CHECK(gone.error().find("172.16.2.10") != std::string::npos);
  // Growing into site 3's pool or the home prefix would hand out one address twice.
  const AddressRange whole{ip("172.16.2.10"), ip("172.16.2.13")};
  auto overlap = w.engine.grow_pool(2, {whole, {ip("172.16.2.14"), ip("172.16.3.10")}}, {});
  REQUIRE(!overlap.has_value());
  CHECK(overlap.error().find("overlaps the pool of dp 0x3") != std::string::npos);
  auto home = w.engine.grow_pool(2, {whole, {ip("10.0.0.200"), ip("10.0.0.201")}}, {});
  REQUIRE(!home.has_value());
  INFO(home.error());
  CHECK(home.error().find("home prefix") != std::string::npos);
  CHECK(!w.engine.grow_pool(9, {whole}, {}).has_value());

  CHECK(w.engine.snapshot(w.now) == before);
  CHECK(w.engine.config().sites[1].pool_ranges == config_ranges);
  // The same pool again is a growth by nothing.
  CHECK(w.engine.grow_pool(2, {whole}, {}).value() == 0);
}

TEST_CASE("grow_pool: the snapshot carries the grown pool; a restart with the grown config restores it") {
  MobilityConfig config = three_sites(2);
  World w(config);
  w.all_up();
  w.attach(1, 2, 2);
  w.attach(2, 1, 2);
  w.ask(2, 1);
  const nlohmann::json old_snapshot = w.engine.snapshot(w.now);
  const AddressRange extra{ip("172.16.2.100"), ip("172.16.2.109")};
  REQUIRE(w.engine.grow_pool(2, site2_pool({extra}), {}).has_value());
  w.attach(3, 2, 3);  // .11
  w.attach(4, 2, 4);  // .100: the old range is used up
  CHECK(w.vmn(4).mobile_address == ip("172.16.2.100"));
  const nlohmann::json snapshot = w.engine.snapshot(w.now);

  // A new process with the grown configuration (what vmnctl-ofc does on restart).
  MobilityConfig grown = config;
  grown.sites[1].pool_ranges.push_back(extra);
  MobilityEngine restarted(grown);
  Batch out;
  REQUIRE(restarted.restore(snapshot, w.now, out).has_value());
  CHECK(restarted.registry().size() == 4);
  CHECK(restarted.registry().find(vmn_mac(4))->mobile_address == ip("172.16.2.100"));
  CHECK(restarted.pool(2)->capacity() == 12);
  CHECK(restarted.pool(2)->in_use(ip("172.16.2.100")));
  CHECK(restarted.snapshot(w.now) == snapshot);

  // The snapshot from before the growth, with the grown configuration: the pool grows on
  // restore, the MoAs in it are kept, and the new addresses come next.
  MobilityEngine from_old(grown);
  Batch out2;
  REQUIRE(from_old.restore(old_snapshot, w.now, out2).has_value());
  CHECK(from_old.pool(2)->capacity() == 12);
  CHECK(from_old.pool(2)->in_use(w.vmn(1).mobile_address));
  CHECK(from_old.pool(2)->in_use_count() == 1);
  // The grown snapshot with the old configuration is refused (issue 17): its pool has addresses
  // the configuration does not give the site, which may be another site's now. Nothing changes.
  MobilityEngine with_old_config(config);
  Batch out3;
  auto refused = with_old_config.restore(snapshot, w.now, out3);
  REQUIRE(!refused.has_value());
  CHECK(refused.error() ==
        "switches[1].pool.ranges: 172.16.2.100 is not in the configured pool of datapath 0x2 (a state of another "
        "configuration?)");
  CHECK(with_old_config.registry().size() == 0);
  CHECK(with_old_config.pool(2)->in_use_count() == 0);
}
