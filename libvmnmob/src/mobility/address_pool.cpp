#include "vmnmob/mobility/address_pool.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
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
  for (const AddressRange& r : ranges_) capacity_ += std::uint64_t{r.last.value} - r.first.value + 1;
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

std::uint64_t AddressPool::cursor_position() const {
  if (cursor_range_ < ranges_.size()) return cursor_value_;
  return ranges_.empty() ? 0 : std::uint64_t{ranges_.back().last.value} + 1;
}

Expected<std::uint64_t, Ipv4Address> AddressPool::grow(std::vector<AddressRange> ranges) {
  AddressPool grown(std::move(ranges), hold_time_);  // sorted and merged
  if (auto lost = first_outside(grown.ranges_)) return unexpected(*lost);
  const std::uint64_t cursor = cursor_position();
  // The new addresses are the grown ranges minus the old ones (each old range lies inside one
  // grown range). Those behind the cursor join the free list as stretches, in address order;
  // those at or above it are fresh, like the old ones there.
  std::size_t old = 0;
  for (const AddressRange& r : grown.ranges_) {
    std::uint64_t a = r.first.value;
    while (a <= r.last.value) {
      while (old < ranges_.size() && ranges_[old].last.value < a) ++old;
      if (old < ranges_.size() && ranges_[old].first.value <= a) {
        a = std::uint64_t{ranges_[old].last.value} + 1;
        continue;
      }
      const std::uint64_t end =
          old < ranges_.size() && ranges_[old].first.value <= r.last.value ? ranges_[old].first.value - 1 : r.last.value;
      const std::uint64_t behind = std::min(end, cursor == 0 ? 0 : cursor - 1);
      if (cursor > a && a <= behind)
        free_.push_back({static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(behind)});
      a = end + 1;
    }
  }
  const std::uint64_t added = grown.capacity_ - capacity_;
  // The cursor goes to the first range that still has addresses at or above it.
  grown.cursor_range_ = grown.ranges_.size();
  for (std::size_t i = 0; i < grown.ranges_.size(); ++i) {
    if (grown.ranges_[i].last.value < cursor) continue;
    grown.cursor_range_ = i;
    grown.cursor_value_ = std::max<std::uint64_t>(cursor, grown.ranges_[i].first.value);
    break;
  }
  grown.state_ = std::move(state_);
  grown.in_use_count_ = in_use_count_;
  grown.held_ = std::move(held_);
  grown.free_ = std::move(free_);
  *this = std::move(grown);
  return added;
}

std::size_t AddressPool::AddressStates::index(std::uint32_t address) const {
  // Fibonacci hashing: consecutive addresses (how pools hand them out) spread over the table.
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>((std::uint64_t{address} * 0x9E3779B97F4A7C15ull) >> 32) & mask;
  while (slots_[i].state != State::Fresh && slots_[i].address != address) i = (i + 1) & mask;
  return i;
}

void AddressPool::AddressStates::rehash(std::size_t slots) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots));
  for (const Slot& s : old)
    if (s.state != State::Fresh) slots_[index(s.address)] = s;
}

AddressPool::State AddressPool::AddressStates::get(std::uint32_t address) const {
  return slots_.empty() ? State::Fresh : slots_[index(address)].state;
}

void AddressPool::AddressStates::set(std::uint32_t address, State state) {
  if (!add(address, state)) slots_[index(address)].state = state;
}

bool AddressPool::AddressStates::add(std::uint32_t address, State state) {
  // At most half full, so probes stay short.
  if ((size_ + 1) * 2 > slots_.size()) rehash(std::max<std::size_t>(16, slots_.size() * 2));
  Slot& slot = slots_[index(address)];
  if (slot.state != State::Fresh) return false;
  slot = {address, state};
  ++size_;
  return true;
}

std::size_t AddressPool::range_of(Ipv4Address address) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](Ipv4Address a, const AddressRange& r) { return a < r.first; });
  if (it == ranges_.begin()) return kNoRange;
  --it;
  if (address > it->last) return kNoRange;
  return static_cast<std::size_t>(it - ranges_.begin());
}

AddressPool::State AddressPool::state_of(Ipv4Address address) const {
  if (const State s = state_.get(address.value); s != State::Fresh) return s;
  if (range_of(address) == kNoRange) return State::Fresh;  // neither in use nor held
  return address.value >= cursor_position() ? State::Fresh : State::Free;
}

bool AddressPool::next_fresh(std::uint32_t& out) {
  while (cursor_range_ < ranges_.size()) {
    const AddressRange& r = ranges_[cursor_range_];
    if (cursor_value_ > r.last.value) {
      if (++cursor_range_ < ranges_.size()) cursor_value_ = ranges_[cursor_range_].first.value;
      continue;
    }
    auto candidate = static_cast<std::uint32_t>(cursor_value_);
    ++cursor_value_;
    if (state_.get(candidate) != State::Fresh) continue;  // reserved ahead of the cursor
    out = candidate;
    return true;
  }
  return false;
}

void AddressPool::take(std::uint32_t address) {
  state_.set(address, State::InUse);
  ++in_use_count_;
}

void AddressPool::expire(TimePoint now) {
  while (!held_.empty() && held_.front().until <= now) {
    state_.set(held_.front().address, State::Free);
    free_.push_back({held_.front().address, held_.front().address});
    held_.pop_front();
  }
}

Expected<Ipv4Address, PoolError> AddressPool::allocate(TimePoint now) {
  expire(now);
  if (available() == 0) return unexpected(PoolError::Exhausted);
  std::uint32_t a = 0;
  if (next_fresh(a)) {
    take(a);
    return Ipv4Address{a};
  }
  // Every address neither in use nor held is behind the cursor, hence in the free list.
  while (!free_.empty()) {
    FreeEntry& entry = free_.front();
    a = entry.first;
    if (entry.first == entry.last)
      free_.pop_front();
    else
      ++entry.first;
    if (state_of(Ipv4Address{a}) == State::Free) {
      take(a);
      return Ipv4Address{a};
    }
  }
  return unexpected(PoolError::Exhausted);  // unreachable by the count
}

Expected<void, PoolError> AddressPool::reserve(Ipv4Address address, TimePoint now) {
  expire(now);
  if (range_of(address) == kNoRange) return unexpected(PoolError::OutsidePool);
  const State s = state_of(address);
  if (s == State::InUse) return unexpected(PoolError::InUse);
  if (s == State::Held) return unexpected(PoolError::Held);
  take(address.value);  // a stale free-list entry is skipped when it comes up
  return {};
}

Expected<void, PoolError> AddressPool::release(Ipv4Address address, TimePoint now) {
  if (range_of(address) == kNoRange) return unexpected(PoolError::OutsidePool);
  if (state_.get(address.value) != State::InUse) return unexpected(PoolError::NotAllocated);
  state_.set(address.value, State::Held);
  --in_use_count_;
  held_.push_back({address.value, now + hold_time_});
  expire(now);  // a zero hold time frees at once
  return {};
}

nlohmann::json AddressPool::to_json(TimePoint now) const {
  using nlohmann::json;
  json ranges = json::array();
  for (const AddressRange& r : ranges_) ranges.push_back({r.first.to_string(), r.last.to_string()});
  std::vector<std::uint32_t> used;
  state_.for_each([&used](std::uint32_t address, State state) {
    if (state == State::InUse) used.push_back(address);
  });
  std::sort(used.begin(), used.end());
  json in_use = json::array();
  for (std::uint32_t a : used) in_use.push_back(Ipv4Address{a}.to_string());
  json held = json::array();
  for (const HeldAddress& h : held_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(h.until - now).count();
    held.push_back({{"address", Ipv4Address{h.address}.to_string()}, {"remaining_ms", std::clamp<std::int64_t>(left, 0, detail::JsonCheck::kMaxMilliseconds)}});
  }
  // The free list in order, each address once (later copies are stale entries). A stretch is
  // written as the runs of its addresses still free; an address a stretch holds is never in an
  // earlier entry (a grow adds only addresses that were not in the pool).
  json free = json::array();
  std::unordered_map<std::uint32_t, bool> listed;
  auto run = [&free](std::uint64_t first, std::uint64_t last) {
    const Ipv4Address a{static_cast<std::uint32_t>(first)};
    const Ipv4Address b{static_cast<std::uint32_t>(last)};
    free.push_back(first == last ? a.to_string() : a.to_string() + "-" + b.to_string());
  };
  for (const FreeEntry& e : free_) {
    if (e.first == e.last) {
      if (state_of(Ipv4Address{e.first}) == State::Free && listed.emplace(e.first, true).second) run(e.first, e.first);
      continue;
    }
    // Runs between the addresses handed out since (in state_), found without a walk over the
    // stretch: the handed-out addresses inside it, in order.
    std::vector<std::uint32_t> inside;
    state_.for_each([&inside, &e](std::uint32_t address, State) {
      if (address >= e.first && address <= e.last) inside.push_back(address);
    });
    std::sort(inside.begin(), inside.end());
    std::uint64_t from = e.first;
    for (std::uint32_t a : inside) {
      if (a > from) run(from, a - 1);
      if (state_of(Ipv4Address{a}) == State::Free && listed.emplace(a, true).second) run(a, a);
      from = std::uint64_t{a} + 1;
    }
    if (from <= e.last) run(from, e.last);
  }
  json cursor = nullptr;
  if (cursor_range_ < ranges_.size() && cursor_value_ <= ranges_[cursor_range_].last.value)
    cursor = Ipv4Address{static_cast<std::uint32_t>(cursor_value_)}.to_string();
  return {{"ranges", ranges}, {"in_use", in_use}, {"held", held}, {"free", free}, {"next_fresh", cursor}};
}

namespace {

/// "a.b.c.d" or "a.b.c.d-e.f.g.h" (first <= last).
std::optional<AddressRange> parse_free_entry(std::string_view s) {
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    auto a = Ipv4Address::parse(s);
    return a ? std::optional(AddressRange{*a, *a}) : std::nullopt;
  }
  auto first = Ipv4Address::parse(s.substr(0, dash));
  auto last = Ipv4Address::parse(s.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  return AddressRange{*first, *last};
}

}  // namespace

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
    if (first && last && *last < *first) c.error(at, "last before first");
    else if (first && last) ranges.push_back({*first, *last});
  }
  if (!c.ok()) return unexpected(c.message());

  AddressPool pool(std::move(ranges), hold_time);
  // Every listed address is inside the pool and listed once, in one state.
  auto place = [&](const json& a, const std::string& at, State state, std::string_view clash) {
    auto parsed = address(a, at);
    if (!parsed) return parsed;
    if (pool.range_of(*parsed) == kNoRange || !pool.state_.add(parsed->value, state)) {
      c.error(at, clash);
      return std::optional<Ipv4Address>{};
    }
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
    auto remaining = c.milliseconds(h, at, "remaining_ms");
    const json* a = c.required(h, at, "address");
    if (a == nullptr || !remaining) continue;
    if (auto held_address = place(*a, JsonCheck::member(at, "address"), State::Held, "outside the pool, in use or repeated"))
      pool.held_.push_back({held_address->value, now + *remaining});
  }
  // expire() takes the held addresses from the front: in the order their hold ends.
  std::stable_sort(pool.held_.begin(), pool.held_.end(),
                   [](const HeldAddress& a, const HeldAddress& b) { return a.until < b.until; });
  std::vector<AddressRange> stretches;
  for (std::size_t i = 0; i < free->size(); ++i) {
    const std::string at = JsonCheck::element(JsonCheck::member(root, "free"), i);
    auto text = c.string((*free)[i], at);
    if (!text) continue;
    auto entry = parse_free_entry(*text);
    if (!entry) {
      c.error(at, "not an IPv4 address or a first-last range");
    } else if (entry->first == entry->last) {
      if (place((*free)[i], at, State::Free, "outside the pool, in use, held or repeated"))
        pool.free_.push_back({entry->first.value, entry->first.value});
    } else if (const std::size_t r = pool.range_of(entry->first); r == kNoRange || pool.ranges_[r].last < entry->last) {
      c.error(at, "not inside one range of the pool");
    } else {
      stretches.push_back(*entry);
      pool.free_.push_back({entry->first.value, entry->last.value});
    }
  }
  // A stretch's addresses are free by not being listed anywhere else.
  std::sort(stretches.begin(), stretches.end(), [](const AddressRange& a, const AddressRange& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < stretches.size(); ++i)
    if (!(stretches[i - 1].last < stretches[i].first))
      c.error(JsonCheck::member(root, "free"), fmt::format("{} is in two entries", stretches[i].first.to_string()));
  pool.state_.for_each([&](std::uint32_t a, State) {
    auto it = std::upper_bound(stretches.begin(), stretches.end(), Ipv4Address{a},
                               [](Ipv4Address x, const AddressRange& r) { return x < r.first; });
    if (it != stretches.begin() && !(std::prev(it)->last < Ipv4Address{a}))
      c.error(JsonCheck::member(root, "free"), fmt::format("{} is in a free range and listed elsewhere", Ipv4Address{a}.to_string()));
  });
  pool.cursor_range_ = pool.ranges_.size();  // no fresh address left, unless next_fresh says
  if (const json* next = JsonCheck::optional(j, "next_fresh"); next != nullptr && !next->is_null()) {
    const std::string at = JsonCheck::member(root, "next_fresh");
    if (auto a = address(*next, at)) {
      if (const std::size_t r = pool.range_of(*a); r == kNoRange) {
        c.error(at, "outside the pool");
      } else {
        pool.cursor_range_ = r;
        pool.cursor_value_ = a->value;
      }
    }
  }
  if (!c.ok()) return unexpected(c.message());
  return pool;
}

}  // namespace vmnmob::mobility
