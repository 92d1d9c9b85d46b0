// Change records (state_changes.hpp): the current value of each key a call touched, and their
// merge into a snapshot document. The record uses the snapshot's own vocabulary (a VMN entry
// is an element of "vmns", a switch entry the learned fields of an element of "switches", an
// address's state one of the pool's lists), so a merged document is read by restore() with
// every check a snapshot gets.
#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mobility/detail/engine_impl.hpp"
#include "mobility/detail/json_check.hpp"

namespace vmnmob::mobility {

namespace {

template <class T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

enum class AddressState : std::uint8_t { InUse, Held, Free };

struct AddressEntry {
  AddressState state = AddressState::InUse;
  std::uint64_t order = 0;  // held and free lists keep their order: the pool's FIFOs
  std::int64_t remaining_ms = 0;
};

/// A free "first-last" entry of the pool (addresses a grow added behind the allocation cursor):
/// its addresses are free by being listed nowhere else.
struct Stretch {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  std::uint64_t order = 0;
};

/// One pool of the snapshot, by address, while records are merged into it.
struct PoolEdit {
  std::unordered_map<std::string, AddressEntry> addresses;
  std::vector<Stretch> stretches;
  std::uint64_t next_order = 0;

  /// A record names `a`: it leaves any stretch (which keeps the rest, in its place in the list).
  void carve(std::uint32_t a) {
    for (std::size_t i = 0; i < stretches.size(); ++i) {
      Stretch& s = stretches[i];
      if (a < s.first || a > s.last) continue;
      if (s.first == s.last) {
        stretches.erase(stretches.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (a == s.first) {
        ++s.first;
      } else if (a == s.last) {
        --s.last;
      } else {
        const Stretch right{a + 1, s.last, s.order};
        s.last = a - 1;
        stretches.insert(stretches.begin() + static_cast<std::ptrdiff_t>(i) + 1, right);
      }
      return;
    }
  }
};

/// "a.b.c.d-e.f.g.h" with first <= last.
std::optional<Stretch> parse_stretch(const std::string& text, std::uint64_t order) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) return std::nullopt;
  auto first = Ipv4Address::parse(std::string_view(text).substr(0, dash));
  auto last = Ipv4Address::parse(std::string_view(text).substr(dash + 1));
  if (!first || !last || last->value < first->value) return std::nullopt;
  return Stretch{first->value, last->value, order};
}

}  // namespace

nlohmann::json MobilityEngine::changes_record(const StateChanges& changes, TimePoint now) const {
  using nlohmann::json;
  const detail::EngineState& s = impl_->state;
  std::vector<MacAddress> macs = changes.vmns;
  auto addresses = changes.addresses;
  std::vector<std::uint64_t> dps = changes.switches;
  sort_unique(macs);
  sort_unique(addresses);
  sort_unique(dps);
  json vmns = json::array();
  json removed = json::array();
  for (MacAddress mac : macs) {
    if (const Vmn* v = s.registry.find(mac)) vmns.push_back(s.registry.entry_json(*v, now));
    else removed.push_back(mac.to_string());
  }
  json pool_changes = json::array();
  for (const auto& [dp, address] : addresses) {
    const detail::SwitchState* st = s.find(dp);
    if (st == nullptr || !st->pool.contains(address)) continue;
    json a = {{"datapath_id", dp}, {"address", address.to_string()}};
    if (st->pool.in_use(address)) {
      a["state"] = "in_use";
    } else if (st->pool.held(address)) {
      // Released in this call, so the whole hold time is left (the pool does not say more).
      a["state"] = "held";
      a["remaining_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(st->pool.hold_time()).count();
    } else {
      a["state"] = "free";
    }
    pool_changes.push_back(std::move(a));
  }
  json switches = json::array();
  for (std::uint64_t dp : dps) {
    const detail::SwitchState* st = s.find(dp);
    if (st == nullptr) continue;
    json sw = {{"datapath_id", dp}, {"base_generation", st->base_generation}};
    sw["learned_gateway_mac"] = (!st->site->gateway_mac && st->gateway_mac) ? json(st->gateway_mac->to_string()) : json(nullptr);
    sw["uplink_port"] = st->uplink ? json(*st->uplink) : json(nullptr);
    switches.push_back(std::move(sw));
  }
  return {{"vmns", std::move(vmns)}, {"removed", std::move(removed)}, {"addresses", std::move(pool_changes)},
          {"switches", std::move(switches)}};
}

Expected<void, std::string> merge_state_changes(nlohmann::json& snapshot, std::span<const nlohmann::json> records) {
  using detail::JsonCheck;
  using nlohmann::json;
  JsonCheck c;
  if (!c.is_object(snapshot, "snapshot")) return unexpected(c.message());
  json* vmns = snapshot.contains("vmns") ? &snapshot["vmns"] : nullptr;
  json* switches = snapshot.contains("switches") ? &snapshot["switches"] : nullptr;
  if (vmns == nullptr || !vmns->is_array()) c.error("vmns", "missing or not an array");
  if (switches == nullptr || !switches->is_array()) c.error("switches", "missing or not an array");
  if (!c.ok()) return unexpected(c.message());

  // Keys of the snapshot, so each record's key is found in O(1).
  std::unordered_map<std::string, std::size_t> vmn_at;
  for (std::size_t i = 0; i < vmns->size(); ++i) {
    const json& e = (*vmns)[i];
    if (e.is_object() && e.contains("mac") && e["mac"].is_string()) vmn_at[e["mac"].get<std::string>()] = i;
  }
  std::vector<bool> vmn_removed(vmns->size(), false);
  std::unordered_map<std::uint64_t, std::size_t> switch_at;
  for (std::size_t i = 0; i < switches->size(); ++i) {
    const json& e = (*switches)[i];
    if (e.is_object() && e.contains("datapath_id") && e["datapath_id"].is_number_unsigned())
      switch_at[e["datapath_id"].get<std::uint64_t>()] = i;
  }
  std::unordered_map<std::uint64_t, PoolEdit> pools;  // only those the records touch
  auto pool_of = [&](std::uint64_t dp, std::size_t at) -> PoolEdit* {
    auto found = pools.find(dp);
    if (found != pools.end()) return &found->second;
    const json& pool = (*switches)[at].value("pool", json());
    if (!pool.is_object()) return nullptr;
    PoolEdit edit;
    auto list = [&](const char* key) -> const json& {
      static const json kEmpty = json::array();
      auto it = pool.find(key);
      return it != pool.end() && it->is_array() ? *it : kEmpty;
    };
    for (const json& a : list("in_use"))
      if (a.is_string()) edit.addresses[a.get<std::string>()] = {AddressState::InUse, edit.next_order++, 0};
    for (const json& h : list("held"))
      if (h.is_object() && h.contains("address") && h["address"].is_string())
        edit.addresses[h["address"].get<std::string>()] = {AddressState::Held, edit.next_order++,
                                                            h.value("remaining_ms", std::int64_t{0})};
    for (const json& a : list("free")) {
      if (!a.is_string()) continue;
      const std::string text = a.get<std::string>();
      if (auto stretch = parse_stretch(text, edit.next_order)) {
        edit.stretches.push_back(*stretch);
        ++edit.next_order;
      } else {
        edit.addresses[text] = {AddressState::Free, edit.next_order++, 0};  // restore judges it
      }
    }
    return &pools.emplace(dp, std::move(edit)).first->second;
  };

  for (std::size_t r = 0; r < records.size(); ++r) {
    const json& record = records[r];
    const std::string path = JsonCheck::element("changes", r);
    if (!c.is_object(record, path)) continue;
    auto each = [&](const char* key, auto&& f) {
      auto it = record.find(key);
      if (it == record.end()) return;
      const std::string list_path = JsonCheck::member(path, key);
      if (!c.is_array(*it, list_path)) return;
      for (std::size_t i = 0; i < it->size(); ++i) f((*it)[i], JsonCheck::element(list_path, i));
    };
    each("vmns", [&](const json& e, const std::string& at) {
      if (!c.is_object(e, at)) return;
      const json* mac = c.required(e, at, "mac");
      if (mac == nullptr || !mac->is_string()) return c.error(JsonCheck::member(at, "mac"), "not a MAC address");
      const std::string key = mac->get<std::string>();
      if (auto it = vmn_at.find(key); it != vmn_at.end()) {
        (*vmns)[it->second] = e;
        return;
      }
      vmn_at[key] = vmns->size();
      vmns->push_back(e);
      vmn_removed.push_back(false);
    });
    each("removed", [&](const json& e, const std::string& at) {
      if (!e.is_string()) return c.error(at, "not a MAC address");
      if (auto it = vmn_at.find(e.get<std::string>()); it != vmn_at.end()) {
        vmn_removed[it->second] = true;
        vmn_at.erase(it);
      }
    });
    each("addresses", [&](const json& e, const std::string& at) {
      if (!c.is_object(e, at)) return;
      const auto dp = c.integer<std::uint64_t>(e, at, "datapath_id");
      const json* address = c.required(e, at, "address");
      const json* state = c.required(e, at, "state");
      if (!dp || address == nullptr || state == nullptr) return;
      if (!address->is_string()) return c.error(JsonCheck::member(at, "address"), "not an IPv4 address");
      auto sw = switch_at.find(*dp);
      if (sw == switch_at.end()) return c.error(at, fmt::format("datapath {:#x} is not in the snapshot", *dp));
      PoolEdit* pool = pool_of(*dp, sw->second);
      if (pool == nullptr) return c.error(at, fmt::format("datapath {:#x} has no pool in the snapshot", *dp));
      AddressEntry entry{AddressState::InUse, pool->next_order++, 0};
      if (*state == "held") {
        entry.state = AddressState::Held;
        entry.remaining_ms = e.value("remaining_ms", std::int64_t{0});
      } else if (*state == "free") {
        entry.state = AddressState::Free;
      } else if (*state != "in_use") {
        return c.error(JsonCheck::member(at, "state"), "not in_use, held or free");
      }
      if (auto parsed = Ipv4Address::parse(address->get<std::string>())) pool->carve(parsed->value);
      pool->addresses[address->get<std::string>()] = entry;
    });
    each("switches", [&](const json& e, const std::string& at) {
      if (!c.is_object(e, at)) return;
      const auto dp = c.integer<std::uint64_t>(e, at, "datapath_id");
      if (!dp) return;
      auto sw = switch_at.find(*dp);
      if (sw == switch_at.end()) return c.error(at, fmt::format("datapath {:#x} is not in the snapshot", *dp));
      json& target = (*switches)[sw->second];
      for (const char* key : {"learned_gateway_mac", "uplink_port", "base_generation"})
        if (auto it = e.find(key); it != e.end()) target[key] = *it;
    });
  }
  if (!c.ok()) return unexpected(c.message());

  if (std::find(vmn_removed.begin(), vmn_removed.end(), true) != vmn_removed.end()) {
    json kept = json::array();
    for (std::size_t i = 0; i < vmns->size(); ++i)
      if (!vmn_removed[i]) kept.push_back(std::move((*vmns)[i]));
    *vmns = std::move(kept);
  }
  for (auto& [dp, edit] : pools) {
    std::vector<std::pair<std::uint64_t, const std::string*>> in_use, held;
    // The free list: its single addresses and what is left of its stretches, in list order
    // (the pieces of one stretch by address).
    std::vector<std::tuple<std::uint64_t, std::uint32_t, std::string>> free;
    for (const auto& [address, entry] : edit.addresses) {
      if (entry.state == AddressState::Free) {
        auto parsed = Ipv4Address::parse(address);
        free.emplace_back(entry.order, parsed ? parsed->value : 0, address);
        continue;
      }
      (entry.state == AddressState::InUse ? in_use : held).emplace_back(entry.order, &address);
    }
    for (const Stretch& st : edit.stretches) {
      const std::string first = Ipv4Address{st.first}.to_string();
      free.emplace_back(st.order, st.first, st.first == st.last ? first : first + "-" + Ipv4Address{st.last}.to_string());
    }
    for (auto* list : {&in_use, &held}) std::sort(list->begin(), list->end());
    std::sort(free.begin(), free.end());
    json& pool = (*switches)[switch_at.at(dp)]["pool"];
    json in_use_json = json::array(), held_json = json::array(), free_json = json::array();
    for (const auto& [order, address] : in_use) in_use_json.push_back(*address);
    for (const auto& [order, address] : held)
      held_json.push_back({{"address", *address}, {"remaining_ms", edit.addresses.at(*address).remaining_ms}});
    for (const auto& [order, first, text] : free) free_json.push_back(text);
    pool["in_use"] = std::move(in_use_json);
    pool["held"] = std::move(held_json);
    pool["free"] = std::move(free_json);
  }
  return {};
}

}  // namespace vmnmob::mobility
