#include "vmnmob/ofp/flow_text.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace vmnmob::ofp {

namespace {

struct FlowParts {
  std::uint8_t table_id;
  std::uint16_t priority;
  std::uint64_t cookie;
  std::uint16_t idle_timeout;
  std::uint16_t hard_timeout;
  std::uint16_t flags;
  const Match& match;
  const InstructionList& instructions;
};

std::string hex_bytes(ByteSpan b) {
  std::string s;
  for (std::byte x : b) s += fmt::format("{:02x}", static_cast<unsigned>(x));
  return s;
}

std::string port_text(std::uint32_t p) {
  switch (p) {
    case port::kInPort: return "IN_PORT";
    case port::kTable: return "TABLE";
    case port::kNormal: return "NORMAL";
    case port::kFlood: return "FLOOD";
    case port::kAll: return "ALL";
    case port::kController: return "CONTROLLER";
    case port::kLocal: return "LOCAL";
    case port::kAny: return "ANY";
    default: return std::to_string(p);
  }
}

bool all_ones(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0xff}; });
}
bool all_zeros(ByteSpan b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}
/// The prefix length of a contiguous mask, or -1.
int prefix_length(ByteSpan mask) {
  int bits = 0;
  bool ended = false;
  for (std::byte x : mask) {
    const auto v = static_cast<std::uint8_t>(x);
    for (int i = 7; i >= 0; --i) {
      const bool set = (v >> i) & 1u;
      if (set && ended) return -1;
      if (set) ++bits;
      else ended = true;
    }
  }
  return bits;
}

std::string mac_text(ByteSpan b) {
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i)
    s += fmt::format("{}{:02x}", i ? ":" : "", static_cast<unsigned>(b[i]));
  return s;
}
std::string ipv4_text(ByteSpan b) {
  return fmt::format("{}.{}.{}.{}", static_cast<unsigned>(b[0]), static_cast<unsigned>(b[1]),
                     static_cast<unsigned>(b[2]), static_cast<unsigned>(b[3]));
}
/// RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the
/// first of equal runs) as "::".
std::string ipv6_text(ByteSpan b) {
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i)
    g[i] = static_cast<unsigned>(b[2 * i]) << 8 | static_cast<unsigned>(b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[static_cast<std::size_t>(i)] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[static_cast<std::size_t>(j)] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string s;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    s += fmt::format("{:x}", g[static_cast<std::size_t>(i)]);
  }
  return s;
}

std::uint64_t uint_of(ByteSpan b) {
  std::uint64_t v = 0;
  for (std::byte x : b) v = v << 8 | static_cast<std::uint8_t>(x);
  return v;
}

bool hex_field(OxmField f) {
  return f == OxmField::Metadata || f == OxmField::TunnelId || f == OxmField::Ipv6Flabel ||
         f == OxmField::PbbIsid || f == OxmField::Ipv6Exthdr;
}

/// A basic field's value (and mask) as text; the mask part is "" when there is none.
std::string value_text(OxmField f, ByteSpan value, ByteSpan mask) {
  const bool masked = !mask.empty() && !all_ones(mask);
  const std::size_t width = value.size();
  if (f == OxmField::Ipv4Src || f == OxmField::Ipv4Dst || f == OxmField::ArpSpa || f == OxmField::ArpTpa ||
      width == 16) {
    const bool v4 = width == 4;
    std::string s = v4 ? ipv4_text(value) : ipv6_text(value);
    if (!masked) return s;
    const int n = prefix_length(mask);
    return n >= 0 ? fmt::format("{}/{}", s, n) : fmt::format("{}/{}", s, v4 ? ipv4_text(mask) : ipv6_text(mask));
  }
  if (width == 6) return masked ? mac_text(value) + "/" + mac_text(mask) : mac_text(value);
  const std::uint64_t v = uint_of(value);
  if (f == OxmField::EthType) return fmt::format("{:#06x}", v);
  if (f == OxmField::InPort || f == OxmField::InPhyPort) return port_text(static_cast<std::uint32_t>(v));
  if (hex_field(f)) return masked ? fmt::format("{:#x}/{:#x}", v, uint_of(mask)) : fmt::format("{:#x}", v);
  return masked ? fmt::format("{}/{:#x}", v, uint_of(mask)) : std::to_string(v);
}

/// "name=value" of an OXM, or "" for a field masked with all zeros (it matches anything).
std::string oxm_text(const OxmTlv& t) {
  if (t.is_basic()) {
    if (const OxmFieldInfo* info = oxm_field_info(t.field_number());
        info != nullptr && t.value().size() == info->width && (!t.has_mask() || t.mask().size() == info->width)) {
      if (t.has_mask() && all_zeros(t.mask())) return {};
      return fmt::format("{}={}", info->name, value_text(t.field(), t.value(), t.mask()));
    }
  }
  return fmt::format("oxm:{:#06x}:{}={}{}", static_cast<unsigned>(t.oxm_class()), t.field_number(),
                     hex_bytes(t.value()), t.has_mask() ? "/" + hex_bytes(t.mask()) : std::string());
}

std::string set_field_text(const OxmTlv& t) {
  if (t.is_basic()) {
    if (const OxmFieldInfo* info = oxm_field_info(t.field_number()); info != nullptr && t.value().size() == info->width)
      return fmt::format("set_field:{}={}", info->name, value_text(t.field(), t.value(), {}));
  }
  return "set_field:" + oxm_text(t);
}

void append_action(std::vector<std::string>& out, const Action& a) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Output>) {
          out.push_back(x.port == port::kController ? fmt::format("output:CONTROLLER:{}", x.max_len)
                                                     : "output:" + port_text(x.port));
        } else if constexpr (std::is_same_v<T, CopyTtlOut>) {
          out.emplace_back("copy_ttl_out");
        } else if constexpr (std::is_same_v<T, CopyTtlIn>) {
          out.emplace_back("copy_ttl_in");
        } else if constexpr (std::is_same_v<T, SetMplsTtl>) {
          out.push_back(fmt::format("set_mpls_ttl:{}", x.ttl));
        } else if constexpr (std::is_same_v<T, DecMplsTtl>) {
          out.emplace_back("dec_mpls_ttl");
        } else if constexpr (std::is_same_v<T, PushVlan>) {
          out.push_back(fmt::format("push_vlan:{:#06x}", x.ethertype));
        } else if constexpr (std::is_same_v<T, PopVlan>) {
          out.emplace_back("pop_vlan");
        } else if constexpr (std::is_same_v<T, PushMpls>) {
          out.push_back(fmt::format("push_mpls:{:#06x}", x.ethertype));
        } else if constexpr (std::is_same_v<T, PopMpls>) {
          out.push_back(fmt::format("pop_mpls:{:#06x}", x.ethertype));
        } else if constexpr (std::is_same_v<T, SetQueue>) {
          out.push_back(fmt::format("set_queue:{}", x.queue_id));
        } else if constexpr (std::is_same_v<T, GroupAction>) {
          out.push_back(fmt::format("group:{}", x.group_id));
        } else if constexpr (std::is_same_v<T, SetNwTtl>) {
          out.push_back(fmt::format("set_nw_ttl:{}", x.ttl));
        } else if constexpr (std::is_same_v<T, DecNwTtl>) {
          out.emplace_back("dec_nw_ttl");
        } else if constexpr (std::is_same_v<T, SetField>) {
          out.push_back(set_field_text(x.field));
        } else if constexpr (std::is_same_v<T, PushPbb>) {
          out.push_back(fmt::format("push_pbb:{:#06x}", x.ethertype));
        } else if constexpr (std::is_same_v<T, PopPbb>) {
          out.emplace_back("pop_pbb");
        } else if constexpr (std::is_same_v<T, ExperimenterAction>) {
          out.push_back(fmt::format("experimenter:{:#x}:{}", x.experimenter, hex_bytes(x.data)));
        } else {
          out.push_back(fmt::format("action:{}:{}", x.type, hex_bytes(x.body)));
        }
      },
      a);
}

std::string join(const std::vector<std::string>& parts, std::string_view empty) {
  if (parts.empty()) return std::string(empty);
  std::string s;
  for (const auto& p : parts) {
    if (!s.empty()) s += ',';
    s += p;
  }
  return s;
}

/// Execution order of OF 1.3 section 5.9; instructions a switch does not know go last.
int instruction_rank(const Instruction& i) {
  return std::visit(
      [](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, MeterInstruction>) return 0;
        else if constexpr (std::is_same_v<T, ApplyActions>) return 1;
        else if constexpr (std::is_same_v<T, ClearActions>) return 2;
        else if constexpr (std::is_same_v<T, WriteActions>) return 3;
        else if constexpr (std::is_same_v<T, WriteMetadata>) return 4;
        else if constexpr (std::is_same_v<T, GotoTable>) return 5;
        else return 6;
      },
      i);
}

std::string text(const FlowParts& f) {
  std::vector<std::string> match;
  for (const OxmTlv& t : f.match.fields)
    if (std::string s = oxm_text(t); !s.empty()) match.push_back(std::move(s));
  std::sort(match.begin(), match.end());

  std::vector<const Instruction*> ordered;
  for (const Instruction& i : f.instructions) ordered.push_back(&i);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Instruction* a, const Instruction* b) { return instruction_rank(*a) < instruction_rank(*b); });
  std::vector<std::string> actions;
  for (const Instruction* i : ordered) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, MeterInstruction>) {
            actions.push_back(fmt::format("meter:{}", x.meter_id));
          } else if constexpr (std::is_same_v<T, ApplyActions>) {
            for (const Action& a : x.actions) append_action(actions, a);
          } else if constexpr (std::is_same_v<T, ClearActions>) {
            actions.emplace_back("clear_actions");
          } else if constexpr (std::is_same_v<T, WriteActions>) {
            std::vector<std::string> inner;
            for (const Action& a : x.actions) append_action(inner, a);
            actions.push_back(fmt::format("write_actions({})", join(inner, "")));
          } else if constexpr (std::is_same_v<T, WriteMetadata>) {
            actions.push_back(x.mask == ~std::uint64_t{0} ? fmt::format("write_metadata:{:#x}", x.metadata)
                                                          : fmt::format("write_metadata:{:#x}/{:#x}", x.metadata, x.mask));
          } else if constexpr (std::is_same_v<T, GotoTable>) {
            actions.push_back(fmt::format("goto_table:{}", x.table_id));
          } else if constexpr (std::is_same_v<T, ExperimenterInstruction>) {
            actions.push_back(fmt::format("experimenter_instruction:{:#x}:{}", x.experimenter, hex_bytes(x.data)));
          } else {
            actions.push_back(fmt::format("instruction:{}:{}", x.type, hex_bytes(x.body)));
          }
        },
        *i);
  }

  static constexpr std::array<std::pair<std::uint16_t, std::string_view>, 5> kFlags{{
      {flow_mod_flags::kSendFlowRem, "send_flow_rem"},
      {flow_mod_flags::kCheckOverlap, "check_overlap"},
      {flow_mod_flags::kResetCounts, "reset_counts"},
      {flow_mod_flags::kNoPktCounts, "no_packet_counts"},
      {flow_mod_flags::kNoBytCounts, "no_byte_counts"},
  }};
  std::vector<std::string> flags;
  std::uint16_t rest = f.flags;
  for (const auto& [bit, name] : kFlags) {
    if (f.flags & bit) flags.emplace_back(name);
    rest = static_cast<std::uint16_t>(rest & ~bit);
  }
  if (rest != 0) flags.push_back(fmt::format("{:#x}", rest));

  return fmt::format("table={} priority={} cookie={:#x} idle_timeout={} hard_timeout={} flags={} match={} actions={}",
                     f.table_id, f.priority, f.cookie, f.idle_timeout, f.hard_timeout, join(flags, "-"),
                     join(match, "any"), join(actions, "drop"));
}

}  // namespace

std::string flow_text(const FlowMod& m) {
  return text({m.table_id, m.priority, m.cookie, m.idle_timeout, m.hard_timeout, m.flags, m.match, m.instructions});
}

std::string flow_text(const FlowStats& s) {
  return text({s.table_id, s.priority, s.cookie, s.idle_timeout, s.hard_timeout, s.flags, s.match, s.instructions});
}

}  // namespace vmnmob::ofp
