// Actions (spec 7.2.5) and instructions (spec 7.2.4). Two tables, one per list kind, give
// each known type its name, its exact length (or none for variable-length ones) and its
// decoder; decode_actions/decode_instructions check lengths once, from the table.
#include "vmnmob/ofp/action.hpp"

#include "ofp/detail/put.hpp"

#include <cstring>
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

constexpr std::size_t padded(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

template <class Type>
TypeLengthWire type_length(Type type, std::size_t len) {
  TypeLengthWire h{};
  h.type = static_cast<std::uint16_t>(type);
  h.len = static_cast<std::uint16_t>(len);
  return h;
}

ByteVector copy_bytes(ByteSpan s) { return ByteVector(s.begin(), s.end()); }

// ---- Action decoders ----
//
// Each gets the whole action, its length already checked, and appends the value to `out`
// (appending in place spares a Result<Action> temporary per action).

using ActionDecoder = Status (*)(ByteSpan action, std::size_t at, ActionList& out);

template <class T>
Status decode_generic(ByteSpan, std::size_t, ActionList& out) {
  out.emplace_back(T{});
  return {};
}

Status decode_output(ByteSpan a, std::size_t, ActionList& out) {
  const auto wire = load<ActionOutputWire>(a);
  out.emplace_back(Output{wire.port.value(), wire.max_len.value()});
  return {};
}

template <class T>
Status decode_ttl(ByteSpan a, std::size_t, ActionList& out) {
  out.emplace_back(T{load<ActionTtlWire>(a).ttl.value()});
  return {};
}

template <class T>
Status decode_ethertype(ByteSpan a, std::size_t, ActionList& out) {
  out.emplace_back(T{load<ActionEthertypeWire>(a).ethertype.value()});
  return {};
}

template <class T>
Status decode_id32(ByteSpan a, std::size_t, ActionList& out) {
  out.emplace_back(T{load<ActionId32Wire>(a).id.value()});
  return {};
}

Status decode_experimenter_action(ByteSpan a, std::size_t, ActionList& out) {
  const auto wire = load<ExperimenterHeaderWire>(a);
  out.emplace_back(ExperimenterAction{wire.experimenter.value(),
                                      copy_bytes(a.subspan(sizeof(ExperimenterHeaderWire)))});
  return {};
}

// ofp_action_set_field (spec 7.2.5): one OXM without mask, then zero padding to 8 bytes.
Status decode_set_field(ByteSpan a, std::size_t at, ActionList& out) {
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
                                 fmt::format("set_field: length {} leaves {} bytes after a {}-byte "
                                             "OXM; padding must be under 8",
                                             a.size(), body.remaining(),
                                             oxm->payload().size() + 4)));
  out.emplace_back(SetField{std::move(*oxm)});
  return {};
}

struct ActionKind {
  ActionType type;
  std::string_view name;
  std::size_t length;  // exact wire length, or 0 when variable (then >= 8 and a multiple of 8)
  ActionDecoder decode;
};

constexpr ActionKind kActionKinds[] = {
    {ActionType::Output, "output", sizeof(ActionOutputWire), decode_output},
    {ActionType::CopyTtlOut, "copy_ttl_out", sizeof(ActionGenericWire), decode_generic<CopyTtlOut>},
    {ActionType::CopyTtlIn, "copy_ttl_in", sizeof(ActionGenericWire), decode_generic<CopyTtlIn>},
    {ActionType::SetMplsTtl, "set_mpls_ttl", sizeof(ActionTtlWire), decode_ttl<SetMplsTtl>},
    {ActionType::DecMplsTtl, "dec_mpls_ttl", sizeof(ActionGenericWire), decode_generic<DecMplsTtl>},
    {ActionType::PushVlan, "push_vlan", sizeof(ActionEthertypeWire), decode_ethertype<PushVlan>},
    {ActionType::PopVlan, "pop_vlan", sizeof(ActionGenericWire), decode_generic<PopVlan>},
    {ActionType::PushMpls, "push_mpls", sizeof(ActionEthertypeWire), decode_ethertype<PushMpls>},
    {ActionType::PopMpls, "pop_mpls", sizeof(ActionEthertypeWire), decode_ethertype<PopMpls>},
    {ActionType::SetQueue, "set_queue", sizeof(ActionId32Wire), decode_id32<SetQueue>},
    {ActionType::Group, "group", sizeof(ActionId32Wire), decode_id32<GroupAction>},
    {ActionType::SetNwTtl, "set_nw_ttl", sizeof(ActionTtlWire), decode_ttl<SetNwTtl>},
    {ActionType::DecNwTtl, "dec_nw_ttl", sizeof(ActionGenericWire), decode_generic<DecNwTtl>},
    {ActionType::SetField, "set_field", 0, decode_set_field},
    {ActionType::PushPbb, "push_pbb", sizeof(ActionEthertypeWire), decode_ethertype<PushPbb>},
    {ActionType::PopPbb, "pop_pbb", sizeof(ActionGenericWire), decode_generic<PopPbb>},
    {ActionType::Experimenter, "experimenter", 0, decode_experimenter_action},
};

const ActionKind* find_action_kind(std::uint16_t type) {
  for (const ActionKind& k : kActionKinds)
    if (static_cast<std::uint16_t>(k.type) == type) return &k;
  return nullptr;
}

// ---- Instruction decoders ----

using InstructionDecoder = Status (*)(ByteSpan instruction, std::size_t at, InstructionList& out);

Status decode_goto_table(ByteSpan i, std::size_t, InstructionList& out) {
  out.emplace_back(GotoTable{load<InstructionGotoTableWire>(i).table_id.value()});
  return {};
}

Status decode_write_metadata(ByteSpan i, std::size_t, InstructionList& out) {
  const auto wire = load<InstructionWriteMetadataWire>(i);
  out.emplace_back(WriteMetadata{wire.metadata.value(), wire.metadata_mask.value()});
  return {};
}

template <class T>
Status decode_actions_instruction(ByteSpan i, std::size_t at, InstructionList& out) {
  ByteReader body(i.subspan(sizeof(InstructionActionsWire)), at + sizeof(InstructionActionsWire));
  Result<ActionList> actions = decode_actions(body);
  if (!actions) return unexpected(std::move(actions).error());
  out.emplace_back(T{std::move(*actions)});
  return {};
}

Status decode_clear_actions(ByteSpan, std::size_t, InstructionList& out) {
  out.emplace_back(ClearActions{});
  return {};
}

Status decode_meter(ByteSpan i, std::size_t, InstructionList& out) {
  out.emplace_back(MeterInstruction{load<InstructionMeterWire>(i).meter_id.value()});
  return {};
}

Status decode_experimenter_instruction(ByteSpan i, std::size_t, InstructionList& out) {
  const auto wire = load<ExperimenterHeaderWire>(i);
  out.emplace_back(ExperimenterInstruction{
      wire.experimenter.value(), copy_bytes(i.subspan(sizeof(ExperimenterHeaderWire)))});
  return {};
}

struct InstructionKind {
  InstructionType type;
  std::string_view name;
  std::size_t length;  // exact wire length, or 0 when variable (then >= 8 and a multiple of 8)
  InstructionDecoder decode;
};

constexpr InstructionKind kInstructionKinds[] = {
    {InstructionType::GotoTable, "goto_table", sizeof(InstructionGotoTableWire), decode_goto_table},
    {InstructionType::WriteMetadata, "write_metadata", sizeof(InstructionWriteMetadataWire),
     decode_write_metadata},
    {InstructionType::WriteActions, "write_actions", 0, decode_actions_instruction<WriteActions>},
    {InstructionType::ApplyActions, "apply_actions", 0, decode_actions_instruction<ApplyActions>},
    // Clear-Actions carries no actions (spec 7.2.4), so its length is fixed.
    {InstructionType::ClearActions, "clear_actions", sizeof(InstructionActionsWire),
     decode_clear_actions},
    {InstructionType::Meter, "meter", sizeof(InstructionMeterWire), decode_meter},
    {InstructionType::Experimenter, "experimenter", 0, decode_experimenter_instruction},
};

const InstructionKind* find_instruction_kind(std::uint16_t type) {
  for (const InstructionKind& k : kInstructionKinds)
    if (static_cast<std::uint16_t>(k.type) == type) return &k;
  return nullptr;
}

// ---- The shared list walk ----

struct ListRules {
  std::string_view list;  // "action" or "instruction"
  ErrorType error_type;
  std::uint16_t bad_len;
};

// Walks a list of type-length elements, handing each known one to its table decoder and
// keeping unknown ones as bytes. The length rules are common to actions and instructions:
// at least 8, a multiple of 8, inside the list, and the exact size for fixed-length types.
template <class Value, class Unknown, class Kind>
Result<std::vector<Value>> decode_list(ByteReader& r, const Kind* (*find)(std::uint16_t),
                                       const ListRules& rules) {
  std::vector<Value> out;
  while (!r.empty()) {
    const std::size_t at = r.offset();
    if (r.remaining() < sizeof(TypeLengthWire))
      return unexpected(CodecError{rules.error_type, rules.bad_len, at,
                                   fmt::format("{} header needs 4 bytes, only {} left", rules.list,
                                               r.remaining())});
    const auto header = load<TypeLengthWire>(r.rest());
    const std::uint16_t type = header.type.value();
    const std::size_t len = header.len.value();
    const Kind* kind = find(type);
    const std::size_t fixed = kind != nullptr ? kind->length : 0;
    if (len < kAlign || len % kAlign != 0 || len > r.remaining() || (fixed != 0 && len != fixed)) {
      const std::string what = kind != nullptr ? fmt::format("{} {}", rules.list, kind->name)
                                               : fmt::format("{} type {}", rules.list, type);
      std::string problem =
          len < kAlign          ? fmt::format("{}: length {} is less than 8", what, len)
          : len % kAlign != 0   ? fmt::format("{}: length {} is not a multiple of 8", what, len)
          : len > r.remaining() ? fmt::format("{}: length {} runs past the end of the list ({} "
                                              "bytes left)",
                                              what, len, r.remaining())
                                : fmt::format("{}: length {} but this type is always {}", what, len,
                                              fixed);
      return unexpected(CodecError{rules.error_type, rules.bad_len, at, std::move(problem)});
    }
    const ByteSpan bytes = r.take(len);
    if (kind == nullptr) {
      out.emplace_back(Unknown{type, copy_bytes(bytes.subspan(sizeof(TypeLengthWire)))});
      continue;
    }
    if (Status s = kind->decode(bytes, at, out); !s) return unexpected(std::move(s.error()));
  }
  return out;
}

// ---- Encoders ----
//
// Encoding runs in two passes over a list: the wire length of every element, then one
// resize of the output buffer and plain stores into it. FLOW_MOD encoding is on the hot path,
// and this keeps it to a single buffer growth per list, with the padding already zero.

// Fixed-size elements: the wire struct of each. Its size is the element's length.
ActionGenericWire generic(ActionType type) {
  ActionGenericWire wire{};
  wire.header = type_length(type, sizeof wire);
  return wire;
}
ActionTtlWire ttl(ActionType type, std::uint8_t value) {
  ActionTtlWire wire{};
  wire.header = type_length(type, sizeof wire);
  wire.ttl = value;
  return wire;
}
ActionEthertypeWire ethertype(ActionType type, std::uint16_t value) {
  ActionEthertypeWire wire{};
  wire.header = type_length(type, sizeof wire);
  wire.ethertype = value;
  return wire;
}
ActionId32Wire id32(ActionType type, std::uint32_t id) {
  ActionId32Wire wire{};
  wire.header = type_length(type, sizeof wire);
  wire.id = id;
  return wire;
}

ActionOutputWire to_wire(const Output& a) {
  ActionOutputWire wire{};
  wire.header = type_length(ActionType::Output, sizeof wire);
  wire.port = a.port;
  wire.max_len = a.max_len;
  return wire;
}
ActionGenericWire to_wire(const CopyTtlOut&) { return generic(ActionType::CopyTtlOut); }
ActionGenericWire to_wire(const CopyTtlIn&) { return generic(ActionType::CopyTtlIn); }
ActionTtlWire to_wire(const SetMplsTtl& a) { return ttl(ActionType::SetMplsTtl, a.ttl); }
ActionGenericWire to_wire(const DecMplsTtl&) { return generic(ActionType::DecMplsTtl); }
ActionEthertypeWire to_wire(const PushVlan& a) { return ethertype(ActionType::PushVlan, a.ethertype); }
ActionGenericWire to_wire(const PopVlan&) { return generic(ActionType::PopVlan); }
ActionEthertypeWire to_wire(const PushMpls& a) { return ethertype(ActionType::PushMpls, a.ethertype); }
ActionEthertypeWire to_wire(const PopMpls& a) { return ethertype(ActionType::PopMpls, a.ethertype); }
ActionId32Wire to_wire(const SetQueue& a) { return id32(ActionType::SetQueue, a.queue_id); }
ActionId32Wire to_wire(const GroupAction& a) { return id32(ActionType::Group, a.group_id); }
ActionTtlWire to_wire(const SetNwTtl& a) { return ttl(ActionType::SetNwTtl, a.ttl); }
ActionGenericWire to_wire(const DecNwTtl&) { return generic(ActionType::DecNwTtl); }
ActionEthertypeWire to_wire(const PushPbb& a) { return ethertype(ActionType::PushPbb, a.ethertype); }
ActionGenericWire to_wire(const PopPbb&) { return generic(ActionType::PopPbb); }

InstructionGotoTableWire to_wire(const GotoTable& i) {
  InstructionGotoTableWire wire{};
  wire.header = type_length(InstructionType::GotoTable, sizeof wire);
  wire.table_id = i.table_id;
  return wire;
}
InstructionWriteMetadataWire to_wire(const WriteMetadata& i) {
  InstructionWriteMetadataWire wire{};
  wire.header = type_length(InstructionType::WriteMetadata, sizeof wire);
  wire.metadata = i.metadata;
  wire.metadata_mask = i.mask;
  return wire;
}
InstructionActionsWire to_wire(const ClearActions&) {
  InstructionActionsWire wire{};
  wire.header = type_length(InstructionType::ClearActions, sizeof wire);
  return wire;
}
InstructionMeterWire to_wire(const MeterInstruction& i) {
  InstructionMeterWire wire{};
  wire.header = type_length(InstructionType::Meter, sizeof wire);
  wire.meter_id = i.meter_id;
  return wire;
}

// Variable-size elements: the fixed part, then a body, then zero padding to 8 bytes.
SetFieldHeaderWire to_wire(const SetField& a) {
  SetFieldHeaderWire wire{};
  wire.header = type_length(ActionType::SetField, 0);
  wire.oxm_header = a.field.header();
  return wire;
}
ByteSpan body(const SetField& a) { return a.field.payload(); }
ExperimenterHeaderWire to_wire(const ExperimenterAction& a) {
  ExperimenterHeaderWire wire{};
  wire.header = type_length(ActionType::Experimenter, 0);
  wire.experimenter = a.experimenter;
  return wire;
}
ByteSpan body(const ExperimenterAction& a) { return as_bytes(a.data); }
UnknownHeaderWire to_wire(const UnknownAction& a) { return {type_length(a.type, 0)}; }
ByteSpan body(const UnknownAction& a) { return as_bytes(a.body); }
ExperimenterHeaderWire to_wire(const ExperimenterInstruction& i) {
  ExperimenterHeaderWire wire{};
  wire.header = type_length(InstructionType::Experimenter, 0);
  wire.experimenter = i.experimenter;
  return wire;
}
ByteSpan body(const ExperimenterInstruction& i) { return as_bytes(i.data); }
UnknownHeaderWire to_wire(const UnknownInstruction& i) { return {type_length(i.type, 0)}; }
ByteSpan body(const UnknownInstruction& i) { return as_bytes(i.body); }

template <class T>
concept PaddedWire = requires(const T& t) {
  to_wire(t).header;
  body(t);
};
template <class T>
concept FixedWire = !PaddedWire<T> && requires(const T& t) { to_wire(t).header; };
template <class T>
concept ActionsWire = std::is_same_v<T, WriteActions> || std::is_same_v<T, ApplyActions>;

std::size_t wire_length(const Action& a);
std::size_t wire_length(const ActionList& actions) {
  std::size_t total = 0;
  for (const Action& a : actions) total += wire_length(a);
  return total;
}

struct WireLength {
  template <FixedWire T>
  std::size_t operator()(const T& e) const {
    return sizeof(to_wire(e));
  }
  template <PaddedWire T>
  std::size_t operator()(const T& e) const {
    return padded(sizeof(to_wire(e)) + body(e).size());
  }
  template <ActionsWire T>
  std::size_t operator()(const T& e) const {
    return sizeof(InstructionActionsWire) + wire_length(e.actions);
  }
};

std::size_t wire_length(const Action& a) { return std::visit(WireLength{}, a); }

// Stores elements into memory that is already sized and zeroed.
struct WireStore {
  std::byte* out;

  template <class W>
  void put(const W& wire) {
    static_assert(std::is_trivially_copyable_v<W>);
    std::memcpy(out, &wire, sizeof wire);
    out += sizeof wire;
  }

  template <FixedWire T>
  void operator()(const T& e) {
    put(to_wire(e));
  }
  template <PaddedWire T>
  void operator()(const T& e) {
    auto wire = to_wire(e);
    const ByteSpan bytes = body(e);
    const std::size_t len = padded(sizeof wire + bytes.size());
    wire.header.len = static_cast<std::uint16_t>(len);
    std::memcpy(out, &wire, sizeof wire);
    if (!bytes.empty()) std::memcpy(out + sizeof wire, bytes.data(), bytes.size());
    out += len;  // the padding is already zero
  }
  template <ActionsWire T>
  void operator()(const T& e) {
    std::byte* const start = out;
    out += sizeof(InstructionActionsWire);
    for (const Action& a : e.actions) std::visit(*this, a);
    // Each action is a multiple of 8 long, so the instruction needs no padding of its own.
    InstructionActionsWire wire{};
    wire.header = type_length(std::is_same_v<T, WriteActions> ? InstructionType::WriteActions
                                                               : InstructionType::ApplyActions,
                              static_cast<std::size_t>(out - start));
    std::memcpy(start, &wire, sizeof wire);
  }
};

// Appends n zero bytes and returns where they start.
std::byte* grow(ByteWriter& w, std::size_t n) {
  ByteVector& buffer = w.buffer();
  const std::size_t at = buffer.size();
  buffer.resize(at + n);
  return buffer.data() + at;
}

template <class List>
std::size_t list_wire_length(const List& list) {
  std::size_t total = 0;
  for (const auto& e : list) total += std::visit(WireLength{}, e);
  return total;
}

template <class List>
std::byte* put_list(std::byte* out, const List& list) {
  WireStore store{out};
  for (const auto& e : list) std::visit(store, e);
  return store.out;
}

template <class List>
void encode_list(const List& list, ByteWriter& w) {
  put_list(grow(w, list_wire_length(list)), list);
}

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

void encode_actions(const ActionList& actions, ByteWriter& w) { encode_list(actions, w); }

Result<ActionList> decode_actions(ByteReader& r) {
  return decode_list<Action, UnknownAction>(
      r, find_action_kind,
      {"action", ErrorType::BadAction, static_cast<std::uint16_t>(BadActionCode::BadLen)});
}

void encode_instructions(const InstructionList& instructions, ByteWriter& w) {
  encode_list(instructions, w);
}

std::size_t detail::instructions_wire_length(const InstructionList& instructions) {
  return list_wire_length(instructions);
}

std::byte* detail::put_instructions(std::byte* out, const InstructionList& instructions) {
  return put_list(out, instructions);
}

Result<InstructionList> decode_instructions(ByteReader& r) {
  return decode_list<Instruction, UnknownInstruction>(
      r, find_instruction_kind,
      {"instruction", ErrorType::BadInstruction,
       static_cast<std::uint16_t>(BadInstructionCode::BadLen)});
}

}  // namespace vmnmob::ofp
