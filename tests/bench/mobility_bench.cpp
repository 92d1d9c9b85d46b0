// Mobility engine microbenchmarks (Google Benchmark). Run build/tests/bench/vmnmob_bench_mobility.
//
//  - Migration/N: engine time to handle one RARP for a VMN with N correspondents spread over
//    15 other switches (all messages produced: adds, barriers, deletes, announce).
//  - Registry and pool operations at 1e5 and 1e6 entries.
//  - MemoryPerVmn: live heap bytes per VMN (registry, pool, installed-flow bookkeeping) with
//    every switch connected and each VMN having two correspondents; reported as a counter.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <malloc.h>
#include <new>
#include <random>

#include "vmnmob/mobility/engine.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;

namespace {

/// Live heap bytes (usable sizes), kept by the replaced operator new/delete below.
std::atomic<std::size_t> g_live{0};
/// Counting costs a malloc_usable_size per allocation: only BM_MemoryPerVmn turns it on.
std::atomic<bool> g_counting{false};

constexpr std::uint64_t kSites = 16;
constexpr std::uint32_t kUplink = 1;

MacAddress vmn_mac(std::uint32_t i) { return MacAddress::from_u64(std::uint64_t{0x525400000000} + i); }
/// Home addresses from 10.0.0.0/8 (the benchmark needs more than a /24).
Ipv4Address hoa(std::uint32_t i) { return Ipv4Address{(10u << 24) + 2u + i}; }

MobilityConfig config(Duration hold) {
  MobilityConfig c;
  c.home_prefix = Ipv4Prefix{Ipv4Address{10u << 24}, 8};
  c.home_gateway = Ipv4Address{(10u << 24) + 1};
  c.hold_time = hold;
  // The benchmarks put many VMNs behind one port and migrate one VMN every millisecond: as
  // load, not as a deployment would; the limits and the move freeze would refuse them.
  c.max_vmns_per_port = 0;
  c.move_freeze.moves = 0;
  for (std::uint64_t dp = 1; dp <= kSites; ++dp) {
    SiteConfig s;
    s.datapath_id = dp;
    s.uplink_port = kUplink;
    s.gateway_ip = Ipv4Address{(172u << 24) + static_cast<std::uint32_t>(dp << 16) + 1};
    s.gateway_mac = MacAddress::from_u64(0x0a0000000000 + dp);
    s.pool_prefixes.push_back(Ipv4Prefix{Ipv4Address{(172u << 24) + static_cast<std::uint32_t>(dp << 16)}, 16});
    c.sites.push_back(s);
  }
  return c;
}

std::vector<ofp::Port> ports() {
  std::vector<ofp::Port> p(3);
  p[0].port_no = kUplink;
  p[0].name = "eth0";
  p[1].port_no = 2;
  p[1].name = "vnet0";
  p[2].port_no = 3;
  p[2].name = "vnet1";
  return p;
}

ArpFrame request(MacAddress m, Ipv4Address spa, Ipv4Address tpa) {
  return {MacAddress::broadcast(), m, kEtherTypeArp, arp_op::kRequest, m, spa, MacAddress::zero(), tpa};
}

/// VMN 0 on switch 1 with `peers` correspondents on switches 2..16.
void populate(MobilityEngine& e, TimePoint now, std::uint32_t peers, Batch& b) {
  for (std::uint64_t dp = 1; dp <= kSites; ++dp) e.on_switch_up(now, dp, ports(), b);
  e.on_arp(now, 1, 2, request(vmn_mac(0), hoa(0), Ipv4Address{(10u << 24) + 1}), b);
  for (std::uint32_t i = 1; i <= peers; ++i) {
    std::uint64_t dp = 2 + i % (kSites - 1);
    e.on_arp(now, dp, 2, request(vmn_mac(i), hoa(i), hoa(0)), b);  // detected, and asks for VMN 0
    b.clear();
  }
}

void BM_Migration(benchmark::State& state) {
  const auto peers = static_cast<std::uint32_t>(state.range(0));
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  MobilityEngine engine(config(Duration::zero()));
  Batch batch;
  populate(engine, now, peers, batch);
  ArpFrame announce{MacAddress::broadcast(), vmn_mac(0), kEtherTypeRarp, arp_op::kReverseRequest,
                    vmn_mac(0), Ipv4Address{}, vmn_mac(0), Ipv4Address{}};
  std::size_t messages = 0;
  bool on_first = true;
  for (auto _ : state) {
    batch.clear();
    now += std::chrono::milliseconds(1);
    // Alternate between switch 1 port 2 and switch 1 port 3 would keep the MoA; move between
    // two sites instead so every migration changes the MoA and touches every correspondent.
    engine.on_arp(now, on_first ? 2 : 1, 3, announce, batch);
    on_first = !on_first;
    messages = batch.messages.size();
    benchmark::DoNotOptimize(batch.messages.data());
  }
  state.counters["messages"] = static_cast<double>(messages);
}
BENCHMARK(BM_Migration)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_DetectionAndProxyArp(benchmark::State& state) {
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  MobilityEngine engine(config(Duration::zero()));
  Batch batch;
  populate(engine, now, 1, batch);
  batch.clear();
  ArpFrame ask = request(vmn_mac(1), hoa(1), hoa(0));  // an already-linked pair: answer only
  for (auto _ : state) {
    batch.clear();
    engine.on_arp(now, 3, 2, ask, batch);
    benchmark::DoNotOptimize(batch.messages.data());
  }
}
BENCHMARK(BM_DetectionAndProxyArp);

VmnRegistry make_registry(std::uint32_t n) {
  VmnRegistry r;
  r.reserve(n);
  TimePoint now{};
  for (std::uint32_t i = 0; i < n; ++i)
    r.add(vmn_mac(i), hoa(i), Ipv4Address{(100u << 24) + i}, {1 + i % kSites, 2}, now);
  return r;
}

void BM_RegistryAdd(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    VmnRegistry r = make_registry(n);
    benchmark::DoNotOptimize(r.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n);
}
BENCHMARK(BM_RegistryAdd)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_RegistryLookup(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  VmnRegistry r = make_registry(n);
  std::mt19937 rng(1);
  std::vector<std::uint32_t> keys(4096);
  for (auto& k : keys) k = static_cast<std::uint32_t>(rng() % n);
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint32_t k = keys[i++ & 4095];
    const Vmn* a = r.find(vmn_mac(k));
    const Vmn* b = r.find_by_home_address(hoa(k));
    const Vmn* c = r.find_by_mobile_address(Ipv4Address{(100u << 24) + k});
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(c);
  }
  state.SetLabel("MAC + HoA + MoA lookups per iteration");
}
BENCHMARK(BM_RegistryLookup)->Arg(100'000)->Arg(1'000'000);

void BM_PoolAllocateRelease(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  AddressPool pool({{Ipv4Address{100u << 24}, Ipv4Address{(100u << 24) + n - 1}}}, std::chrono::seconds(10));
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  std::vector<Ipv4Address> used;
  used.reserve(n);
  for (std::uint32_t i = 0; i < n / 2; ++i) used.push_back(*pool.allocate(now));
  std::size_t victim = 0;
  for (auto _ : state) {
    // One migration's worth of pool work: a release into the hold queue and an allocation
    // (time advances so the hold queue drains at the rate it fills).
    now += std::chrono::milliseconds(1);
    (void)pool.release(used[victim], now);
    used[victim] = *pool.allocate(now);
    victim = (victim + 7919) % used.size();
  }
}
BENCHMARK(BM_PoolAllocateRelease)->Arg(100'000)->Arg(1'000'000);

void BM_MemoryPerVmn(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  double per_vmn = 0;
  // Freeing a block allocated before counting started would underflow: count from an empty
  // engine on, and stop before it is destroyed.
  for (auto _ : state) {
    TimePoint now = TimePoint{} + std::chrono::hours(1);
    {
      MobilityEngine engine(config(std::chrono::seconds(60)));
      Batch batch;
      for (std::uint64_t dp = 1; dp <= kSites; ++dp) engine.on_switch_up(now, dp, ports(), batch);
      batch.clear();
      g_live = 0;
      g_counting = true;
      for (std::uint32_t i = 0; i < n; ++i) {
        batch.clear();
        engine.on_arp(now, 1 + i % kSites, 2, request(vmn_mac(i), hoa(i), Ipv4Address{(10u << 24) + 1}), batch);
      }
      for (std::uint32_t i = 0; i < n; ++i) {  // each VMN asks for the next two: 2 correspondents each
        for (std::uint32_t d : {1u, 2u}) {
          batch.clear();
          engine.on_arp(now, 1 + i % kSites, 2, request(vmn_mac(i), hoa(i), hoa((i + d) % n)), batch);
        }
      }
      batch = Batch{};
      g_counting = false;
      per_vmn = static_cast<double>(g_live.load()) / n;
      benchmark::DoNotOptimize(engine.registry().size());
    }
  }
  state.counters["heap_bytes_per_vmn"] = per_vmn;
}
BENCHMARK(BM_MemoryPerVmn)->Arg(100'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

// Counting allocator for BM_MemoryPerVmn (this executable only). GCC cannot see that these
// replacements pair malloc with free by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  if (g_counting.load(std::memory_order_relaxed)) g_live.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}
void operator delete(void* p) noexcept {
  if (p != nullptr && g_counting.load(std::memory_order_relaxed))
    g_live.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
#pragma GCC diagnostic pop

BENCHMARK_MAIN();
