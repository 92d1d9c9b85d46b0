// A pool of mobile addresses (MoA) for one OFS.
//
// Addresses come from inclusive ranges. Each is in exactly one state: fresh (never handed
// out), in use, held (released, waiting out the hold time) or free again. Allocation takes
// fresh addresses first, in order, then expired ones in release order, so an address is
// reused as late as possible. Every operation is amortised O(1) (O(log r) for r ranges to find
// an address's range). Memory is O(ranges + addresses ever handed out), never O(capacity), so a
// pool of billions of addresses costs what a pool of ten does: fresh addresses are a cursor over
// the ranges, the state of every address handed out is in a hash map, held ones are a FIFO (the
// hold time is the same for all) and free ones a FIFO of addresses and of stretches (the
// addresses a grow() added behind the cursor, free without ever having been handed out).
// Exhaustion is an error value, never a duplicate address. A pool may grow (new ranges, or a
// range extended) while in use; it never shrinks, so an address in use or held stays its own.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <optional>
#include <span>

#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/mobility/config.hpp"

namespace vmnmob::mobility {

enum class PoolError : std::uint8_t {
  Exhausted,     // every address is in use or held
  OutsidePool,   // the address is not in any range of this pool
  InUse,         // reserve: somebody has it
  Held,          // reserve: released recently, still in its hold time
  NotAllocated,  // release: it is not in use
};
std::string_view to_string(PoolError e);

class AddressPool {
 public:
  AddressPool() = default;
  /// Overlapping or adjacent ranges are merged; empty ranges (first > last) are ignored.
  AddressPool(std::vector<AddressRange> ranges, Duration hold_time);
  /// The site's ranges plus the host addresses of its prefixes.
  static AddressPool for_site(const SiteConfig& site, Duration hold_time);
  /// The ranges for_site builds a pool from (prefixes as their host addresses), unmerged.
  static std::vector<AddressRange> site_ranges(const SiteConfig& site);

  /// Grows the pool to `ranges`, its whole new set of addresses (e.g. a reloaded site's
  /// site_ranges). Every address of the pool must still be in it: otherwise nothing changes and
  /// the error is the lowest address that would be lost. Every address keeps its state; a new
  /// address ahead of the allocation cursor is fresh (handed out in address order with the
  /// others), one behind it joins the end of the free list, so the rule "fresh first, then the
  /// longest released" holds across the growth. Returns how many addresses were added.
  /// O(ranges + addresses handed out): the addresses added behind the cursor join the free list
  /// as stretches, never one by one.
  Expected<std::uint64_t, Ipv4Address> grow(std::vector<AddressRange> ranges);
  /// The lowest address of this pool outside `ranges` (sorted by first address, disjoint), or
  /// nothing when `ranges` cover the whole pool.
  std::optional<Ipv4Address> first_outside(std::span<const AddressRange> ranges) const;

  Expected<Ipv4Address, PoolError> allocate(TimePoint now);
  /// Takes a specific address (e.g. restoring a VMN that already holds it).
  Expected<void, PoolError> reserve(Ipv4Address address, TimePoint now);
  /// Starts the hold time of an address in use.
  Expected<void, PoolError> release(Ipv4Address address, TimePoint now);
  /// Moves addresses whose hold time has passed to the free list (allocate does this too).
  void expire(TimePoint now);

  bool contains(Ipv4Address address) const { return range_of(address) != kNoRange; }
  bool in_use(Ipv4Address address) const { return state_of(address) == State::InUse; }
  bool held(Ipv4Address address) const { return state_of(address) == State::Held; }
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t in_use_count() const { return in_use_count_; }
  std::uint64_t held_count() const { return held_.size(); }
  std::uint64_t available() const { return capacity() - in_use_count_ - held_.size(); }
  const std::vector<AddressRange>& ranges() const { return ranges_; }
  Duration hold_time() const { return hold_time_; }

  /// The whole state; held addresses carry the hold time left at `now`, so a snapshot
  /// restored by another process (another clock) keeps the remaining hold. "free" lists
  /// addresses ("a.b.c.d") in allocation order; a stretch a grow() added behind the cursor is one
  /// "first-last" element (files without stretches read as before).
  nlohmann::json to_json(TimePoint now) const;
  /// The error names every problem as "path: reason"; `path` is where j sits in the document
  /// (a snapshot reads its pools as "switches[i].pool"). A held address's remaining_ms must be
  /// from 0 to ten years (detail::JsonCheck::kMaxMilliseconds), so no time arithmetic overflows.
  static Expected<AddressPool, std::string> from_json(const nlohmann::json& j, Duration hold_time,
                                                      TimePoint now, std::string_view path = "pool");

 private:
  enum class State : std::uint8_t { Fresh, InUse, Held, Free };
  struct HeldAddress {
    std::uint32_t address;
    TimePoint until;
  };
  /// One entry of the free list: an address that was released (first == last) or a stretch a
  /// grow() added behind the cursor. An entry may be stale in part (an address reserved since):
  /// allocate skips what is not free when it comes up.
  struct FreeEntry {
    std::uint32_t first;
    std::uint32_t last;
  };
  static constexpr std::size_t kNoRange = ~std::size_t{0};
  /// Index of the range holding the address, or kNoRange outside the pool.
  std::size_t range_of(Ipv4Address address) const;
  /// The cursor as an absolute position: every address of the pool below it was handed out at
  /// least once or joined the free list by a grow(); those at or above it are fresh unless
  /// reserved ahead of it (then they are in state_).
  std::uint64_t cursor_position() const;
  /// Fresh: not in state_ and at or after the cursor; free: not in state_ and behind it (a
  /// stretch added by grow()); otherwise what state_ says.
  State state_of(Ipv4Address address) const;
  /// Next fresh address, skipping any that were reserved ahead of the cursor.
  bool next_fresh(std::uint32_t& out);
  void take(std::uint32_t address);

  /// The state of every address handed out: open addressing (linear probing) over 8-byte slots,
  /// no per-entry allocation. Entries are never removed (an address handed out keeps a state),
  /// so there are no tombstones; Fresh marks an empty slot.
  class AddressStates {
   public:
    /// Fresh when the address has no entry.
    State get(std::uint32_t address) const;
    void set(std::uint32_t address, State state);
    /// Adds an entry; false (and nothing changes) when the address has one.
    bool add(std::uint32_t address, State state);
    std::size_t size() const { return size_; }
    template <class F>
    void for_each(F f) const {
      for (const Slot& s : slots_)
        if (s.state != State::Fresh) f(s.address, s.state);
    }

   private:
    struct Slot {
      std::uint32_t address = 0;
      State state = State::Fresh;
    };
    std::size_t index(std::uint32_t address) const;  // its slot, or the empty one it would take
    void rehash(std::size_t slots);
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
  };

  std::vector<AddressRange> ranges_;
  std::uint64_t capacity_ = 0;
  /// Every address that was ever in use, reserved or released (and only those).
  AddressStates state_;
  std::uint64_t in_use_count_ = 0;
  Duration hold_time_{};
  std::size_t cursor_range_ = 0;  // fresh addresses: ranges_[cursor_range_] from cursor_value_
  std::uint64_t cursor_value_ = 0;
  std::deque<HeldAddress> held_;
  std::deque<FreeEntry> free_;
};

}  // namespace vmnmob::mobility
