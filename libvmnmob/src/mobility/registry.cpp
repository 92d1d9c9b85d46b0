#include "vmnmob/mobility/registry.hpp"

#include <algorithm>
#include <chrono>

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
  auto id = static_cast<VmnId>(vmns_.size());
  Vmn& v = vmns_.emplace_back();
  v.id = id;
  v.mac = mac;
  v.home_address = hoa;
  v.mobile_address = moa;
  v.location = where;
  v.detected_at = v.last_seen = v.moved_at = now;
  by_mac_.emplace(mac, id);
  by_home_.emplace(hoa, id);
  by_mobile_.emplace(moa, id);
  attached_.push_back(false);
  attach(id);
  return &v;
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
}

namespace {
std::int64_t age_ms(TimePoint now, TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count();
}
}  // namespace

nlohmann::json VmnRegistry::to_json(TimePoint now) const {
  nlohmann::json out = nlohmann::json::array();
  for (const Vmn& v : vmns_) {
    nlohmann::json peers = nlohmann::json::array();
    for (VmnId p : v.correspondents) peers.push_back(vmns_[p].mac.to_string());
    out.push_back({{"id", v.id},
                   {"mac", v.mac.to_string()},
                   {"home_address", v.home_address.to_string()},
                   {"mobile_address", v.mobile_address.to_string()},
                   {"datapath_id", v.location.datapath_id},
                   {"port", v.location.port},
                   {"generation", v.generation},
                   {"correspondents", peers},
                   {"detected_age_ms", age_ms(now, v.detected_at)},
                   {"last_seen_age_ms", age_ms(now, v.last_seen)},
                   {"moved_age_ms", age_ms(now, v.moved_at)}});
  }
  return out;
}

Expected<VmnRegistry, std::string> VmnRegistry::from_json(const nlohmann::json& j, TimePoint now) {
  using detail::JsonCheck;
  JsonCheck c;
  if (!c.is_array(j, "vmns")) return unexpected(c.message());
  VmnRegistry r;
  r.reserve(j.size());
  std::vector<std::vector<std::string>> peers(j.size());
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
    const auto detected_age = c.integer<std::int64_t>(e, path, "detected_age_ms");
    const auto last_seen_age = c.integer<std::int64_t>(e, path, "last_seen_age_ms");
    const auto moved_age = c.integer<std::int64_t>(e, path, "moved_age_ms");
    const std::string peers_path = JsonCheck::member(path, "correspondents");
    if (const nlohmann::json* list = c.required(e, path, "correspondents"); list && c.is_array(*list, peers_path))
      for (std::size_t k = 0; k < list->size(); ++k)
        if (auto p = c.string((*list)[k], JsonCheck::element(peers_path, k))) peers[i].push_back(std::move(*p));
    if (id && *id != i) c.error(JsonCheck::member(path, "id"), "ids must be dense and in order");
    if (!c.ok()) continue;  // after the first error the rest is only checked
    if (r.add(*mac, *hoa, *moa, {*datapath_id, *port}, now) == nullptr) {
      c.error(path, "mac, home_address or mobile_address repeated");
      continue;
    }
    Vmn& v = r.vmns_.back();
    v.generation = *generation;
    v.detected_at = now - std::chrono::milliseconds(*detected_age);
    v.last_seen = now - std::chrono::milliseconds(*last_seen_age);
    v.moved_at = now - std::chrono::milliseconds(*moved_age);
  }
  if (!c.ok()) return unexpected(c.message());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    for (const std::string& p : peers[i]) {
      auto mac = MacAddress::parse(p);
      const Vmn* peer = mac ? r.find(*mac) : nullptr;
      if (peer == nullptr || peer->id == i)
        c.error(JsonCheck::member(JsonCheck::element("vmns", i), "correspondents"), "unknown " + p);
      else
        r.link(static_cast<VmnId>(i), peer->id);
    }
  }
  if (!c.ok()) return unexpected(c.message());
  return r;
}

}  // namespace vmnmob::mobility
