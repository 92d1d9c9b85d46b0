// Actions (spec 7.2.5) and instructions (spec 7.2.4). Two tables, one per list kind, give
// each known type its name, its exact length (or none for variable-length ones) and its
// decoder; decode_actions/decode_instructions check lengths once, from the table.
#include "vmnmob/ofp/action.hpp"

#include <cstring>
#include <type_traits>

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
struct SetFieldHeaderWire {  // ofp_action_set_field up to its OXM
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
static_assert(sizeof(SetFieldHeaderWire) == 4);
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

template <class W>
void store(ByteWriter& w, const W& wire) {
  static_assert(std::is_trivially_copyable_v<W>);
  w.bytes(std::as_bytes(std::span<const W, 1>(&wire, 1)));
}

template <class Type>
TypeLengthWire type_length(Type type, std::size_t len) {
  TypeLengthWire h{};
  h.type = static_cast<std::uint16_t>(type);
  h.len = static_cast<std::uint16_t>(len);
  return h;
}

// Variable-length parts: write the header with length 0, the body, zero padding to 8 bytes,
// then patch the length (which includes the padding for actions and instructions).
void finish_padded(ByteWriter& w, std::size_t start) {
  w.pad_to(start, kAlign);
  w.patch_u16(start + 2, static_cast<std::uint16_t>(w.size() - start));
}

ByteVector copy_bytes(ByteSpan s) { return ByteVector(s.begin(), s.end()); }

// ---- Action decoders; each gets the whole action, length already checked ----

using ActionDecoder = Result<Action> (*)(ByteSpan action, std::size_t at);

template <class T>
Result<Action> decode_generic(ByteSpan, std::size_t) {
  return Action{T{}};
}

Result<Action> decode_output(ByteSpan a, std::size_t) {
  const auto wire = load<ActionOutputWire>(a);
  return Action{Output{wire.port.value(), wire.max_len.value()}};
}

template <class T>
Result<Action> decode_ttl(ByteSpan a, std::size_t) {
  return Action{T{load<ActionTtlWire>(a).ttl.value()}};
}

template <class T>
Result<Action> decode_ethertype(ByteSpan a, std::size_t) {
  return Action{T{load<ActionEthertypeWire>(a).ethertype.value()}};
}

template <class T>
Result<Action> decode_id32(ByteSpan a, std::size_t) {
  return Action{T{load<ActionId32Wire>(a).id.value()}};
}

Result<Action> decode_experimenter_action(ByteSpan a, std::size_t) {
  const auto wire = load<ExperimenterHeaderWire>(a);
  return Action{ExperimenterAction{wire.experimenter.value(),
                                   copy_bytes(a.subspan(sizeof(ExperimenterHeaderWire)))}};
}

// ofp_action_set_field (spec 7.2.5): one OXM without mask, then zero padding to 8 bytes.
Result<Action> decode_set_field(ByteSpan a, std::size_t at) {
  ByteReader body(a.subspan(sizeof(SetFieldHeaderWire)), at + sizeof(SetFieldHeaderWire));
  Result<OxmTlv> oxm = decode_oxm(body);
  if (!oxm) {
    CodecError e = std::move(oxm).error();
    return unexpected(make_error(ErrorType::BadAction, BadActionCode::BadSetLen, e.offset,
                                 "set_field: " + e.detail));
  }
  if (oxm->has_mask())
    return unexpected(make_error(
        ErrorType::BadAction, BadActionCode::BadSetArgument, at + sizeof(SetFieldHeaderWire),
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
  return Action{SetField{std::move(*oxm)}};
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

using InstructionDecoder = Result<Instruction> (*)(ByteSpan instruction, std::size_t at);

Result<Instruction> decode_goto_table(ByteSpan i, std::size_t) {
  return Instruction{GotoTable{load<InstructionGotoTableWire>(i).table_id.value()}};
}

Result<Instruction> decode_write_metadata(ByteSpan i, std::size_t) {
  const auto wire = load<InstructionWriteMetadataWire>(i);
  return Instruction{WriteMetadata{wire.metadata.value(), wire.metadata_mask.value()}};
}

template <class T>
Result<Instruction> decode_actions_instruction(ByteSpan i, std::size_t at) {
  ByteReader body(i.subspan(sizeof(InstructionActionsWire)), at + sizeof(InstructionActionsWire));
  Result<ActionList> actions = decode_actions(body);
  if (!actions) return unexpected(std::move(actions).error());
  return Instruction{T{std::move(*actions)}};
}

Result<Instruction> decode_clear_actions(ByteSpan, std::size_t) { return Instruction{ClearActions{}}; }

Result<Instruction> decode_meter(ByteSpan i, std::size_t) {
  return Instruction{MeterInstruction{load<InstructionMeterWire>(i).meter_id.value()}};
}

Result<Instruction> decode_experimenter_instruction(ByteSpan i, std::size_t) {
  const auto wire = load<ExperimenterHeaderWire>(i);
  return Instruction{ExperimenterInstruction{
      wire.experimenter.value(), copy_bytes(i.subspan(sizeof(ExperimenterHeaderWire)))}};
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
      out.push_back(Unknown{type, copy_bytes(bytes.subspan(sizeof(TypeLengthWire)))});
      continue;
    }
    auto value = kind->decode(bytes, at);
    if (!value) return unexpected(std::move(value).error());
    out.push_back(std::move(*value));
  }
  return out;
}

// ---- Encoders ----

struct ActionEncoder {
  ByteWriter& w;

  void generic(ActionType type) const {
    ActionGenericWire wire{};
    wire.header = type_length(type, sizeof wire);
    store(w, wire);
  }
  void ttl(ActionType type, std::uint8_t ttl) const {
    ActionTtlWire wire{};
    wire.header = type_length(type, sizeof wire);
    wire.ttl = ttl;
    store(w, wire);
  }
  void ethertype(ActionType type, std::uint16_t ethertype) const {
    ActionEthertypeWire wire{};
    wire.header = type_length(type, sizeof wire);
    wire.ethertype = ethertype;
    store(w, wire);
  }
  void id32(ActionType type, std::uint32_t id) const {
    ActionId32Wire wire{};
    wire.header = type_length(type, sizeof wire);
    wire.id = id;
    store(w, wire);
  }

  void operator()(const Output& a) const {
    ActionOutputWire wire{};
    wire.header = type_length(ActionType::Output, sizeof wire);
    wire.port = a.port;
    wire.max_len = a.max_len;
    store(w, wire);
  }
  void operator()(const CopyTtlOut&) const { generic(ActionType::CopyTtlOut); }
  void operator()(const CopyTtlIn&) const { generic(ActionType::CopyTtlIn); }
  void operator()(const SetMplsTtl& a) const { ttl(ActionType::SetMplsTtl, a.ttl); }
  void operator()(const DecMplsTtl&) const { generic(ActionType::DecMplsTtl); }
  void operator()(const PushVlan& a) const { ethertype(ActionType::PushVlan, a.ethertype); }
  void operator()(const PopVlan&) const { generic(ActionType::PopVlan); }
  void operator()(const PushMpls& a) const { ethertype(ActionType::PushMpls, a.ethertype); }
  void operator()(const PopMpls& a) const { ethertype(ActionType::PopMpls, a.ethertype); }
  void operator()(const SetQueue& a) const { id32(ActionType::SetQueue, a.queue_id); }
  void operator()(const GroupAction& a) const { id32(ActionType::Group, a.group_id); }
  void operator()(const SetNwTtl& a) const { ttl(ActionType::SetNwTtl, a.ttl); }
  void operator()(const DecNwTtl&) const { generic(ActionType::DecNwTtl); }
  void operator()(const PushPbb& a) const { ethertype(ActionType::PushPbb, a.ethertype); }
  void operator()(const PopPbb&) const { generic(ActionType::PopPbb); }
  void operator()(const SetField& a) const {
    const std::size_t start = w.size();
    store(w, type_length(ActionType::SetField, 0));
    encode_oxm(a.field, w);
    finish_padded(w, start);
  }
  void operator()(const ExperimenterAction& a) const {
    const std::size_t start = w.size();
    ExperimenterHeaderWire wire{};
    wire.header = type_length(ActionType::Experimenter, 0);
    wire.experimenter = a.experimenter;
    store(w, wire);
    w.bytes(as_bytes(a.data));
    finish_padded(w, start);
  }
  void operator()(const UnknownAction& a) const {
    const std::size_t start = w.size();
    store(w, type_length(a.type, 0));
    w.bytes(as_bytes(a.body));
    finish_padded(w, start);
  }
};

struct InstructionEncoder {
  ByteWriter& w;

  void actions(InstructionType type, const ActionList& list) const {
    const std::size_t start = w.size();
    InstructionActionsWire wire{};
    wire.header = type_length(type, 0);
    store(w, wire);
    encode_actions(list, w);
    finish_padded(w, start);
  }

  void operator()(const GotoTable& i) const {
    InstructionGotoTableWire wire{};
    wire.header = type_length(InstructionType::GotoTable, sizeof wire);
    wire.table_id = i.table_id;
    store(w, wire);
  }
  void operator()(const WriteMetadata& i) const {
    InstructionWriteMetadataWire wire{};
    wire.header = type_length(InstructionType::WriteMetadata, sizeof wire);
    wire.metadata = i.metadata;
    wire.metadata_mask = i.mask;
    store(w, wire);
  }
  void operator()(const WriteActions& i) const { actions(InstructionType::WriteActions, i.actions); }
  void operator()(const ApplyActions& i) const { actions(InstructionType::ApplyActions, i.actions); }
  void operator()(const ClearActions&) const { actions(InstructionType::ClearActions, {}); }
  void operator()(const MeterInstruction& i) const {
    InstructionMeterWire wire{};
    wire.header = type_length(InstructionType::Meter, sizeof wire);
    wire.meter_id = i.meter_id;
    store(w, wire);
  }
  void operator()(const ExperimenterInstruction& i) const {
    const std::size_t start = w.size();
    ExperimenterHeaderWire wire{};
    wire.header = type_length(InstructionType::Experimenter, 0);
    wire.experimenter = i.experimenter;
    store(w, wire);
    w.bytes(as_bytes(i.data));
    finish_padded(w, start);
  }
  void operator()(const UnknownInstruction& i) const {
    const std::size_t start = w.size();
    store(w, type_length(i.type, 0));
    w.bytes(as_bytes(i.body));
    finish_padded(w, start);
  }
};

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
  const ActionEncoder encoder{w};
  for (const Action& a : actions) std::visit(encoder, a);
}

Result<ActionList> decode_actions(ByteReader& r) {
  return decode_list<Action, UnknownAction>(
      r, find_action_kind,
      {"action", ErrorType::BadAction, static_cast<std::uint16_t>(BadActionCode::BadLen)});
}

void encode_instructions(const InstructionList& instructions, ByteWriter& w) {
  const InstructionEncoder encoder{w};
  for (const Instruction& i : instructions) std::visit(encoder, i);
}

Result<InstructionList> decode_instructions(ByteReader& r) {
  return decode_list<Instruction, UnknownInstruction>(
      r, find_instruction_kind,
      {"instruction", ErrorType::BadInstruction,
       static_cast<std::uint16_t>(BadInstructionCode::BadLen)});
}

}  // namespace vmnmob::ofp
