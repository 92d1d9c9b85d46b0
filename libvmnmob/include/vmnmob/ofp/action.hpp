// Actions (spec 7.2.5) and instructions (spec 7.2.4) as plain values.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/constants.hpp"
#include "vmnmob/ofp/error.hpp"
#include "vmnmob/ofp/match.hpp"

namespace vmnmob::ofp {

struct Output {
  std::uint32_t port = 0;
  std::uint16_t max_len = kControllerMaxLenNoBuffer;  // bytes sent to the controller
  friend bool operator==(const Output&, const Output&) = default;
};
struct CopyTtlOut { friend bool operator==(const CopyTtlOut&, const CopyTtlOut&) = default; };
struct CopyTtlIn { friend bool operator==(const CopyTtlIn&, const CopyTtlIn&) = default; };
struct SetMplsTtl {
  std::uint8_t ttl = 0;
  friend bool operator==(const SetMplsTtl&, const SetMplsTtl&) = default;
};
struct DecMplsTtl { friend bool operator==(const DecMplsTtl&, const DecMplsTtl&) = default; };
struct PushVlan {
  std::uint16_t ethertype = 0x8100;
  friend bool operator==(const PushVlan&, const PushVlan&) = default;
};
struct PopVlan { friend bool operator==(const PopVlan&, const PopVlan&) = default; };
struct PushMpls {
  std::uint16_t ethertype = 0x8847;
  friend bool operator==(const PushMpls&, const PushMpls&) = default;
};
struct PopMpls {
  std::uint16_t ethertype = 0x0800;
  friend bool operator==(const PopMpls&, const PopMpls&) = default;
};
struct SetQueue {
  std::uint32_t queue_id = 0;
  friend bool operator==(const SetQueue&, const SetQueue&) = default;
};
struct GroupAction {
  std::uint32_t group_id = 0;
  friend bool operator==(const GroupAction&, const GroupAction&) = default;
};
struct SetNwTtl {
  std::uint8_t ttl = 0;
  friend bool operator==(const SetNwTtl&, const SetNwTtl&) = default;
};
struct DecNwTtl { friend bool operator==(const DecNwTtl&, const DecNwTtl&) = default; };
struct SetField {
  OxmTlv field;  // exactly one OXM without mask (spec 7.2.5.12)
  friend bool operator==(const SetField&, const SetField&) = default;
};
struct PushPbb {
  std::uint16_t ethertype = 0x88e7;
  friend bool operator==(const PushPbb&, const PushPbb&) = default;
};
struct PopPbb { friend bool operator==(const PopPbb&, const PopPbb&) = default; };
/// ofp_action_experimenter: the body after the experimenter id is kept opaque (it includes
/// the padding the experimenter defines, e.g. Nicira's subtype).
struct ExperimenterAction {
  std::uint32_t experimenter = 0;
  ByteVector data;
  friend bool operator==(const ExperimenterAction&, const ExperimenterAction&) = default;
};
/// An action type this codec does not know: kept as the bytes after the 4-byte header.
struct UnknownAction {
  std::uint16_t type = 0;
  ByteVector body;
  friend bool operator==(const UnknownAction&, const UnknownAction&) = default;
};

using Action = std::variant<Output, CopyTtlOut, CopyTtlIn, SetMplsTtl, DecMplsTtl, PushVlan, PopVlan,
                            PushMpls, PopMpls, SetQueue, GroupAction, SetNwTtl, DecNwTtl, SetField,
                            PushPbb, PopPbb, ExperimenterAction, UnknownAction>;
using ActionList = std::vector<Action>;

/// Shorthand builders for the actions the mobility engine writes. The integer form writes the
/// field's width from the table (e.g. 2 bytes for tcp_dst); it has no form for 16-byte fields.
SetField set_field(OxmField f, std::uint64_t value);
SetField set_field(OxmField f, MacAddress value);
SetField set_field(OxmField f, Ipv4Address value);

struct GotoTable {
  std::uint8_t table_id = 0;
  friend bool operator==(const GotoTable&, const GotoTable&) = default;
};
struct WriteMetadata {
  std::uint64_t metadata = 0;
  std::uint64_t mask = 0;
  friend bool operator==(const WriteMetadata&, const WriteMetadata&) = default;
};
struct WriteActions {
  ActionList actions;
  friend bool operator==(const WriteActions&, const WriteActions&) = default;
};
struct ApplyActions {
  ActionList actions;
  friend bool operator==(const ApplyActions&, const ApplyActions&) = default;
};
struct ClearActions { friend bool operator==(const ClearActions&, const ClearActions&) = default; };
struct MeterInstruction {
  std::uint32_t meter_id = 0;
  friend bool operator==(const MeterInstruction&, const MeterInstruction&) = default;
};
struct ExperimenterInstruction {
  std::uint32_t experimenter = 0;
  ByteVector data;
  friend bool operator==(const ExperimenterInstruction&, const ExperimenterInstruction&) = default;
};
struct UnknownInstruction {
  std::uint16_t type = 0;
  ByteVector body;
  friend bool operator==(const UnknownInstruction&, const UnknownInstruction&) = default;
};

using Instruction = std::variant<GotoTable, WriteMetadata, WriteActions, ApplyActions, ClearActions,
                                 MeterInstruction, ExperimenterInstruction, UnknownInstruction>;
using InstructionList = std::vector<Instruction>;

/// Encodes actions back to back, each padded with zeros to a multiple of 8 bytes as the spec
/// requires (experimenter data and unknown bodies too, so those come back longer when they
/// were not already aligned).
void encode_actions(const ActionList& actions, ByteWriter& w);
/// Decodes actions filling exactly the reader's bytes. Every length is checked: at least 8, a
/// multiple of 8, inside the list, exact for fixed-size types (BAD_ACTION/BAD_LEN). A set-field
/// OXM that does not fit gives BAD_SET_LEN, one with a mask BAD_SET_ARGUMENT.
Result<ActionList> decode_actions(ByteReader& r);
void encode_instructions(const InstructionList& instructions, ByteWriter& w);
/// Same length rules as actions, reported as BAD_INSTRUCTION/BAD_LEN; errors inside
/// write/apply-actions keep their BAD_ACTION codes.
Result<InstructionList> decode_instructions(ByteReader& r);

}  // namespace vmnmob::ofp
