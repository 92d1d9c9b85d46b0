// A fake OpenFlow 1.3 switch pipeline for tests (after Faucet's fakeoftable.py).
//
// FlowTable applies flow-mods as OF 1.3.5 section 6.4 describes — ADD replaces an entry with
// an identical match and priority (cookie included), MODIFY and DELETE select entries by
// table, cookie/mask, out_port and match (non-strict: the entry's match must contain the
// request's fields; strict: identical match and priority) — and answers "where does this
// packet go and how is it rewritten" by running a packet through the tables (section 5:
// apply-actions at once, write-actions into the action set, goto-table, action set executed
// when no goto remains). Only the fields the mobility engine uses are interpreted; a flow
// matching on any other field never matches a packet.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "vmnmob/base/address.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::fakes {

struct FlowEntry {
  std::uint8_t table_id = 0;
  std::uint16_t priority = 0;
  std::uint64_t cookie = 0;
  ofp::Match match;
  ofp::InstructionList instructions;
  friend bool operator==(const FlowEntry&, const FlowEntry&) = default;
};

/// The header fields a packet carries through the fake pipeline.
struct Packet {
  std::uint32_t in_port = 0;
  MacAddress eth_src;
  MacAddress eth_dst;
  std::uint16_t eth_type = 0x0800;
  Ipv4Address ipv4_src;
  Ipv4Address ipv4_dst;
  std::uint16_t arp_op = 0;
  friend bool operator==(const Packet&, const Packet&) = default;
};

struct Delivery {
  std::uint32_t port = 0;
  Packet packet;
};

struct TraceResult {
  std::vector<Delivery> outputs;  // in the order the switch would send them
  bool to_controller = false;
  bool dropped = false;                  // some table had no matching entry
  std::vector<std::uint64_t> cookies;    // of every entry the packet hit
};

/// Canonical form of a match: fields sorted, so "identical match" ignores TLV order.
inline std::vector<ofp::OxmTlv> canonical(const ofp::Match& m) {
  std::vector<ofp::OxmTlv> f = m.fields;
  std::sort(f.begin(), f.end(), [](const ofp::OxmTlv& a, const ofp::OxmTlv& b) {
    auto pa = a.payload();
    auto pb = b.payload();
    return std::make_tuple(a.header(), std::vector<std::byte>(pa.begin(), pa.end())) <
           std::make_tuple(b.header(), std::vector<std::byte>(pb.begin(), pb.end()));
  });
  return f;
}
inline bool same_match(const ofp::Match& a, const ofp::Match& b) { return canonical(a) == canonical(b); }

class FlowTable {
 public:
  /// Flow-mods are applied; every other message is ignored (barriers complete at once here).
  void apply(const ofp::Message& msg) {
    if (const auto* fm = std::get_if<ofp::FlowMod>(&msg.body)) apply(*fm);
  }

  void apply(const ofp::FlowMod& fm) {
    using ofp::FlowModCommand;
    switch (fm.command) {
      case FlowModCommand::Add: {
        for (FlowEntry& e : entries_) {
          if (e.table_id == fm.table_id && e.priority == fm.priority && same_match(e.match, fm.match)) {
            e.cookie = fm.cookie;  // 6.4: the old entry is replaced, cookie included
            e.instructions = fm.instructions;
            return;
          }
        }
        entries_.push_back({fm.table_id, fm.priority, fm.cookie, fm.match, fm.instructions});
        return;
      }
      case FlowModCommand::Modify:
      case FlowModCommand::ModifyStrict:
        for (FlowEntry& e : entries_)
          if (selected(e, fm, fm.command == FlowModCommand::ModifyStrict)) e.instructions = fm.instructions;
        return;
      case FlowModCommand::Delete:
      case FlowModCommand::DeleteStrict:
        std::erase_if(entries_, [&](const FlowEntry& e) { return selected(e, fm, fm.command == FlowModCommand::DeleteStrict); });
        return;
    }
  }

  const std::vector<FlowEntry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  std::size_t count_cookie(std::uint64_t cookie, std::uint64_t mask = ~std::uint64_t{0}) const {
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(),
                                                  [&](const FlowEntry& e) { return (e.cookie & mask) == (cookie & mask); }));
  }
  /// Entries in a canonical order, for comparing two tables.
  std::vector<FlowEntry> sorted() const {
    std::vector<FlowEntry> out = entries_;
    for (FlowEntry& e : out) e.match.fields = canonical(e.match);
    std::sort(out.begin(), out.end(), [](const FlowEntry& a, const FlowEntry& b) {
      return std::make_tuple(a.table_id, a.priority, a.cookie, key(a.match)) <
             std::make_tuple(b.table_id, b.priority, b.cookie, key(b.match));
    });
    return out;
  }

  /// Runs a packet through the pipeline from table 0.
  TraceResult process(Packet p) const {
    TraceResult r;
    const std::uint32_t ingress = p.in_port;
    std::uint32_t set_output = 0;
    bool action_set_output = false;
    std::vector<ofp::SetField> set_fields;
    std::uint8_t table = 0;
    for (int hops = 0; hops < 256; ++hops) {
      const FlowEntry* hit = nullptr;
      for (const FlowEntry& e : entries_)
        if (e.table_id == table && matches(e.match, p) && (hit == nullptr || e.priority > hit->priority)) hit = &e;
      if (hit == nullptr) {
        r.dropped = true;
        return r;
      }
      r.cookies.push_back(hit->cookie);
      std::optional<std::uint8_t> next;
      for (const ofp::Instruction& ins : hit->instructions) {
        if (const auto* apply = std::get_if<ofp::ApplyActions>(&ins)) {
          for (const ofp::Action& a : apply->actions) run(a, p, ingress, r);
        } else if (const auto* write = std::get_if<ofp::WriteActions>(&ins)) {
          for (const ofp::Action& a : write->actions) {
            if (const auto* o = std::get_if<ofp::Output>(&a)) {
              set_output = o->port;
              action_set_output = true;
            }
            if (const auto* s = std::get_if<ofp::SetField>(&a)) set_fields.push_back(*s);
          }
        } else if (std::holds_alternative<ofp::ClearActions>(ins)) {
          action_set_output = false;
          set_fields.clear();
        } else if (const auto* go = std::get_if<ofp::GotoTable>(&ins)) {
          next = go->table_id;
        }
      }
      if (!next) break;
      if (*next <= table) {  // the spec forbids going backwards; a real switch rejects the flow
        r.dropped = true;
        return r;
      }
      table = *next;
    }
    // Action set (5.10): set-field before output.
    for (const ofp::SetField& s : set_fields) set(s, p);
    if (action_set_output) run(ofp::Output{set_output}, p, ingress, r);
    return r;
  }

 private:
  static std::vector<std::uint64_t> key(const ofp::Match& m) {
    std::vector<std::uint64_t> k;
    for (const ofp::OxmTlv& f : m.fields) {
      k.push_back(f.header());
      k.push_back(f.value().size() <= 8 ? f.value_uint() : 0);
      k.push_back(f.has_mask() && f.mask().size() <= 8 ? f.mask_uint() : 0);
    }
    return k;
  }

  static bool has_output(const FlowEntry& e, std::uint32_t port) {
    for (const ofp::Instruction& ins : e.instructions) {
      const ofp::ActionList* list = nullptr;
      if (const auto* a = std::get_if<ofp::ApplyActions>(&ins)) list = &a->actions;
      if (const auto* w = std::get_if<ofp::WriteActions>(&ins)) list = &w->actions;
      if (list == nullptr) continue;
      for (const ofp::Action& a : *list)
        if (const auto* o = std::get_if<ofp::Output>(&a); o != nullptr && o->port == port) return true;
    }
    return false;
  }

  static bool selected(const FlowEntry& e, const ofp::FlowMod& fm, bool strict) {
    if (fm.table_id != ofp::kTableAll && e.table_id != fm.table_id) return false;
    if ((e.cookie & fm.cookie_mask) != (fm.cookie & fm.cookie_mask)) return false;
    if (fm.out_port != ofp::port::kAny && !has_output(e, fm.out_port)) return false;
    if (strict) return e.priority == fm.priority && same_match(e.match, fm.match);
    // Non-strict: every field of the request must appear in the entry with the same value and
    // mask (entries at least as specific as the request). Wildcard request = all entries.
    for (const ofp::OxmTlv& f : fm.match.fields) {
      const ofp::OxmTlv* g = e.match.find(f.field());
      if (g == nullptr || !(*g == f)) return false;
    }
    return true;
  }

  static bool matches(const ofp::Match& m, const Packet& p) {
    for (const ofp::OxmTlv& f : m.fields) {
      if (!f.is_basic()) return false;
      std::uint64_t v = 0;
      switch (f.field()) {
        case ofp::OxmField::InPort: v = p.in_port; break;
        case ofp::OxmField::EthType: v = p.eth_type; break;
        case ofp::OxmField::EthSrc: v = p.eth_src.to_u64(); break;
        case ofp::OxmField::EthDst: v = p.eth_dst.to_u64(); break;
        case ofp::OxmField::Ipv4Src:
          if (p.eth_type != 0x0800) return false;
          v = p.ipv4_src.value;
          break;
        case ofp::OxmField::Ipv4Dst:
          if (p.eth_type != 0x0800) return false;
          v = p.ipv4_dst.value;
          break;
        case ofp::OxmField::ArpOp:
          if (p.eth_type != 0x0806) return false;
          v = p.arp_op;
          break;
        default: return false;
      }
      std::uint64_t mask = f.has_mask() ? f.mask_uint() : ~std::uint64_t{0};
      if ((v & mask) != (f.value_uint() & mask)) return false;
    }
    return true;
  }

  static void set(const ofp::SetField& s, Packet& p) {
    const ofp::OxmTlv& f = s.field;
    switch (f.field()) {
      case ofp::OxmField::EthSrc: p.eth_src = MacAddress::from_u64(f.value_uint()); break;
      case ofp::OxmField::EthDst: p.eth_dst = MacAddress::from_u64(f.value_uint()); break;
      case ofp::OxmField::Ipv4Src: p.ipv4_src = Ipv4Address{static_cast<std::uint32_t>(f.value_uint())}; break;
      case ofp::OxmField::Ipv4Dst: p.ipv4_dst = Ipv4Address{static_cast<std::uint32_t>(f.value_uint())}; break;
      case ofp::OxmField::EthType: p.eth_type = static_cast<std::uint16_t>(f.value_uint()); break;
      default: break;
    }
  }

  static void run(const ofp::Action& a, Packet& p, std::uint32_t ingress, TraceResult& r) {
    if (const auto* s = std::get_if<ofp::SetField>(&a)) {
      set(*s, p);
    } else if (const auto* o = std::get_if<ofp::Output>(&a)) {
      if (o->port == ofp::port::kController) {
        r.to_controller = true;
      } else if (o->port != ingress) {  // output to the ingress port needs OFPP_IN_PORT
        r.outputs.push_back({o->port, p});
      }
    }
  }

  std::vector<FlowEntry> entries_;
};

}  // namespace vmnmob::fakes
