// OpenFlow 1.3.5 numeric constants (spec section 7, "The OpenFlow Switch Protocol").
#pragma once

#include <cstdint>

namespace vmnmob::ofp {

inline constexpr std::uint8_t kVersion = 0x04;  // OFP_VERSION for 1.3
inline constexpr std::size_t kHeaderLength = 8;
inline constexpr std::size_t kMaxMessageLength = 0xffff;
inline constexpr std::uint16_t kDefaultPort = 6653;

enum class MessageType : std::uint8_t {
  Hello = 0,
  Error = 1,
  EchoRequest = 2,
  EchoReply = 3,
  Experimenter = 4,
  FeaturesRequest = 5,
  FeaturesReply = 6,
  GetConfigRequest = 7,
  GetConfigReply = 8,
  SetConfig = 9,
  PacketIn = 10,
  FlowRemoved = 11,
  PortStatus = 12,
  PacketOut = 13,
  FlowMod = 14,
  GroupMod = 15,
  PortMod = 16,
  TableMod = 17,
  MultipartRequest = 18,
  MultipartReply = 19,
  BarrierRequest = 20,
  BarrierReply = 21,
  QueueGetConfigRequest = 22,
  QueueGetConfigReply = 23,
  RoleRequest = 24,
  RoleReply = 25,
  GetAsyncRequest = 26,
  GetAsyncReply = 27,
  SetAsync = 28,
  MeterMod = 29,
};

// Reserved port numbers (ofp_port_no).
namespace port {
inline constexpr std::uint32_t kMax = 0xffffff00;
inline constexpr std::uint32_t kInPort = 0xfffffff8;
inline constexpr std::uint32_t kTable = 0xfffffff9;
inline constexpr std::uint32_t kNormal = 0xfffffffa;
inline constexpr std::uint32_t kFlood = 0xfffffffb;
inline constexpr std::uint32_t kAll = 0xfffffffc;
inline constexpr std::uint32_t kController = 0xfffffffd;
inline constexpr std::uint32_t kLocal = 0xfffffffe;
inline constexpr std::uint32_t kAny = 0xffffffff;
}  // namespace port

inline constexpr std::uint32_t kNoBuffer = 0xffffffff;
inline constexpr std::uint32_t kGroupAny = 0xffffffff;
inline constexpr std::uint32_t kGroupAll = 0xfffffffc;
inline constexpr std::uint8_t kTableAll = 0xff;
inline constexpr std::uint16_t kControllerMaxLenNoBuffer = 0xffff;  // OFPCML_NO_BUFFER
inline constexpr std::uint32_t kMeterController = 0xfffffffd;
inline constexpr std::uint32_t kMeterSlowpath = 0xfffffffe;
inline constexpr std::uint32_t kMeterAll = 0xffffffff;

enum class FlowModCommand : std::uint8_t { Add = 0, Modify = 1, ModifyStrict = 2, Delete = 3, DeleteStrict = 4 };

namespace flow_mod_flags {
inline constexpr std::uint16_t kSendFlowRem = 1 << 0;
inline constexpr std::uint16_t kCheckOverlap = 1 << 1;
inline constexpr std::uint16_t kResetCounts = 1 << 2;
inline constexpr std::uint16_t kNoPktCounts = 1 << 3;
inline constexpr std::uint16_t kNoBytCounts = 1 << 4;
}  // namespace flow_mod_flags

enum class GroupModCommand : std::uint16_t { Add = 0, Modify = 1, Delete = 2 };
enum class GroupType : std::uint8_t { All = 0, Select = 1, Indirect = 2, FastFailover = 3 };
enum class MeterModCommand : std::uint16_t { Add = 0, Modify = 1, Delete = 2 };
namespace meter_flags {
inline constexpr std::uint16_t kKbps = 1 << 0;
inline constexpr std::uint16_t kPktps = 1 << 1;
inline constexpr std::uint16_t kBurst = 1 << 2;
inline constexpr std::uint16_t kStats = 1 << 3;
}  // namespace meter_flags
enum class MeterBandType : std::uint16_t { Drop = 1, DscpRemark = 2, Experimenter = 0xffff };

enum class PacketInReason : std::uint8_t { NoMatch = 0, Action = 1, InvalidTtl = 2 };
enum class FlowRemovedReason : std::uint8_t { IdleTimeout = 0, HardTimeout = 1, Delete = 2, GroupDelete = 3 };
enum class PortReason : std::uint8_t { Add = 0, Delete = 1, Modify = 2 };

namespace port_config {
inline constexpr std::uint32_t kPortDown = 1 << 0;
inline constexpr std::uint32_t kNoRecv = 1 << 2;
inline constexpr std::uint32_t kNoFwd = 1 << 5;
inline constexpr std::uint32_t kNoPacketIn = 1 << 6;
}  // namespace port_config
namespace port_state {
inline constexpr std::uint32_t kLinkDown = 1 << 0;
inline constexpr std::uint32_t kBlocked = 1 << 1;
inline constexpr std::uint32_t kLive = 1 << 2;
}  // namespace port_state

namespace config_flags {
inline constexpr std::uint16_t kFragNormal = 0;
inline constexpr std::uint16_t kFragDrop = 1;
inline constexpr std::uint16_t kFragReasm = 2;
inline constexpr std::uint16_t kFragMask = 3;
}  // namespace config_flags

enum class ControllerRole : std::uint32_t { NoChange = 0, Equal = 1, Master = 2, Slave = 3 };

enum class MultipartType : std::uint16_t {
  Desc = 0,
  Flow = 1,
  Aggregate = 2,
  Table = 3,
  PortStats = 4,
  Queue = 5,
  Group = 6,
  GroupDesc = 7,
  GroupFeatures = 8,
  Meter = 9,
  MeterConfig = 10,
  MeterFeatures = 11,
  TableFeatures = 12,
  PortDesc = 13,
  Experimenter = 0xffff,
};
namespace multipart_flags {
inline constexpr std::uint16_t kMore = 1 << 0;  // OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE
}

enum class HelloElementType : std::uint16_t { VersionBitmap = 1 };

enum class ActionType : std::uint16_t {
  Output = 0,
  CopyTtlOut = 11,
  CopyTtlIn = 12,
  SetMplsTtl = 15,
  DecMplsTtl = 16,
  PushVlan = 17,
  PopVlan = 18,
  PushMpls = 19,
  PopMpls = 20,
  SetQueue = 21,
  Group = 22,
  SetNwTtl = 23,
  DecNwTtl = 24,
  SetField = 25,
  PushPbb = 26,
  PopPbb = 27,
  Experimenter = 0xffff,
};

enum class InstructionType : std::uint16_t {
  GotoTable = 1,
  WriteMetadata = 2,
  WriteActions = 3,
  ApplyActions = 4,
  ClearActions = 5,
  Meter = 6,
  Experimenter = 0xffff,
};

// ---- Errors (ofp_error_type and the code enums, spec 7.4.4) ----
enum class ErrorType : std::uint16_t {
  HelloFailed = 0,
  BadRequest = 1,
  BadAction = 2,
  BadInstruction = 3,
  BadMatch = 4,
  FlowModFailed = 5,
  GroupModFailed = 6,
  PortModFailed = 7,
  TableModFailed = 8,
  QueueOpFailed = 9,
  SwitchConfigFailed = 10,
  RoleRequestFailed = 11,
  MeterModFailed = 12,
  TableFeaturesFailed = 13,
  Experimenter = 0xffff,
};

enum class HelloFailedCode : std::uint16_t { Incompatible = 0, Eperm = 1 };
enum class BadRequestCode : std::uint16_t {
  BadVersion = 0, BadType = 1, BadMultipart = 2, BadExperimenter = 3, BadExpType = 4, Eperm = 5,
  BadLen = 6, BufferEmpty = 7, BufferUnknown = 8, BadTableId = 9, IsSlave = 10, BadPort = 11,
  BadPacket = 12, MultipartBufferOverflow = 13,
};
enum class BadActionCode : std::uint16_t {
  BadType = 0, BadLen = 1, BadExperimenter = 2, BadExpType = 3, BadOutPort = 4, BadArgument = 5,
  Eperm = 6, TooMany = 7, BadQueue = 8, BadOutGroup = 9, MatchInconsistent = 10,
  UnsupportedOrder = 11, BadTag = 12, BadSetType = 13, BadSetLen = 14, BadSetArgument = 15,
};
enum class BadInstructionCode : std::uint16_t {
  UnknownInst = 0, UnsupInst = 1, BadTableId = 2, UnsupMetadata = 3, UnsupMetadataMask = 4,
  BadExperimenter = 5, BadExpType = 6, BadLen = 7, Eperm = 8,
};
enum class BadMatchCode : std::uint16_t {
  BadType = 0, BadLen = 1, BadTag = 2, BadDlAddrMask = 3, BadNwAddrMask = 4, BadWildcards = 5,
  BadField = 6, BadValue = 7, BadMask = 8, BadPrereq = 9, DupField = 10, Eperm = 11,
};
enum class FlowModFailedCode : std::uint16_t {
  Unknown = 0, TableFull = 1, BadTableId = 2, Overlap = 3, Eperm = 4, BadTimeout = 5,
  BadCommand = 6, BadFlags = 7,
};
enum class GroupModFailedCode : std::uint16_t {
  GroupExists = 0, InvalidGroup = 1, WeightUnsupported = 2, OutOfGroups = 3, OutOfBuckets = 4,
  ChainingUnsupported = 5, WatchUnsupported = 6, Loop = 7, UnknownGroup = 8, ChainedGroup = 9,
  BadType = 10, BadCommand = 11, BadBucket = 12, BadWatch = 13, Eperm = 14,
};
enum class PortModFailedCode : std::uint16_t {
  BadPort = 0, BadHwAddr = 1, BadConfig = 2, BadAdvertise = 3, Eperm = 4,
};
enum class TableModFailedCode : std::uint16_t { BadTable = 0, BadConfig = 1, Eperm = 2 };
enum class QueueOpFailedCode : std::uint16_t { BadPort = 0, BadQueue = 1, Eperm = 2 };
enum class SwitchConfigFailedCode : std::uint16_t { BadFlags = 0, BadLen = 1, Eperm = 2 };
enum class RoleRequestFailedCode : std::uint16_t { Stale = 0, Unsup = 1, BadRole = 2 };
enum class MeterModFailedCode : std::uint16_t {
  Unknown = 0, MeterExists = 1, InvalidMeter = 2, UnknownMeter = 3, BadCommand = 4, BadFlags = 5,
  BadRate = 6, BadBurst = 7, BadBand = 8, BadBandValue = 9, OutOfMeters = 10, OutOfBands = 11,
};
enum class TableFeaturesFailedCode : std::uint16_t {
  BadTable = 0, BadMetadata = 1, BadType = 2, BadLen = 3, BadArgument = 4, Eperm = 5,
};

}  // namespace vmnmob::ofp
