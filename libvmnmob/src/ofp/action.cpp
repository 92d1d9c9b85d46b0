// Actions (spec 7.2.5) and instructions (spec 7.2.4). Two tables, one per list kind, give
// each known type its name, its exact length (or none for variable-length ones), its decoder
// and its encoder. The list walks check lengths once, from the table, and encode a value
// through the row its variant index selects.
#include "vmnmob/ofp/action.hpp"

#include "ofp/detail/put.hpp"
#include "ofp/detail/variant_index.hpp"

#include <array>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

#include <boost/endian/buffers.hpp>
#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

namespace vmnmob::ofp {

namespace {

using Be8 = boost::endian::big_uint8_buf_t;
using Be16 = boost::endian::big_uint16_buf_t;
using Be32 = boost::endian::big_uint32_buf_t;
using Be64 = boost::endian::big_uint64_buf_t;
template <std::size_t N>
using Pad = std::array<std::byte, N>;

// Every action and instruction is a multiple of 8 bytes long (spec 7.2.4, 7.2.5).
constexpr std::size_t kAlign = 8;

// ---- Wire structs, byte for byte as in the spec ----

struct TypeLengthWire {  // ofp_action_header's and ofp_instruction's first 4 bytes
  Be16 type;
  Be16 len;
};
struct ActionGenericWire {  // ofp_action_generic: copy/dec TTL, pop VLAN/PBB
  TypeLengthWire header;
  Pad<4> pad;
};
struct ActionOutputWire {  // ofp_action_output
  TypeLengthWire header;
  Be32 port;
  Be16 max_len;
  Pad<6> pad;
};
struct ActionTtlWire {  // ofp_action_mpls_ttl and ofp_action_nw_ttl
  TypeLengthWire header;
  Be8 ttl;
  Pad<3> pad;
};
struct ActionEthertypeWire {  // ofp_action_push (VLAN, MPLS, PBB) and ofp_action_pop_mpls
  TypeLengthWire header;
  Be16 ethertype;
  Pad<2> pad;
};
struct ActionId32Wire {  // ofp_action_set_queue and ofp_action_group
  TypeLengthWire header;
  Be32 id;
};
struct ExperimenterHeaderWire {  // ofp_action_experimenter_header, ofp_instruction_experimenter
  TypeLengthWire header;
  Be32 experimenter;
};
struct SetFieldHeaderWire {  // ofp_action_set_field up to its OXM's payload
  TypeLengthWire header;
  Be32 oxm_header;
};
struct UnknownHeaderWire {  // what is known of an action or instruction of unknown type
  TypeLengthWire header;
};
struct InstructionGotoTableWire {  // ofp_instruction_goto_table
  TypeLengthWire header;
  Be8 table_id;
  Pad<3> pad;
};
struct InstructionWriteMetadataWire {  // ofp_instruction_write_metadata
  TypeLengthWire header;
  Pad<4> pad;
  Be64 metadata;
  Be64 metadata_mask;
};
struct InstructionActionsWire {  // ofp_instruction_actions, followed by the actions
  TypeLengthWire header;
  Pad<4> pad;
};
struct InstructionMeterWire {  // ofp_instruction_meter
  TypeLengthWire header;
  Be32 meter_id;
};

static_assert(sizeof(TypeLengthWire) == 4);
static_assert(sizeof(ActionGenericWire) == 8);
static_assert(sizeof(ActionOutputWire) == 16);
static_assert(sizeof(ActionTtlWire) == 8);
static_assert(sizeof(ActionEthertypeWire) == 8);
static_assert(sizeof(ActionId32Wire) == 8);
static_assert(sizeof(ExperimenterHeaderWire) == 8);
static_assert(sizeof(SetFieldHeaderWire) == 8);
static_assert(sizeof(UnknownHeaderWire) == 4);
static_assert(sizeof(InstructionGotoTableWire) == 8);
static_assert(sizeof(InstructionWriteMetadataWire) == 24);
static_assert(sizeof(InstructionActionsWire) == 8);
static_assert(sizeof(InstructionMeterWire) == 8);

// Callers have checked that `bytes` holds at least sizeof(W).
template <class W>
W load(ByteSpan bytes) {
  static_assert(std::is_trivially_copyable_v<W>);
  W wire;
  std::memcpy(&wire, bytes.data(), sizeof wire);
  return wire;
}

// Writes the wire struct at out and returns its end.
template <class W>
std::byte* store(std::byte* out, const W& wire) {
  static_assert(std::is_trivially_copyable_v<W>);
  std::memcpy(out, &wire, sizeof wire);
  return out + sizeof wire;
}

constexpr std::size_t padded(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

TypeLengthWire type_length(std::uint16_t type, std::size_t len) {
  TypeLengthWire h{};
  h.type = type;
  h.len = static_cast<std::uint16_t>(len);
  return h;
}

ByteVector copy_bytes(ByteSpan s) { return ByteVector(s.begin(), s.end()); }

// ---- Element codecs ----
//
// A codec carries one kind of element between its value and its wire bytes:
//   kLength                   the exact wire length, or 0 when it varies
//   decode(bytes, at, value)  fills value from the whole element, whose length the list walk
//                             has checked; `at` is its offset, for errors
//   wire_length(value)        the encoded length, for variable-length kinds only
//   put(out, value, type)     writes the element, header included, into zeroed memory and
//                             returns its end
// Encoding runs in two passes over a list: the wire length of every element, then one resize
// of the output buffer and plain stores into it. FLOW_MOD encoding is on the hot path, and this
// keeps it to a single buffer growth per list, with the padding already zero.

// A value's member and the wire field that carries it.
template <auto Member, auto WireField>
struct Field {
  template <class T, class W>
  static void read(T& value, const W& wire) {
    value.*Member = (wire.*WireField).value();
  }
  template <class T, class W>
  static void write(W& wire, const T& value) {
    wire.*WireField = value.*Member;
  }
};

// A fixed-size element: one wire struct, whose fields map one to one to the value's members.
template <class W, class... Fields>
struct Fixed {
  static constexpr std::size_t kLength = sizeof(W);

  template <class T>
  static Status decode(ByteSpan bytes, std::size_t, [[maybe_unused]] T& value) {
    [[maybe_unused]] const auto wire = load<W>(bytes);
    (Fields::read(value, wire), ...);
    return {};
  }
  template <class T>
  static std::byte* put(std::byte* out, [[maybe_unused]] const T& value, std::uint16_t type) {
    W wire{};
    wire.header = type_length(type, sizeof wire);
    (Fields::write(wire, value), ...);
    return store(out, wire);
  }
};

// Variable-size elements end in a body of their own length, then zero padding to 8 bytes.
template <class W>
std::size_t padded_length(ByteSpan body) {
  return padded(sizeof(W) + body.size());
}
template <class W>
std::byte* put_padded(std::byte* out, W wire, std::uint16_t type, ByteSpan body) {
  const std::size_t len = padded_length<W>(body);
  wire.header = type_length(type, len);
  std::memcpy(out, &wire, sizeof wire);
  if (!body.empty()) std::memcpy(out + sizeof wire, body.data(), body.size());
  return out + len;  // the padding is already zero
}

// ofp_action_experimenter_header and ofp_instruction_experimenter: the experimenter id, then
// a body kept opaque.
struct ExperimenterCodec {
  static constexpr std::size_t kLength = 0;

  template <class T>
  static Status decode(ByteSpan bytes, std::size_t, T& value) {
    value.experimenter = load<ExperimenterHeaderWire>(bytes).experimenter.value();
    value.data = copy_bytes(bytes.subspan(sizeof(ExperimenterHeaderWire)));
    return {};
  }
  template <class T>
  static std::size_t wire_length(const T& value) {
    return padded_length<ExperimenterHeaderWire>(as_bytes(value.data));
  }
  template <class T>
  static std::byte* put(std::byte* out, const T& value, std::uint16_t type) {
    ExperimenterHeaderWire wire{};
    wire.experimenter = value.experimenter;
    return put_padded(out, wire, type, as_bytes(value.data));
  }
};

// ---- Tables and the list walks they drive ----

template <class Element>
struct Kind {
  std::uint16_t type;
  std::string_view name;
  std::size_t length;  // exact wire length, or 0 when variable (then >= 8 and a multiple of 8)
  Status (*decode)(ByteSpan element, std::size_t at, std::vector<Element>& out);
  std::size_t (*variable_length)(const Element& e);  // only where `length` is 0
  std::byte* (*put)(std::byte* out, const Element& e, std::uint16_t type);
  std::size_t variant_index;

  std::size_t wire_length(const Element& e) const {
    return length != 0 ? length : variable_length(e);
  }
};

// Decoding appends the value in place, which spares a temporary per element.
template <class Element, class T, class Codec>
Status decode_as(ByteSpan element, std::size_t at, std::vector<Element>& out) {
  return Codec::decode(element, at, *std::get_if<T>(&out.emplace_back(std::in_place_type<T>)));
}
template <class Element, class T, class Codec>
std::size_t wire_length_as(const Element& e) {
  return Codec::wire_length(*std::get_if<T>(&e));
}
template <class Element, class T, class Codec>
std::byte* put_as(std::byte* out, const Element& e, std::uint16_t type) {
  return Codec::put(out, *std::get_if<T>(&e), type);
}

template <class Element, class T, class Codec, class Type>
constexpr Kind<Element> kind(Type type, std::string_view name) {
  static_assert(detail::kIndexOf<T, Element> < std::variant_size_v<Element>);
  std::size_t (*variable_length)(const Element&) = nullptr;
  if constexpr (Codec::kLength == 0) variable_length = &wire_length_as<Element, T, Codec>;
  return {static_cast<std::uint16_t>(type), name, Codec::kLength, &decode_as<Element, T, Codec>,
          variable_length, &put_as<Element, T, Codec>, detail::kIndexOf<T, Element>};
}

// One list kind: its table, the error its length rules report, and the value that keeps an
// element of a type the table does not know (as the bytes after the 4-byte header).
template <class Element, class Unknown>
class ListCodec {
 public:
  template <std::size_t N>
  constexpr ListCodec(const Kind<Element> (&kinds)[N], std::string_view list,
                      ErrorType error_type, std::uint16_t bad_len)
      : kinds_(kinds), list_(list), error_type_(error_type), bad_len_(bad_len) {
    for (const Kind<Element>& k : kinds) by_variant_[k.variant_index] = &k;
  }

  // Every alternative but Unknown has a row.
  constexpr bool complete() const {
    for (std::size_t i = 0; i < by_variant_.size(); ++i)
      if ((by_variant_[i] == nullptr) != (i == detail::kIndexOf<Unknown, Element>)) return false;
    return true;
  }

  // Walks a list of type-length elements, handing each known one to its row's decoder and
  // keeping unknown ones as bytes. The length rules are common to actions and instructions:
  // at least 8, a multiple of 8, inside the list, and the exact size for fixed-length types.
  Result<std::vector<Element>> decode(ByteReader& r) const {
    std::vector<Element> out;
    while (!r.empty()) {
      const std::size_t at = r.offset();
      if (r.remaining() < sizeof(TypeLengthWire))
        return unexpected(CodecError{error_type_, bad_len_, at,
                                     fmt::format("{} header needs 4 bytes, only {} left", list_,
                                                 r.remaining())});
      const auto header = load<TypeLengthWire>(r.rest());
      const std::uint16_t type = header.type.value();
      const std::size_t len = header.len.value();
      const Kind<Element>* kind = find(type);
      const std::size_t fixed = kind != nullptr ? kind->length : 0;
      if (len < kAlign || len % kAlign != 0 || len > r.remaining() || (fixed != 0 && len != fixed))
        return unexpected(length_error(at, kind, type, len, fixed, r.remaining()));
      const ByteSpan bytes = r.take(len);
      if (kind == nullptr) {
        out.emplace_back(Unknown{type, copy_bytes(bytes.subspan(sizeof(TypeLengthWire)))});
        continue;
      }
      if (Status s = kind->decode(bytes, at, out); !s) return unexpected(std::move(s.error()));
    }
    return out;
  }

  std::size_t wire_length(const std::vector<Element>& list) const {
    std::size_t total = 0;
    for (const Element& e : list) {
      const Kind<Element>* kind = by_variant_[e.index()];
      total += kind != nullptr ? kind->wire_length(e)
                               : padded_length<UnknownHeaderWire>(as_bytes(unknown(e).body));
    }
    return total;
  }

  // Writes the list into wire_length(list) zeroed bytes at out and returns the end.
  std::byte* put(std::byte* out, const std::vector<Element>& list) const {
    for (const Element& e : list) {
      if (const Kind<Element>* kind = by_variant_[e.index()]; kind != nullptr) {
        out = kind->put(out, e, kind->type);
      } else {
        const Unknown& u = unknown(e);
        out = put_padded(out, UnknownHeaderWire{}, u.type, as_bytes(u.body));
      }
    }
    return out;
  }

 private:
  const Kind<Element>* find(std::uint16_t type) const {
    for (const Kind<Element>& k : kinds_)
      if (k.type == type) return &k;
    return nullptr;
  }

  static const Unknown& unknown(const Element& e) { return *std::get_if<Unknown>(&e); }

  CodecError length_error(std::size_t at, const Kind<Element>* kind, std::uint16_t type,
                          std::size_t len, std::size_t fixed, std::size_t remaining) const {
    const std::string what = kind != nullptr ? fmt::format("{} {}", list_, kind->name)
                                             : fmt::format("{} type {}", list_, type);
    std::string problem =
        len < kAlign        ? fmt::format("{}: length {} is less than 8", what, len)
        : len % kAlign != 0 ? fmt::format("{}: length {} is not a multiple of 8", what, len)
        : len > remaining   ? fmt::format("{}: length {} runs past the end of the list ({} "
                                          "bytes left)",
                                          what, len, remaining)
                            : fmt::format("{}: length {} but this type is always {}", what, len,
                                          fixed);
    return CodecError{error_type_, bad_len_, at, std::move(problem)};
  }

  std::span<const Kind<Element>> kinds_;
  std::array<const Kind<Element>*, std::variant_size_v<Element>> by_variant_{};
  std::string_view list_;  // "action" or "instruction"
  ErrorType error_type_;
  std::uint16_t bad_len_;
};

// ---- Actions ----

using GenericAction = Fixed<ActionGenericWire>;
using OutputAction = Fixed<ActionOutputWire, Field<&Output::port, &ActionOutputWire::port>,
                           Field<&Output::max_len, &ActionOutputWire::max_len>>;
template <class T>
using TtlAction = Fixed<ActionTtlWire, Field<&T::ttl, &ActionTtlWire::ttl>>;
template <class T>
using EthertypeAction = Fixed<ActionEthertypeWire, Field<&T::ethertype, &ActionEthertypeWire::ethertype>>;
template <auto Member>
using Id32Action = Fixed<ActionId32Wire, Field<Member, &ActionId32Wire::id>>;

// ofp_action_set_field (spec 7.2.5): one OXM without mask, then zero padding to 8 bytes.
struct SetFieldAction {
  static constexpr std::size_t kLength = 0;

  static Status decode(ByteSpan a, std::size_t at, SetField& value) {
    constexpr std::size_t oxm_at = sizeof(TypeLengthWire);
    ByteReader body(a.subspan(oxm_at), at + oxm_at);
    Result<OxmTlv> oxm = decode_oxm(body);
    if (!oxm) {
      CodecError e = std::move(oxm).error();
      return unexpected(make_error(ErrorType::BadAction, BadActionCode::BadSetLen, e.offset,
                                   "set_field: " + e.detail));
    }
    if (oxm->has_mask())
      return unexpected(make_error(
          ErrorType::BadAction, BadActionCode::BadSetArgument, at + oxm_at,
          fmt::format("set_field: OXM 0x{:08x} has a mask; set-field carries a value only "
                      "(spec 7.2.5)",
                      oxm->header())));
    // The padding's content is ignored (as for ofp_match), but its size must be the minimum,
    // or the action's length and its OXM disagree.
    if (body.remaining() >= kAlign)
      return unexpected(make_error(ErrorType::BadAction, BadActionCode::BadSetLen, at,
                                   fmt::format("set_field: length {} leaves {} bytes after a "
                                               "{}-byte OXM; padding must be under 8",
                                               a.size(), body.remaining(),
                                               oxm->payload().size() + 4)));
    value.field = std::move(*oxm);
    return {};
  }
  static std::size_t wire_length(const SetField& a) {
    return padded_length<SetFieldHeaderWire>(a.field.payload());
  }
  static std::byte* put(std::byte* out, const SetField& a, std::uint16_t type) {
    SetFieldHeaderWire wire{};
    wire.oxm_header = a.field.header();
    return put_padded(out, wire, type, a.field.payload());
  }
};

template <class T, class Codec>
constexpr Kind<Action> action(ActionType type, std::string_view name) {
  return kind<Action, T, Codec>(type, name);
}

constexpr Kind<Action> kActionKinds[] = {
    action<Output, OutputAction>(ActionType::Output, "output"),
    action<CopyTtlOut, GenericAction>(ActionType::CopyTtlOut, "copy_ttl_out"),
    action<CopyTtlIn, GenericAction>(ActionType::CopyTtlIn, "copy_ttl_in"),
    action<SetMplsTtl, TtlAction<SetMplsTtl>>(ActionType::SetMplsTtl, "set_mpls_ttl"),
    action<DecMplsTtl, GenericAction>(ActionType::DecMplsTtl, "dec_mpls_ttl"),
    action<PushVlan, EthertypeAction<PushVlan>>(ActionType::PushVlan, "push_vlan"),
    action<PopVlan, GenericAction>(ActionType::PopVlan, "pop_vlan"),
    action<PushMpls, EthertypeAction<PushMpls>>(ActionType::PushMpls, "push_mpls"),
    action<PopMpls, EthertypeAction<PopMpls>>(ActionType::PopMpls, "pop_mpls"),
    action<SetQueue, Id32Action<&SetQueue::queue_id>>(ActionType::SetQueue, "set_queue"),
    action<GroupAction, Id32Action<&GroupAction::group_id>>(ActionType::Group, "group"),
    action<SetNwTtl, TtlAction<SetNwTtl>>(ActionType::SetNwTtl, "set_nw_ttl"),
    action<DecNwTtl, GenericAction>(ActionType::DecNwTtl, "dec_nw_ttl"),
    action<SetField, SetFieldAction>(ActionType::SetField, "set_field"),
    action<PushPbb, EthertypeAction<PushPbb>>(ActionType::PushPbb, "push_pbb"),
    action<PopPbb, GenericAction>(ActionType::PopPbb, "pop_pbb"),
    action<ExperimenterAction, ExperimenterCodec>(ActionType::Experimenter, "experimenter"),
};

constexpr ListCodec<Action, UnknownAction> kActions{
    kActionKinds, "action", ErrorType::BadAction, static_cast<std::uint16_t>(BadActionCode::BadLen)};
static_assert(kActions.complete());

// ---- Instructions ----

using GotoTableInstruction =
    Fixed<InstructionGotoTableWire, Field<&GotoTable::table_id, &InstructionGotoTableWire::table_id>>;
using WriteMetadataInstruction =
    Fixed<InstructionWriteMetadataWire,
          Field<&WriteMetadata::metadata, &InstructionWriteMetadataWire::metadata>,
          Field<&WriteMetadata::mask, &InstructionWriteMetadataWire::metadata_mask>>;
// Clear-Actions carries no actions (spec 7.2.4), so its length is fixed.
using ClearActionsInstruction = Fixed<InstructionActionsWire>;
using MeterInstructionCodec =
    Fixed<InstructionMeterWire, Field<&MeterInstruction::meter_id, &InstructionMeterWire::meter_id>>;

// ofp_instruction_actions (Write-Actions, Apply-Actions): the header, then an action list.
struct ActionsInstruction {
  static constexpr std::size_t kLength = 0;

  template <class T>
  static Status decode(ByteSpan i, std::size_t at, T& value) {
    ByteReader body(i.subspan(sizeof(InstructionActionsWire)), at + sizeof(InstructionActionsWire));
    Result<ActionList> actions = kActions.decode(body);
    if (!actions) return unexpected(std::move(actions).error());
    value.actions = std::move(*actions);
    return {};
  }
  template <class T>
  static std::size_t wire_length(const T& value) {
    return sizeof(InstructionActionsWire) + kActions.wire_length(value.actions);
  }
  template <class T>
  static std::byte* put(std::byte* out, const T& value, std::uint16_t type) {
    // Each action is a multiple of 8 long, so the instruction needs no padding of its own.
    std::byte* const end = kActions.put(out + sizeof(InstructionActionsWire), value.actions);
    InstructionActionsWire wire{};
    wire.header = type_length(type, static_cast<std::size_t>(end - out));
    store(out, wire);
    return end;
  }
};

template <class T, class Codec>
constexpr Kind<Instruction> instruction(InstructionType type, std::string_view name) {
  return kind<Instruction, T, Codec>(type, name);
}

constexpr Kind<Instruction> kInstructionKinds[] = {
    instruction<GotoTable, GotoTableInstruction>(InstructionType::GotoTable, "goto_table"),
    instruction<WriteMetadata, WriteMetadataInstruction>(InstructionType::WriteMetadata,
                                                         "write_metadata"),
    instruction<WriteActions, ActionsInstruction>(InstructionType::WriteActions, "write_actions"),
    instruction<ApplyActions, ActionsInstruction>(InstructionType::ApplyActions, "apply_actions"),
    instruction<ClearActions, ClearActionsInstruction>(InstructionType::ClearActions,
                                                       "clear_actions"),
    instruction<MeterInstruction, MeterInstructionCodec>(InstructionType::Meter, "meter"),
    instruction<ExperimenterInstruction, ExperimenterCodec>(InstructionType::Experimenter,
                                                            "experimenter"),
};

// Errors inside write/apply-actions keep their BAD_ACTION codes.
constexpr ListCodec<Instruction, UnknownInstruction> kInstructions{
    kInstructionKinds, "instruction", ErrorType::BadInstruction,
    static_cast<std::uint16_t>(BadInstructionCode::BadLen)};
static_assert(kInstructions.complete());

}  // namespace

// ---- Builders ----

SetField set_field(OxmField f, std::uint64_t value) {
  const std::uint64_t big = boost::endian::native_to_big(value);
  ByteSpan all = std::as_bytes(std::span<const std::uint64_t, 1>(&big, 1));
  // Fields wider than 8 bytes (IPv6 addresses) have no integer form; they get the low 8
  // bytes and validate() then reports the width.
  const std::size_t width = std::min<std::size_t>(oxm_field_info(f).width, sizeof value);
  return SetField{OxmTlv(f, all.last(width))};
}

SetField set_field(OxmField f, MacAddress value) {
  return SetField{OxmTlv(f, std::as_bytes(std::span(value.octets)))};
}

SetField set_field(OxmField f, Ipv4Address value) {
  const std::uint32_t big = boost::endian::native_to_big(value.value);
  return SetField{OxmTlv(f, std::as_bytes(std::span<const std::uint32_t, 1>(&big, 1)))};
}

// ---- Lists ----

void encode_actions(const ActionList& actions, ByteWriter& w) {
  kActions.put(detail::grow(w, kActions.wire_length(actions)), actions);
}

Result<ActionList> decode_actions(ByteReader& r) { return kActions.decode(r); }

void encode_instructions(const InstructionList& instructions, ByteWriter& w) {
  kInstructions.put(detail::grow(w, kInstructions.wire_length(instructions)), instructions);
}

std::size_t detail::instructions_wire_length(const InstructionList& instructions) {
  return kInstructions.wire_length(instructions);
}

std::byte* detail::put_instructions(std::byte* out, const InstructionList& instructions) {
  return kInstructions.put(out, instructions);
}

Result<InstructionList> decode_instructions(ByteReader& r) { return kInstructions.decode(r); }

}  // namespace vmnmob::ofp
