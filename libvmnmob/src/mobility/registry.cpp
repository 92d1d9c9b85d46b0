#include "vmnmob/mobility/registry.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mobility/detail/json_check.hpp"

namespace vmnmob::mobility {

bool Vmn::has_correspondent(VmnId other) const {
  return std::binary_search(correspondents.begin(), correspondents.end(), other);
}

const Vmn* VmnRegistry::find(MacAddress mac) const {
  auto it = by_mac_.find(mac);
  return it == by_mac_.end() ? nullptr : &vmns_[it->second];
}
const Vmn* VmnRegistry::find_by_home_address(Ipv4Address hoa) const {
  auto it = by_home_.find(hoa);
  return it == by_home_.end() ? nullptr : &vmns_[it->second];
}
const Vmn* VmnRegistry::find_by_mobile_address(Ipv4Address moa) const {
  auto it = by_mobile_.find(moa);
  return it == by_mobile_.end() ? nullptr : &vmns_[it->second];
}

const Vmn* VmnRegistry::add(MacAddress mac, Ipv4Address hoa, Ipv4Address moa, Location where,
                            TimePoint now) {
  if (by_mac_.contains(mac) || by_home_.contains(hoa) || by_mobile_.contains(moa)) return nullptr;
  VmnId id = 0;
  if (!free_ids_.empty()) {
    // A removed VMN's number: its flows were deleted by exact cookie, and the generation goes
    // on from the removed one's, so a delete still in flight cannot hit the new VMN's flows.
    id = free_ids_.back();
    free_ids_.pop_back();
    const std::uint32_t generation = vmns_[id].generation + 1;
    vmns_[id] = Vmn{};
    vmns_[id].generation = generation;
    live_[id] = true;
  } else {
    id = static_cast<VmnId>(vmns_.size());
    vmns_.emplace_back();
    attached_.push_back(false);
    live_.push_back(true);
  }
  ++live_count_;
  Vmn& v = vmns_[id];
  v.id = id;
  v.mac = mac;
  v.home_address = hoa;
  v.mobile_address = moa;
  v.location = where;
  v.detected_at = v.last_seen = v.moved_at = now;
  by_mac_.emplace(mac, id);
  by_home_.emplace(hoa, id);
  by_mobile_.emplace(moa, id);
  ++on_datapath_[where.datapath_id];
  attach(id);
  return &v;
}

void VmnRegistry::remove(VmnId id) {
  if (!contains(id)) return;
  Vmn& v = vmns_[id];
  detach(id);
  if (auto it = on_datapath_.find(v.location.datapath_id); it != on_datapath_.end() && --it->second == 0)
    on_datapath_.erase(it);
  for (VmnId p : v.correspondents) {
    std::vector<VmnId>& theirs = vmns_[p].correspondents;
    auto it = std::lower_bound(theirs.begin(), theirs.end(), id);
    if (it != theirs.end() && *it == id) theirs.erase(it);
  }
  v.correspondents.clear();
  v.recent_moves.clear();
  v.frozen_until.reset();
  by_mac_.erase(v.mac);
  by_home_.erase(v.home_address);
  by_mobile_.erase(v.mobile_address);
  live_[id] = false;
  --live_count_;
  free_ids_.push_back(id);
}

std::size_t VmnRegistry::record_move(VmnId id, TimePoint now, Duration window, std::size_t keep) {
  std::vector<TimePoint>& moves = vmns_[id].recent_moves;
  std::erase_if(moves, [&](TimePoint t) { return now - t >= window; });
  if (keep == 0) return 0;
  if (moves.size() >= keep) moves.erase(moves.begin(), moves.begin() + static_cast<std::ptrdiff_t>(moves.size() - keep + 1));
  moves.push_back(now);
  return moves.size();
}

void VmnRegistry::set_frozen(VmnId id, std::optional<TimePoint> until) {
  vmns_[id].frozen_until = until;
  if (!until) vmns_[id].recent_moves.clear();
}

std::size_t VmnRegistry::count_on(std::uint64_t datapath_id) const {
  auto it = on_datapath_.find(datapath_id);
  return it == on_datapath_.end() ? 0 : it->second;
}

void VmnRegistry::attach(VmnId id) {
  if (attached_[id]) return;
  attached_[id] = true;
  ++at_location_[vmns_[id].location];
}

void VmnRegistry::detach(VmnId id) {
  if (!attached_[id]) return;
  attached_[id] = false;
  auto it = at_location_.find(vmns_[id].location);
  if (it != at_location_.end() && --it->second == 0) at_location_.erase(it);
}

std::size_t VmnRegistry::count_at(Location where) const {
  auto it = at_location_.find(where);
  return it == at_location_.end() ? 0 : it->second;
}

void VmnRegistry::move(VmnId id, Location where, Ipv4Address moa, TimePoint now) {
  detach(id);
  Vmn& v = vmns_[id];
  if (where.datapath_id != v.location.datapath_id) {
    if (auto it = on_datapath_.find(v.location.datapath_id); it != on_datapath_.end() && --it->second == 0)
      on_datapath_.erase(it);
    ++on_datapath_[where.datapath_id];
  }
  if (moa != v.mobile_address) {
    by_mobile_.erase(v.mobile_address);
    by_mobile_.emplace(moa, id);
    v.mobile_address = moa;
  }
  v.location = where;
  ++v.generation;
  v.moved_at = v.last_seen = now;
  attach(id);
}

bool VmnRegistry::link(VmnId a, VmnId b) {
  if (a == b) return false;
  auto insert = [](std::vector<VmnId>& list, VmnId x) {
    auto it = std::lower_bound(list.begin(), list.end(), x);
    if (it != list.end() && *it == x) return false;
    list.insert(it, x);
    return true;
  };
  bool added = insert(vmns_[a].correspondents, b);
  insert(vmns_[b].correspondents, a);
  return added;
}

void VmnRegistry::reserve(std::size_t n) {
  vmns_.reserve(n);
  by_mac_.reserve(n);
  by_home_.reserve(n);
  by_mobile_.reserve(n);
  attached_.reserve(n);
  live_.reserve(n);
}

namespace {
/// Within what from_json accepts, so a snapshot always reads back.
std::int64_t age_ms(TimePoint now, TimePoint t) {
  return std::clamp<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count(), 0,
                                  detail::JsonCheck::kMaxMilliseconds);
}
}  // namespace

nlohmann::json VmnRegistry::entry_json(const Vmn& v, TimePoint now) const {
  nlohmann::json peers = nlohmann::json::array();
  for (VmnId p : v.correspondents) peers.push_back(vmns_[p].mac.to_string());
  nlohmann::json moves = nlohmann::json::array();
  for (TimePoint t : v.recent_moves) moves.push_back(age_ms(now, t));
  nlohmann::json frozen = nullptr;
  if (v.frozen_until) frozen = age_ms(*v.frozen_until, now);
  return {{"id", v.id},
          {"recent_moves_age_ms", moves},
          {"frozen_remaining_ms", frozen},
          {"mac", v.mac.to_string()},
          {"home_address", v.home_address.to_string()},
          {"mobile_address", v.mobile_address.to_string()},
          {"datapath_id", v.location.datapath_id},
          {"port", v.location.port},
          {"generation", v.generation},
          {"correspondents", peers},
          {"detected_age_ms", age_ms(now, v.detected_at)},
          {"last_seen_age_ms", age_ms(now, v.last_seen)},
          {"moved_age_ms", age_ms(now, v.moved_at)}};
}

nlohmann::json VmnRegistry::to_json(TimePoint now) const {
  nlohmann::json out = nlohmann::json::array();
  for (const Vmn& v : *this) out.push_back(entry_json(v, now));
  return out;
}

Expected<VmnRegistry, std::string> VmnRegistry::from_json(const nlohmann::json& j, TimePoint now) {
  using detail::JsonCheck;
  JsonCheck c;
  if (!c.is_array(j, "vmns")) return unexpected(c.message());
  VmnRegistry r;
  r.reserve(j.size());
  std::vector<std::vector<std::string>> peers(j.size());
  std::vector<VmnId> ids(j.size());
  std::vector<VmnId> gaps;  // numbers of removed VMNs, free for the next ones
  // Removed VMNs leave their numbers free: a snapshot may skip numbers, up to this many (more
  // would take memory out of proportion to the VMNs in the file).
  constexpr std::size_t kMaxFreeIds = 65536;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    const std::string path = JsonCheck::element("vmns", i);
    if (!c.is_object(e, path)) continue;
    const auto id = c.integer<VmnId>(e, path, "id");
    const auto mac = c.parsed(e, path, "mac", MacAddress::parse, "a MAC address");
    const auto hoa = c.parsed(e, path, "home_address", Ipv4Address::parse, "an IPv4 address");
    const auto moa = c.parsed(e, path, "mobile_address", Ipv4Address::parse, "an IPv4 address");
    const auto datapath_id = c.integer<std::uint64_t>(e, path, "datapath_id");
    const auto port = c.integer<std::uint32_t>(e, path, "port");
    const auto generation = c.integer<std::uint32_t>(e, path, "generation");
    // Times are bounded (JsonCheck::milliseconds): `now` minus any of them cannot overflow.
    const auto detected_age = c.milliseconds(e, path, "detected_age_ms");
    const auto last_seen_age = c.milliseconds(e, path, "last_seen_age_ms");
    const auto moved_age = c.milliseconds(e, path, "moved_age_ms");
    const std::string peers_path = JsonCheck::member(path, "correspondents");
    if (const nlohmann::json* list = c.required(e, path, "correspondents"); list && c.is_array(*list, peers_path))
      for (std::size_t k = 0; k < list->size(); ++k)
        if (auto p = c.string((*list)[k], JsonCheck::element(peers_path, k))) peers[i].push_back(std::move(*p));
    // Optional (older snapshots have neither): duplicate-move detection's state.
    std::vector<TimePoint> moves;
    const std::string moves_path = JsonCheck::member(path, "recent_moves_age_ms");
    if (const nlohmann::json* list = JsonCheck::optional(e, "recent_moves_age_ms"); list && c.is_array(*list, moves_path)) {
      if (list->size() > MoveFreeze::kMaxMoves) c.error(moves_path, fmt::format("more than {} moves", MoveFreeze::kMaxMoves));
      else
        for (std::size_t k = 0; k < list->size(); ++k)
          if (auto age = c.milliseconds((*list)[k], JsonCheck::element(moves_path, k))) moves.push_back(now - *age);
    }
    std::optional<TimePoint> frozen_until;
    if (const nlohmann::json* f = JsonCheck::optional(e, "frozen_remaining_ms"); f && !f->is_null())
      if (auto left = c.milliseconds(*f, JsonCheck::member(path, "frozen_remaining_ms"))) frozen_until = now + *left;
    if (id && *id < r.vmns_.size()) c.error(JsonCheck::member(path, "id"), "ids must be in increasing order");
    if (id && *id >= r.vmns_.size() + kMaxFreeIds - gaps.size())
      c.error(JsonCheck::member(path, "id"), fmt::format("more than {} unused ids before it", kMaxFreeIds));
    if (!c.ok()) continue;  // after the first error the rest is only checked
    while (r.vmns_.size() < *id) {
      gaps.push_back(static_cast<VmnId>(r.vmns_.size()));
      r.vmns_.emplace_back().id = gaps.back();
      r.attached_.push_back(false);
      r.live_.push_back(false);
    }
    if (r.add(*mac, *hoa, *moa, {*datapath_id, *port}, now) == nullptr) {
      c.error(path, "mac, home_address or mobile_address repeated");
      continue;
    }
    ids[i] = *id;
    Vmn& v = r.vmns_.back();
    v.generation = *generation;
    v.detected_at = now - *detected_age;
    v.last_seen = now - *last_seen_age;
    v.moved_at = now - *moved_age;
    v.recent_moves = std::move(moves);
    v.frozen_until = frozen_until;
  }
  if (!c.ok()) return unexpected(c.message());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    for (const std::string& p : peers[i]) {
      auto mac = MacAddress::parse(p);
      const Vmn* peer = mac ? r.find(*mac) : nullptr;
      if (peer == nullptr || peer->id == ids[i])
        c.error(JsonCheck::member(JsonCheck::element("vmns", i), "correspondents"), "unknown " + p);
      else
        r.link(ids[i], peer->id);
    }
  }
  // Lowest numbers first when they are given out again.
  r.free_ids_.assign(gaps.rbegin(), gaps.rend());
  if (!c.ok()) return unexpected(c.message());
  return r;
}

}  // namespace vmnmob::mobility
