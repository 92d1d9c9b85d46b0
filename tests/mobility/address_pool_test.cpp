#include <catch2/catch.hpp>

#include <limits>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "vmnmob/mobility/address_pool.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;

namespace {
Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
const TimePoint t0 = TimePoint{} + std::chrono::hours(1);
}  // namespace

TEST_CASE("pool: ranges and prefixes, fresh addresses in order, exhaustion is an error") {
  SiteConfig site;
  site.pool_ranges = {{ip("192.0.2.20"), ip("192.0.2.21")}, {ip("192.0.2.22"), ip("192.0.2.22")}};
  site.pool_prefixes = {*Ipv4Prefix::parse("198.51.100.0/30")};
  AddressPool pool = AddressPool::for_site(site, std::chrono::seconds(5));
  CHECK(pool.capacity() == 5);  // .20-.22 merged, plus .1 and .2 of the /30
  CHECK(pool.ranges().size() == 2);
  CHECK(!pool.contains(ip("198.51.100.0")));
  CHECK(!pool.contains(ip("198.51.100.3")));
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(pool.allocate(t0)->to_string());
  CHECK(got == std::vector<std::string>{"192.0.2.20", "192.0.2.21", "192.0.2.22", "198.51.100.1", "198.51.100.2"});
  auto none = pool.allocate(t0);
  REQUIRE(!none.has_value());
  CHECK(none.error() == PoolError::Exhausted);
  CHECK(pool.available() == 0);
}

TEST_CASE("pool: release holds, expiry frees in release order, reserve respects every state") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.3")}}, std::chrono::seconds(10));
  auto a = *pool.allocate(t0);
  auto b = *pool.allocate(t0);
  CHECK(pool.reserve(ip("10.1.0.3"), t0).has_value());
  CHECK(pool.reserve(ip("10.1.0.3"), t0).error() == PoolError::InUse);
  CHECK(pool.reserve(ip("10.2.0.3"), t0).error() == PoolError::OutsidePool);
  CHECK(pool.release(ip("10.2.0.3"), t0).error() == PoolError::OutsidePool);
  REQUIRE(pool.release(b, t0).has_value());
  REQUIRE(pool.release(a, t0 + std::chrono::seconds(1)).has_value());
  CHECK(pool.release(a, t0).error() == PoolError::NotAllocated);
  CHECK(pool.held(a));
  CHECK(pool.reserve(a, t0).error() == PoolError::Held);
  CHECK(pool.allocate(t0 + std::chrono::seconds(9)).error() == PoolError::Exhausted);
  auto first = pool.allocate(t0 + std::chrono::seconds(10));
  REQUIRE(first.has_value());
  CHECK(*first == b);  // released first, free first
  CHECK(pool.allocate(t0 + std::chrono::seconds(10)).error() == PoolError::Exhausted);  // a: 1 s left
  CHECK(*pool.allocate(t0 + std::chrono::seconds(11)) == a);
}

TEST_CASE("pool: an address reserved ahead of the cursor is skipped, never handed out twice") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.4")}}, std::chrono::seconds(0));
  REQUIRE(pool.reserve(ip("10.1.0.2"), t0).has_value());
  std::set<std::uint32_t> seen{ip("10.1.0.2").value};
  for (int i = 0; i < 3; ++i) CHECK(seen.insert(pool.allocate(t0)->value).second);
  CHECK(!pool.allocate(t0).has_value());
  // Zero hold time: free at once; churn never duplicates.
  for (int round = 0; round < 50; ++round) {
    Ipv4Address x{ip("10.1.0.1").value + static_cast<std::uint32_t>(round % 4)};
    REQUIRE(pool.release(x, t0).has_value());
    auto y = pool.allocate(t0);
    REQUIRE(y.has_value());
    CHECK(*y == x);
  }
  CHECK(pool.in_use_count() == 4);
}

TEST_CASE("pool: JSON round trip keeps every state, the remaining hold and the allocation order") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.8")}}, std::chrono::seconds(10));
  for (int i = 0; i < 4; ++i) (void)pool.allocate(t0);
  REQUIRE(pool.release(ip("10.1.0.2"), t0).has_value());
  REQUIRE(pool.release(ip("10.1.0.3"), t0 + std::chrono::seconds(4)).has_value());
  const TimePoint now = t0 + std::chrono::seconds(5);
  nlohmann::json j = pool.to_json(now);
  CHECK(j["held"][0]["remaining_ms"] == 5000);
  const TimePoint later = TimePoint{} + std::chrono::hours(7);  // another process, another clock
  auto copy = AddressPool::from_json(j, std::chrono::seconds(10), later);
  REQUIRE(copy.has_value());
  CHECK(copy->to_json(later) == j);
  for (int i = 0; i < 6; ++i) {
    auto x = pool.allocate(now + std::chrono::seconds(i * 2));
    auto y = copy->allocate(later + std::chrono::seconds(i * 2));
    REQUIRE(x.has_value() == y.has_value());
    if (x) CHECK(*x == *y);
  }
  nlohmann::json bad = j;
  bad["in_use"].push_back("10.9.9.9");
  auto err = AddressPool::from_json(bad, std::chrono::seconds(10), later);
  REQUIRE(!err.has_value());
  CHECK(err.error().find("pool.in_use[") != std::string::npos);
}

TEST_CASE("pool: a million addresses, allocate and release stay cheap and unique") {
  AddressPool pool({{ip("10.0.0.0"), Ipv4Address{ip("10.0.0.0").value + 999'999}}}, std::chrono::seconds(1));
  CHECK(pool.capacity() == 1'000'000);
  std::vector<Ipv4Address> taken;
  taken.reserve(1'000'000);
  for (int i = 0; i < 1'000'000; ++i) taken.push_back(*pool.allocate(t0));
  CHECK(!pool.allocate(t0).has_value());
  for (std::size_t i = 0; i < taken.size(); i += 2) REQUIRE(pool.release(taken[i], t0).has_value());
  CHECK(pool.held_count() == 500'000);
  CHECK(*pool.allocate(t0 + std::chrono::seconds(1)) == taken[0]);
  CHECK(pool.available() == 499'999);
}

TEST_CASE("pool growth: a new range after the old ones is handed out fresh, in order, after them") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.4")}}, std::chrono::seconds(10));
  const auto a = *pool.allocate(t0);
  const auto b = *pool.allocate(t0);
  REQUIRE(pool.release(a, t0).has_value());
  auto added = pool.grow({{ip("10.1.0.1"), ip("10.1.0.4")}, {ip("10.1.0.10"), ip("10.1.0.11")}});
  REQUIRE(added.has_value());
  CHECK(*added == 2);
  CHECK(pool.capacity() == 6);
  CHECK(pool.in_use(b));
  CHECK(pool.held(a));  // its hold time goes on
  CHECK(pool.in_use_count() == 1);
  CHECK(pool.held_count() == 1);
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(pool.allocate(t0)->to_string());
  CHECK(got == std::vector<std::string>{"10.1.0.3", "10.1.0.4", "10.1.0.10", "10.1.0.11"});
  CHECK(pool.allocate(t0).error() == PoolError::Exhausted);
  CHECK(*pool.allocate(t0 + std::chrono::seconds(10)) == a);
}

TEST_CASE("pool growth: an extended range continues where an exhausted pool stopped") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.2")}}, std::chrono::seconds(0));
  (void)pool.allocate(t0);
  (void)pool.allocate(t0);
  REQUIRE(!pool.allocate(t0).has_value());
  REQUIRE(pool.grow({{ip("10.1.0.1"), ip("10.1.0.3")}}).value() == 1);
  CHECK(pool.ranges().size() == 1);  // merged: one range .1-.3
  CHECK(*pool.allocate(t0) == ip("10.1.0.3"));
  CHECK(!pool.allocate(t0).has_value());
}

TEST_CASE("pool growth: addresses added behind the cursor join the free list after the free ones") {
  AddressPool pool({{ip("10.1.0.10"), ip("10.1.0.12")}}, std::chrono::seconds(0));
  const auto first = *pool.allocate(t0);  // .10; .11 and .12 stay fresh
  REQUIRE(pool.release(first, t0).has_value());  // free at once
  REQUIRE(pool.grow({{ip("10.1.0.1"), ip("10.1.0.2")}, {ip("10.1.0.10"), ip("10.1.0.12")}}).value() == 2);
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(pool.allocate(t0)->to_string());
  // Fresh first (.11, .12), then the free list in order: .10 (released before), then .1, .2.
  CHECK(got == std::vector<std::string>{"10.1.0.11", "10.1.0.12", "10.1.0.10", "10.1.0.1", "10.1.0.2"});
}

TEST_CASE("pool growth: a change that loses an address is refused and changes nothing") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.4")}, {ip("10.1.0.8"), ip("10.1.0.9")}}, std::chrono::seconds(10));
  (void)pool.allocate(t0);
  const nlohmann::json before = pool.to_json(t0);
  auto shrunk = pool.grow({{ip("10.1.0.1"), ip("10.1.0.3")}, {ip("10.1.0.8"), ip("10.1.0.20")}});
  REQUIRE(!shrunk.has_value());
  CHECK(shrunk.error() == ip("10.1.0.4"));
  auto gone = pool.grow({{ip("10.1.0.1"), ip("10.1.0.4")}, {ip("10.1.0.9"), ip("10.1.0.20")}});
  REQUIRE(!gone.has_value());
  CHECK(gone.error() == ip("10.1.0.8"));
  CHECK(pool.grow({}).error() == ip("10.1.0.1"));
  CHECK(pool.to_json(t0) == before);
  // Ranges that cover the pool by pieces (adjacent ranges merge) are fine.
  CHECK(pool.grow({{ip("10.1.0.1"), ip("10.1.0.2")}, {ip("10.1.0.3"), ip("10.1.0.9")}}).value() == 3);
  CHECK(!pool.first_outside(pool.ranges()).has_value());
}

TEST_CASE("pool growth: a grown pool survives a JSON round trip and never hands out an address twice") {
  std::mt19937 rng(7);
  AddressPool pool({{ip("10.2.0.50"), ip("10.2.0.59")}}, std::chrono::seconds(3));
  std::set<std::uint32_t> taken;  // in use or held: must never come out of allocate
  std::vector<std::uint32_t> in_use;
  std::map<std::uint32_t, TimePoint> held_until;
  TimePoint now = t0;
  std::vector<AddressRange> ranges = pool.ranges();
  for (int step = 0; step < 3000; ++step) {
    now += std::chrono::milliseconds(100);
    for (auto it = held_until.begin(); it != held_until.end();)
      it = it->second <= now ? (taken.erase(it->first), held_until.erase(it)) : std::next(it);
    const auto op = rng() % 10;
    if (op < 5) {
      auto a = pool.allocate(now);
      if (!a) continue;
      REQUIRE(taken.insert(a->value).second);
      in_use.push_back(a->value);
    } else if (op < 8 && !in_use.empty()) {
      std::size_t k = rng() % in_use.size();
      REQUIRE(pool.release(Ipv4Address{in_use[k]}, now).has_value());
      held_until[in_use[k]] = now + std::chrono::seconds(3);
      in_use[k] = in_use.back();
      in_use.pop_back();
    } else if (op == 8 && ranges.size() < 12) {
      // A new range somewhere below or above, or the last one extended.
      const std::uint32_t base = ip("10.2.0.0").value + 256u * static_cast<std::uint32_t>(rng() % 16);
      if (rng() % 2 == 0)
        ranges.back().last = Ipv4Address{ranges.back().last.value + 3};
      else
        ranges.push_back({Ipv4Address{base + 200}, Ipv4Address{base + 203}});
      const std::uint64_t capacity = pool.capacity();
      REQUIRE(pool.grow(ranges).has_value());
      CHECK(pool.capacity() >= capacity);
      ranges = pool.ranges();
    } else {
      auto copy = AddressPool::from_json(pool.to_json(now), std::chrono::seconds(3), now);
      REQUIRE(copy.has_value());
      pool = std::move(*copy);
    }
    REQUIRE(pool.in_use_count() == in_use.size());
  }
}

TEST_CASE("pool: 3.2 billion addresses cost what ten do; allocation order, hold and JSON as in a small pool") {
  // issue 17: a pool of 3.2 billion addresses passed the configuration check and aborted the
  // controller with std::bad_alloc (one state byte per address). Now memory follows the
  // addresses handed out: this test allocates a few thousand of 3.2 billion.
  const Ipv4Address first = ip("16.0.0.0");
  const Ipv4Address last{first.value + 3'199'999'999u};  // 206.188.31.255
  AddressPool pool({{first, last}}, std::chrono::seconds(10));
  CHECK(pool.capacity() == 3'200'000'000u);
  std::vector<Ipv4Address> taken;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    auto a = pool.allocate(t0);
    REQUIRE(a.has_value());
    CHECK(a->value == first.value + i);  // fresh, in address order
    taken.push_back(*a);
  }
  CHECK(pool.reserve(last, t0).has_value());  // far ahead of the cursor
  CHECK(pool.reserve(last, t0).error() == PoolError::InUse);
  for (std::size_t i = 0; i < taken.size(); i += 2) REQUIRE(pool.release(taken[i], t0).has_value());
  CHECK(pool.in_use_count() == 1001);
  CHECK(pool.held_count() == 1000);
  CHECK(pool.available() == 3'200'000'000u - 2001);
  // Fresh addresses first, even after the hold time: the released ones wait.
  CHECK(*pool.allocate(t0 + std::chrono::seconds(10)) == Ipv4Address{first.value + 2000});

  // A growth by a /8 below the cursor: 16.7 million free addresses, one entry.
  REQUIRE(pool.grow({{ip("8.0.0.0"), ip("8.255.255.255")}, {first, last}}).value() == 16'777'216u);
  CHECK(pool.capacity() == 3'216'777'216u);
  const nlohmann::json j = pool.to_json(t0 + std::chrono::seconds(10));
  CHECK(j.dump().size() < 100'000);  // the JSON, too, follows what was handed out
  CHECK(j["in_use"].size() == 1002);
  CHECK(j["free"].size() == 1001);  // the 1000 released ones, then the stretch
  CHECK(j["free"].back() == "8.0.0.0-8.255.255.255");
  auto copy = AddressPool::from_json(j, std::chrono::seconds(10), t0 + std::chrono::seconds(10));
  REQUIRE(copy.has_value());
  CHECK(copy->to_json(t0 + std::chrono::seconds(10)) == j);
  CHECK(copy->capacity() == pool.capacity());
  CHECK(copy->in_use(last));
  CHECK(*copy->allocate(t0 + std::chrono::seconds(10)) == Ipv4Address{first.value + 2001});
}

TEST_CASE("pool: a stretch added behind the cursor is handed out after the free ones, skipping reserved addresses") {
  AddressPool pool({{ip("10.1.0.10"), ip("10.1.0.11")}}, std::chrono::seconds(0));
  const auto a = *pool.allocate(t0);
  (void)*pool.allocate(t0);
  REQUIRE(pool.release(a, t0).has_value());  // free at once
  REQUIRE(pool.grow({{ip("10.1.0.1"), ip("10.1.0.4")}, {ip("10.1.0.10"), ip("10.1.0.11")}}).value() == 4);
  REQUIRE(pool.reserve(ip("10.1.0.2"), t0).has_value());  // inside the stretch
  nlohmann::json j = pool.to_json(t0);
  CHECK(j["free"] == nlohmann::json{"10.1.0.10", "10.1.0.1", "10.1.0.3-10.1.0.4"});
  auto copy = AddressPool::from_json(j, std::chrono::seconds(0), t0);
  REQUIRE(copy.has_value());
  for (AddressPool* p : {&pool, &*copy}) {
    std::vector<std::string> got;
    for (int i = 0; i < 4; ++i) got.push_back(p->allocate(t0)->to_string());
    CHECK(got == std::vector<std::string>{"10.1.0.10", "10.1.0.1", "10.1.0.3", "10.1.0.4"});
    CHECK(p->allocate(t0).error() == PoolError::Exhausted);
  }
  // A free range that is not inside one range of the pool, or overlaps what is listed, is refused.
  j["free"].push_back("10.1.0.4-10.1.0.10");
  auto bad = AddressPool::from_json(j, std::chrono::seconds(0), t0);
  REQUIRE(!bad.has_value());
  CHECK(bad.error() == "pool.free[3]: not inside one range of the pool");
}

TEST_CASE("pool JSON: a remaining hold out of range is refused, never overflowing the clock") {
  AddressPool pool({{ip("10.1.0.1"), ip("10.1.0.4")}}, std::chrono::seconds(10));
  REQUIRE(pool.release(*pool.allocate(t0), t0).has_value());
  for (const nlohmann::json& remaining : {nlohmann::json(100'000'000'000'000'000), nlohmann::json(-(std::int64_t{1} << 62)),
                                          nlohmann::json(std::numeric_limits<std::int64_t>::max()), nlohmann::json(1e17),
                                          nlohmann::json(std::numeric_limits<std::uint64_t>::max())}) {
    nlohmann::json j = pool.to_json(t0);
    j["held"][0]["remaining_ms"] = remaining;
    auto bad = AddressPool::from_json(j, std::chrono::seconds(10), t0);
    INFO(remaining.dump());
    REQUIRE(!bad.has_value());
    CHECK(bad.error().starts_with("pool.held[0].remaining_ms: not a whole number from 0 to "));
  }
}
