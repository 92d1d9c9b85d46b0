#include "vmnmob/mobility/address_pool.hpp"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "mobility/detail/json_check.hpp"

namespace vmnmob::mobility {

std::string_view to_string(PoolError e) {
  switch (e) {
    case PoolError::Exhausted: return "pool exhausted";
    case PoolError::OutsidePool: return "address outside the pool";
    case PoolError::InUse: return "address in use";
    case PoolError::Held: return "address in its hold time";
    case PoolError::NotAllocated: return "address not allocated";
  }
  return "unknown pool error";
}

AddressPool::AddressPool(std::vector<AddressRange> ranges, Duration hold_time) : hold_time_(hold_time) {
  std::erase_if(ranges, [](const AddressRange& r) { return r.first > r.last; });
  std::sort(ranges.begin(), ranges.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.first < b.first; });
  for (const AddressRange& r : ranges) {
    if (!ranges_.empty() &&
        std::uint64_t{r.first.value} <= std::uint64_t{ranges_.back().last.value} + 1) {
      ranges_.back().last = std::max(ranges_.back().last, r.last);
    } else {
      ranges_.push_back(r);
    }
  }
  std::uint64_t capacity = 0;
  for (const AddressRange& r : ranges_) {
    range_base_.push_back(capacity);
    capacity += std::uint64_t{r.last.value} - r.first.value + 1;
  }
  state_.assign(static_cast<std::size_t>(capacity), State::Fresh);
  if (!ranges_.empty()) cursor_value_ = ranges_.front().first.value;
}

std::vector<AddressRange> AddressPool::site_ranges(const SiteConfig& site) {
  std::vector<AddressRange> ranges = site.pool_ranges;
  for (const Ipv4Prefix& p : site.pool_prefixes) {
    std::uint32_t network = p.network.value & p.mask();
    std::uint32_t broadcast = network | ~p.mask();
    // /31 and /32 have no network or broadcast address to skip (RFC 3021).
    if (p.length >= 31)
      ranges.push_back({{network}, {broadcast}});
    else
      ranges.push_back({{network + 1}, {broadcast - 1}});
  }
  return ranges;
}

AddressPool AddressPool::for_site(const SiteConfig& site, Duration hold_time) {
  return AddressPool(site_ranges(site), hold_time);
}

std::optional<Ipv4Address> AddressPool::first_outside(std::span<const AddressRange> ranges) const {
  // Both lists are sorted and disjoint: one merge walk. An old range must lie inside a single
  // new one, else the first of its addresses not covered is lost.
  std::size_t j = 0;
  for (const AddressRange& r : ranges_) {
    std::uint64_t next = r.first.value;  // the lowest address of r not yet known to be covered
    while (next <= r.last.value) {
      while (j < ranges.size() && ranges[j].last.value < next) ++j;
      if (j == ranges.size() || ranges[j].first.value > next) return Ipv4Address{static_cast<std::uint32_t>(next)};
      next = std::uint64_t{ranges[j].last.value} + 1;
    }
  }
  return std::nullopt;
}

Expected<std::uint64_t, Ipv4Address> AddressPool::grow(std::vector<AddressRange> ranges) {
  AddressPool grown(std::move(ranges), hold_time_);  // sorted and merged
  if (auto lost = first_outside(grown.ranges_)) return unexpected(*lost);
  // The cursor as an absolute position: every address of the pool below it has been handed out
  // at least once (in use, held or free); those at or above it are fresh or reserved ahead.
  std::uint64_t cursor = 0;
  if (cursor_range_ < ranges_.size())
    cursor = cursor_value_;
  else if (!ranges_.empty())
    cursor = std::uint64_t{ranges_.back().last.value} + 1;
  std::size_t old = 0;
  for (std::size_t i = 0; i < grown.ranges_.size(); ++i) {
    const AddressRange& r = grown.ranges_[i];
    std::uint64_t a = r.first.value;
    while (a <= r.last.value) {
      while (old < ranges_.size() && ranges_[old].last.value < a) ++old;
      const auto to = static_cast<std::size_t>(grown.range_base_[i] + (a - r.first.value));
      if (old < ranges_.size() && ranges_[old].first.value <= a) {
        // An old range lies wholly inside r (checked above): copy its states as they are.
        const auto from = static_cast<std::ptrdiff_t>(range_base_[old] + (a - ranges_[old].first.value));
        const auto count = static_cast<std::ptrdiff_t>(std::uint64_t{ranges_[old].last.value} - a + 1);
        std::copy(state_.begin() + from, state_.begin() + from + count,
                  grown.state_.begin() + static_cast<std::ptrdiff_t>(to));
        a = std::uint64_t{ranges_[old].last.value} + 1;
        continue;
      }
      const std::uint64_t end =
          old < ranges_.size() && ranges_[old].first.value <= r.last.value ? ranges_[old].first.value - 1 : r.last.value;
      for (std::uint64_t b = a; b <= end; ++b) {
        if (b >= cursor) break;  // the rest of this stretch stays fresh
        grown.state_[static_cast<std::size_t>(to + (b - a))] = State::Free;
        free_.push_back(static_cast<std::uint32_t>(b));
      }
      a = end + 1;
    }
  }
  const std::uint64_t added = grown.capacity() - capacity();
  // The cursor goes to the first range that still has addresses at or above it.
  grown.cursor_range_ = grown.ranges_.size();
  for (std::size_t i = 0; i < grown.ranges_.size(); ++i) {
    if (grown.ranges_[i].last.value < cursor) continue;
    grown.cursor_range_ = i;
    grown.cursor_value_ = std::max<std::uint64_t>(cursor, grown.ranges_[i].first.value);
    break;
  }
  grown.in_use_count_ = in_use_count_;
  grown.held_ = std::move(held_);
  grown.free_ = std::move(free_);
  *this = std::move(grown);
  return added;
}

std::size_t AddressPool::slot(Ipv4Address address) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](Ipv4Address a, const AddressRange& r) { return a < r.first; });
  if (it == ranges_.begin()) return kNoSlot;
  --it;
  if (address > it->last) return kNoSlot;
  auto i = static_cast<std::size_t>(it - ranges_.begin());
  return static_cast<std::size_t>(range_base_[i] + (address.value - it->first.value));
}

bool AddressPool::next_fresh(std::uint32_t& out) {
  while (cursor_range_ < ranges_.size()) {
    const AddressRange& r = ranges_[cursor_range_];
    if (cursor_value_ > r.last.value) {
      if (++cursor_range_ < ranges_.size()) cursor_value_ = ranges_[cursor_range_].first.value;
      continue;
    }
    auto candidate = static_cast<std::uint32_t>(cursor_value_);
    auto index = static_cast<std::size_t>(range_base_[cursor_range_] + (cursor_value_ - r.first.value));
    ++cursor_value_;
    if (state_[index] != State::Fresh) continue;  // reserved ahead of the cursor
    out = candidate;
    return true;
  }
  return false;
}

void AddressPool::expire(TimePoint now) {
  while (!held_.empty() && held_.front().until <= now) {
    state_[slot(Ipv4Address{held_.front().address})] = State::Free;
    free_.push_back(held_.front().address);
    held_.pop_front();
  }
}

Expected<Ipv4Address, PoolError> AddressPool::allocate(TimePoint now) {
  expire(now);
  if (available() == 0) return unexpected(PoolError::Exhausted);
  std::uint32_t a = 0;
  if (!next_fresh(a)) {
    // Every address neither in use nor held is behind the cursor, hence in the free list.
    for (;;) {
      if (free_.empty()) return unexpected(PoolError::Exhausted);  // unreachable by the count
      a = free_.front();
      free_.pop_front();
      if (state_of(Ipv4Address{a}) == State::Free) break;
    }
  }
  state_[slot(Ipv4Address{a})] = State::InUse;
  ++in_use_count_;
  return Ipv4Address{a};
}

Expected<void, PoolError> AddressPool::reserve(Ipv4Address address, TimePoint now) {
  expire(now);
  std::size_t i = slot(address);
  if (i == kNoSlot) return unexpected(PoolError::OutsidePool);
  if (state_[i] == State::InUse) return unexpected(PoolError::InUse);
  if (state_[i] == State::Held) return unexpected(PoolError::Held);
  state_[i] = State::InUse;  // a stale free-list entry is skipped when it comes up
  ++in_use_count_;
  return {};
}

Expected<void, PoolError> AddressPool::release(Ipv4Address address, TimePoint now) {
  std::size_t i = slot(address);
  if (i == kNoSlot) return unexpected(PoolError::OutsidePool);
  if (state_[i] != State::InUse) return unexpected(PoolError::NotAllocated);
  state_[i] = State::Held;
  --in_use_count_;
  held_.push_back({address.value, now + hold_time_});
  expire(now);  // a zero hold time frees at once
  return {};
}

nlohmann::json AddressPool::to_json(TimePoint now) const {
  using nlohmann::json;
  json ranges = json::array();
  json in_use = json::array();
  for (std::size_t r = 0; r < ranges_.size(); ++r) {
    ranges.push_back({ranges_[r].first.to_string(), ranges_[r].last.to_string()});
    const std::uint64_t size = std::uint64_t{ranges_[r].last.value} - ranges_[r].first.value + 1;
    for (std::uint64_t k = 0; k < size; ++k)
      if (state_[static_cast<std::size_t>(range_base_[r] + k)] == State::InUse)
        in_use.push_back(Ipv4Address{static_cast<std::uint32_t>(ranges_[r].first.value + k)}.to_string());
  }
  json held = json::array();
  for (const HeldAddress& h : held_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(h.until - now).count();
    held.push_back({{"address", Ipv4Address{h.address}.to_string()}, {"remaining_ms", std::max<std::int64_t>(left, 0)}});
  }
  // The free list in order, each address once (later copies are stale entries).
  json free = json::array();
  std::vector<bool> listed(state_.size(), false);
  for (std::uint32_t a : free_) {
    std::size_t i = slot(Ipv4Address{a});
    if (state_[i] != State::Free || listed[i]) continue;
    listed[i] = true;
    free.push_back(Ipv4Address{a}.to_string());
  }
  json cursor = nullptr;
  if (cursor_range_ < ranges_.size() && cursor_value_ <= ranges_[cursor_range_].last.value)
    cursor = Ipv4Address{static_cast<std::uint32_t>(cursor_value_)}.to_string();
  return {{"ranges", ranges}, {"in_use", in_use}, {"held", held}, {"free", free}, {"next_fresh", cursor}};
}

Expected<AddressPool, std::string> AddressPool::from_json(const nlohmann::json& j, Duration hold_time,
                                                           TimePoint now, std::string_view path) {
  using detail::JsonCheck;
  using nlohmann::json;
  JsonCheck c;
  const std::string root(path);
  if (!c.is_object(j, root)) return unexpected(c.message());
  // Each of these lists must be there, as an array (an empty one when there is nothing).
  auto list = [&](std::string_view key) -> const json* {
    const json* found = c.required(j, root, key);
    return found != nullptr && c.is_array(*found, JsonCheck::member(root, key)) ? found : nullptr;
  };
  const json* ranges_json = list("ranges");
  const json* in_use = list("in_use");
  const json* held = list("held");
  const json* free = list("free");
  if (!c.ok()) return unexpected(c.message());

  auto address = [&c](const json& a, const std::string& at) { return c.parsed(a, at, Ipv4Address::parse, "an IPv4 address"); };
  std::vector<AddressRange> ranges;
  for (std::size_t i = 0; i < ranges_json->size(); ++i) {
    const json& r = (*ranges_json)[i];
    const std::string at = JsonCheck::element(JsonCheck::member(root, "ranges"), i);
    if (!r.is_array() || r.size() != 2) {
      c.error(at, "not a [first, last] pair");
      continue;
    }
    auto first = address(r[0], JsonCheck::element(at, 0));
    auto last = address(r[1], JsonCheck::element(at, 1));
    if (first && last) ranges.push_back({*first, *last});
  }
  if (!c.ok()) return unexpected(c.message());

  AddressPool pool(std::move(ranges), hold_time);
  // Every listed address is inside the pool and listed once, in one state.
  auto place = [&](const json& a, const std::string& at, State state, std::string_view clash) {
    auto parsed = address(a, at);
    if (!parsed) return parsed;
    const std::size_t slot = pool.slot(*parsed);
    if (slot == kNoSlot || pool.state_[slot] != State::Fresh) {
      c.error(at, clash);
      return std::optional<Ipv4Address>{};
    }
    pool.state_[slot] = state;
    return parsed;
  };
  for (std::size_t i = 0; i < in_use->size(); ++i) {
    const std::string at = JsonCheck::element(JsonCheck::member(root, "in_use"), i);
    if (place((*in_use)[i], at, State::InUse, "outside the pool or repeated")) ++pool.in_use_count_;
  }
  for (std::size_t i = 0; i < held->size(); ++i) {
    const json& h = (*held)[i];
    const std::string at = JsonCheck::element(JsonCheck::member(root, "held"), i);
    if (!c.is_object(h, at)) continue;
    auto remaining_ms = c.integer<std::int64_t>(h, at, "remaining_ms");
    const json* a = c.required(h, at, "address");
    if (a == nullptr || !remaining_ms) continue;
    if (auto held_address = place(*a, JsonCheck::member(at, "address"), State::Held, "outside the pool, in use or repeated"))
      pool.held_.push_back({held_address->value, now + std::chrono::milliseconds(*remaining_ms)});
  }
  for (std::size_t i = 0; i < free->size(); ++i) {
    const std::string at = JsonCheck::element(JsonCheck::member(root, "free"), i);
    if (auto free_address = place((*free)[i], at, State::Free, "outside the pool, in use, held or repeated"))
      pool.free_.push_back(free_address->value);
  }
  pool.cursor_range_ = pool.ranges_.size();  // no fresh address left, unless next_fresh says
  if (const json* next = JsonCheck::optional(j, "next_fresh"); next != nullptr && !next->is_null()) {
    const std::string at = JsonCheck::member(root, "next_fresh");
    if (auto a = address(*next, at)) {
      auto it = std::find_if(pool.ranges_.begin(), pool.ranges_.end(),
                             [&](const AddressRange& r) { return r.first <= *a && *a <= r.last; });
      if (it == pool.ranges_.end()) {
        c.error(at, "outside the pool");
      } else {
        pool.cursor_range_ = static_cast<std::size_t>(it - pool.ranges_.begin());
        pool.cursor_value_ = a->value;
      }
    }
  }
  if (!c.ok()) return unexpected(c.message());
  return pool;
}

}  // namespace vmnmob::mobility
