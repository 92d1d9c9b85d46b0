// Randomised: after any sequence of detections, pairings, migrations and switch flaps, the
// switches hold exactly what a fresh build from the registry gives, no MoA is held by two
// VMNs, and every pair reaches each other with HoAs restored.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "mobility/harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {

void check_invariants(World& w) {
  w.check_consistent();
  std::set<std::uint32_t> moas;
  for (const Vmn& v : w.engine.registry()) {
    INFO("VMN " << v.mac.to_string());
    CHECK(moas.insert(v.mobile_address.value).second);
    const AddressPool* pool = w.engine.pool(v.location.datapath_id);
    CHECK(pool->in_use(v.mobile_address));
    CHECK(w.engine.registry().find_by_mobile_address(v.mobile_address) == &v);
    CHECK(w.engine.registry().find_by_home_address(v.home_address) == &v);
  }
  std::uint64_t in_use = 0;
  for (std::uint64_t dp = 1; dp <= 3; ++dp) in_use += w.engine.pool(dp)->in_use_count();
  CHECK(in_use == w.engine.registry().size());
  // Every correspondent's switch points at the peer's current MoA (checked end to end).
  for (const Vmn& v : w.engine.registry()) {
    if (!w.up[v.location.datapath_id]) continue;
    for (VmnId p : v.correspondents) {
      const Vmn& peer = w.engine.registry().at(p);
      if (!w.up[peer.location.datapath_id]) continue;
      int i = static_cast<int>(v.mac.to_u64() - 0x525400000000ull);
      int j = static_cast<int>(peer.mac.to_u64() - 0x525400000000ull);
      w.check_reaches(i, j);
    }
  }
}

}  // namespace

TEST_CASE("randomised detections, pairings, migrations and flaps keep the switches consistent") {
  std::size_t migrations = 0, links = 0, flaps = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    World w(three_sites(8));
    w.vm_ports = 8;
    w.all_up();
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
    const int kVmns = 8;
    for (int step = 0; step < 120; ++step) {
      w.advance(std::chrono::seconds(1 + pick(20)));
      int i = 1 + pick(kVmns);
      std::uint64_t dp = 1 + static_cast<std::uint64_t>(pick(3));
      // One VM port per VMN, the same number at every site: two guests never share a port.
      std::uint32_t port = 1 + static_cast<std::uint32_t>(i);
      bool known = w.engine.registry().find(vmn_mac(i)) != nullptr;
      switch (pick(10)) {
        case 0: case 1: case 2:
          if (!known && w.up[dp]) w.attach(i, dp, port);
          break;
        case 3: case 4: case 5: {
          int j = 1 + pick(kVmns);
          if (known && w.up[w.vmn(i).location.datapath_id]) w.ask(i, j);
          break;
        }
        case 6: case 7:
          if (known && w.up[dp]) {
            // Make-before-break: after the adds alone, the moved VMN and its correspondents
            // already reach each other; then the deletes.
            w.batch.clear();
            w.engine.on_arp(w.now, dp, port, pick(2) == 0 ? rarp(vmn_mac(i)) : gratuitous(vmn_mac(i), hoa(i)), w.batch);
            w.deliver_before_break();
            const Vmn& moved = w.vmn(i);
            for (VmnId p : moved.correspondents) {
              const Vmn& peer = w.engine.registry().at(p);
              if (!w.up[peer.location.datapath_id] || !w.up[moved.location.datapath_id]) continue;
              int j = static_cast<int>(peer.mac.to_u64() - 0x525400000000ull);
              w.check_reaches(i, j);
              w.check_reaches(j, i);
            }
            w.deliver_after_break();
          }
          break;
        case 8:
          if (pick(4) == 0) {
            if (w.up[dp]) w.switch_down(dp); else w.switch_up(dp, site_ports(8));
          }
          break;
        default:
          w.tick();
      }
      for (const Event& e : w.batch.events) {
        migrations += e.kind == Event::Kind::Migrated;
        links += e.kind == Event::Kind::CorrespondentsLinked;
        flaps += e.kind == Event::Kind::SwitchDown;
      }
      if (step % 10 == 9) {
        for (std::uint64_t d = 1; d <= 3; ++d)
          if (!w.up[d]) w.switch_up(d, site_ports(8));
        check_invariants(w);
      }
    }
    for (std::uint64_t d = 1; d <= 3; ++d)
      if (!w.up[d]) w.switch_up(d, site_ports(8));
    check_invariants(w);
  }
  // The run did exercise what it claims to.
  CHECK(migrations > 100);
  CHECK(links > 50);
  CHECK(flaps > 5);
}
