// The VMN registry (paper table 3): per VMN, keyed by its MAC, the HoA, the current MoA,
// where it is (datapath and port) and its correspondents.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/mobility/config.hpp"

namespace vmnmob::mobility {

/// A VMN's number in this registry; stable for the VMN's life and across a snapshot. It names
/// the VMN in flow cookies. The number of a removed VMN is given to a later one, whose
/// generation continues the removed one's (so their cookies differ).
using VmnId = std::uint32_t;

struct Location {
  std::uint64_t datapath_id = 0;
  std::uint32_t port = 0;
  friend bool operator==(const Location&, const Location&) = default;
};

struct Vmn {
  VmnId id = 0;
  MacAddress mac;
  Ipv4Address home_address;
  Ipv4Address mobile_address;
  Location location;
  /// Bumped whenever the MoA or the location changes; part of the cookies of this VMN's flows
  /// so that the flows of the previous location can be deleted exactly after the new ones
  /// are in (make-before-break).
  std::uint32_t generation = 0;
  /// Sorted, without repeats. The relation is symmetric.
  std::vector<VmnId> correspondents;
  TimePoint detected_at{};
  TimePoint last_seen{};
  TimePoint moved_at{};
  /// Duplicate-move detection (MobilityConfig::move_freeze): the times of the recent moves
  /// (at most MoveFreeze::kMaxMoves, oldest first), and until when the VMN is frozen.
  std::vector<TimePoint> recent_moves;
  std::optional<TimePoint> frozen_until;

  bool has_correspondent(VmnId other) const;
};

class VmnRegistry {
 public:
  /// Iterates the registered VMNs in id order, skipping the numbers of removed ones.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Vmn;
    using difference_type = std::ptrdiff_t;
    using pointer = const Vmn*;
    using reference = const Vmn&;
    const_iterator() = default;
    reference operator*() const { return (*r_).vmns_[i_]; }
    pointer operator->() const { return &(*r_).vmns_[i_]; }
    const_iterator& operator++() {
      ++i_;
      skip();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.i_ == b.i_; }

   private:
    friend class VmnRegistry;
    const_iterator(const VmnRegistry* r, std::size_t i) : r_(r), i_(i) { skip(); }
    void skip() {
      while (i_ < r_->vmns_.size() && !r_->live_[i_]) ++i_;
    }
    const VmnRegistry* r_ = nullptr;
    std::size_t i_ = 0;
  };

  /// Nullptr when absent. All three lookups are hash lookups.
  const Vmn* find(MacAddress mac) const;
  const Vmn* find_by_home_address(Ipv4Address hoa) const;
  const Vmn* find_by_mobile_address(Ipv4Address moa) const;
  /// `id` must be registered (contains), or be the id of a removed VMN whose last state is
  /// then returned.
  const Vmn& at(VmnId id) const { return vmns_[id]; }
  bool contains(VmnId id) const { return id < vmns_.size() && live_[id]; }
  /// How many VMNs are registered.
  std::size_t size() const { return live_count_; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, vmns_.size()}; }

  /// Registers a VMN. Fails (returns nullptr) if the MAC, HoA or MoA is already registered.
  const Vmn* add(MacAddress mac, Ipv4Address hoa, Ipv4Address moa, Location where, TimePoint now);
  /// New location and MoA; bumps the generation.
  void move(VmnId id, Location where, Ipv4Address moa, TimePoint now);
  void touch(VmnId id, TimePoint now) { vmns_[id].last_seen = now; }
  /// Forgets a VMN: its MAC, HoA and MoA are free, it is nobody's correspondent any more, and
  /// its id goes to the next add. The caller handles its flows and its MoA.
  void remove(VmnId id);
  /// Records a move at `now` for duplicate-move detection, keeping at most `keep` times and
  /// none older than `window`; returns how many moves are left in the window.
  std::size_t record_move(VmnId id, TimePoint now, Duration window, std::size_t keep);
  void set_frozen(VmnId id, std::optional<TimePoint> until);
  /// How many VMNs are registered at the datapath (attached or not).
  std::size_t count_on(std::uint64_t datapath_id) const;
  /// Records a and b as each other's correspondents; false if they already were (or a == b).
  bool link(VmnId a, VmnId b);

  /// How many VMNs are at `where` now: placed there by add or move and not detached since.
  /// O(1); the default policy refuses to move a VMN onto a port another VMN is at (spoofing).
  std::size_t count_at(Location where) const;
  /// The VMN's port is gone (deleted, or absent when its switch reconnected): it keeps its
  /// location and flows until it shows up elsewhere, but no longer counts as at that port, so a
  /// new interface that gets the port number is not taken for its port. Idempotent; add and
  /// move count it again.
  void detach(VmnId id);
  bool attached(VmnId id) const { return attached_[id]; }

  void reserve(std::size_t n);
  /// Timestamps are stored as ages relative to `now`.
  nlohmann::json to_json(TimePoint now) const;
  /// One element of to_json's array.
  nlohmann::json entry_json(const Vmn& v, TimePoint now) const;
  static Expected<VmnRegistry, std::string> from_json(const nlohmann::json& j, TimePoint now);

 private:
  std::vector<Vmn> vmns_;
  std::unordered_map<MacAddress, VmnId> by_mac_;
  std::unordered_map<Ipv4Address, VmnId> by_home_;
  std::unordered_map<Ipv4Address, VmnId> by_mobile_;
  struct LocationHash {
    std::size_t operator()(const Location& l) const noexcept {
      return std::hash<std::uint64_t>{}(l.datapath_id * 0x9e3779b97f4a7c15ull ^ l.port);
    }
  };
  /// VMNs per location, counting only attached ones; entries at zero are erased.
  std::unordered_map<Location, std::uint32_t, LocationHash> at_location_;
  std::vector<bool> attached_;  // by VmnId
  std::vector<bool> live_;      // by VmnId: false for the number of a removed VMN
  std::vector<VmnId> free_ids_;
  std::size_t live_count_ = 0;
  /// VMNs per datapath (their location's), attached or not; entries at zero are erased.
  std::unordered_map<std::uint64_t, std::uint32_t> on_datapath_;
  void attach(VmnId id);
};

}  // namespace vmnmob::mobility
