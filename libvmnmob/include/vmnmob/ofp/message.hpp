// OpenFlow 1.3 messages as plain value types held in one std::variant (spec section 7).
//
// Field names follow the spec's struct members without their prefixes. Every type compares
// with ==, which the round-trip tests rely on. Anything the codec does not understand is kept
// as an Unknown* value and re-encoded byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/action.hpp"
#include "vmnmob/ofp/constants.hpp"
#include "vmnmob/ofp/match.hpp"

namespace vmnmob::ofp {

#define VMNMOB_OFP_EQ(T) friend bool operator==(const T&, const T&) = default

// ---- Symmetric and handshake messages ----
struct VersionBitmap {
  std::vector<std::uint32_t> bitmaps;  // bit n of word n/32 set = version n supported
  bool supports(std::uint8_t version) const;
  static VersionBitmap of(std::initializer_list<std::uint8_t> versions);
  VMNMOB_OFP_EQ(VersionBitmap);
};
struct UnknownHelloElement {
  std::uint16_t type = 0;
  ByteVector body;
  VMNMOB_OFP_EQ(UnknownHelloElement);
};
using HelloElement = std::variant<VersionBitmap, UnknownHelloElement>;
struct Hello {
  std::vector<HelloElement> elements;
  /// The version bitmap element, if the peer sent one.
  const VersionBitmap* version_bitmap() const;
  VMNMOB_OFP_EQ(Hello);
};

struct ErrorMsg {
  ErrorType type = ErrorType::BadRequest;
  std::uint16_t code = 0;          // for ErrorType::Experimenter: exp_type
  std::uint32_t experimenter = 0;  // only for ErrorType::Experimenter
  ByteVector data;                 // usually the first bytes of the offending request
  VMNMOB_OFP_EQ(ErrorMsg);
};
struct EchoRequest {
  ByteVector data;
  VMNMOB_OFP_EQ(EchoRequest);
};
struct EchoReply {
  ByteVector data;
  VMNMOB_OFP_EQ(EchoReply);
};
struct Experimenter {
  std::uint32_t experimenter = 0;
  std::uint32_t exp_type = 0;
  ByteVector data;
  VMNMOB_OFP_EQ(Experimenter);
};
struct FeaturesRequest { VMNMOB_OFP_EQ(FeaturesRequest); };
struct FeaturesReply {
  std::uint64_t datapath_id = 0;
  std::uint32_t n_buffers = 0;
  std::uint8_t n_tables = 0;
  std::uint8_t auxiliary_id = 0;
  std::uint32_t capabilities = 0;
  std::uint32_t reserved = 0;
  VMNMOB_OFP_EQ(FeaturesReply);
};
struct GetConfigRequest { VMNMOB_OFP_EQ(GetConfigRequest); };
struct SwitchConfig {
  std::uint16_t flags = 0;
  std::uint16_t miss_send_len = kControllerMaxLenNoBuffer;
  VMNMOB_OFP_EQ(SwitchConfig);
};
struct GetConfigReply {
  SwitchConfig config;
  VMNMOB_OFP_EQ(GetConfigReply);
};
struct SetConfig {
  SwitchConfig config;
  VMNMOB_OFP_EQ(SetConfig);
};

// ---- Asynchronous messages ----
struct PacketIn {
  std::uint32_t buffer_id = kNoBuffer;
  std::uint16_t total_len = 0;
  PacketInReason reason = PacketInReason::NoMatch;
  std::uint8_t table_id = 0;
  std::uint64_t cookie = 0;
  Match match;
  Payload data;  // borrowed from the receive buffer after decode (see Payload)
  /// in_port from the match (every switch sends it); 0 if absent.
  std::uint32_t in_port() const;
  VMNMOB_OFP_EQ(PacketIn);
};
struct FlowRemoved {
  std::uint64_t cookie = 0;
  std::uint16_t priority = 0;
  FlowRemovedReason reason = FlowRemovedReason::IdleTimeout;
  std::uint8_t table_id = 0;
  std::uint32_t duration_sec = 0;
  std::uint32_t duration_nsec = 0;
  std::uint16_t idle_timeout = 0;
  std::uint16_t hard_timeout = 0;
  std::uint64_t packet_count = 0;
  std::uint64_t byte_count = 0;
  Match match;
  VMNMOB_OFP_EQ(FlowRemoved);
};
/// ofp_port (spec 7.2.1).
struct Port {
  std::uint32_t port_no = 0;
  MacAddress hw_addr;
  std::string name;  // at most 15 characters on the wire
  std::uint32_t config = 0;
  std::uint32_t state = 0;
  std::uint32_t curr = 0;
  std::uint32_t advertised = 0;
  std::uint32_t supported = 0;
  std::uint32_t peer = 0;
  std::uint32_t curr_speed = 0;
  std::uint32_t max_speed = 0;
  VMNMOB_OFP_EQ(Port);
};
struct PortStatus {
  PortReason reason = PortReason::Add;
  Port desc;
  VMNMOB_OFP_EQ(PortStatus);
};

// ---- Controller-to-switch modifications ----
struct PacketOut {
  std::uint32_t buffer_id = kNoBuffer;
  std::uint32_t in_port = port::kController;
  ActionList actions;
  Payload data;
  VMNMOB_OFP_EQ(PacketOut);
};
struct FlowMod {
  std::uint64_t cookie = 0;
  std::uint64_t cookie_mask = 0;
  std::uint8_t table_id = 0;
  FlowModCommand command = FlowModCommand::Add;
  std::uint16_t idle_timeout = 0;
  std::uint16_t hard_timeout = 0;
  std::uint16_t priority = 0x8000;  // OFP_DEFAULT_PRIORITY
  std::uint32_t buffer_id = kNoBuffer;
  std::uint32_t out_port = port::kAny;
  std::uint32_t out_group = kGroupAny;
  std::uint16_t flags = 0;
  Match match;
  InstructionList instructions;
  VMNMOB_OFP_EQ(FlowMod);
};
struct Bucket {
  std::uint16_t weight = 0;
  std::uint32_t watch_port = port::kAny;
  std::uint32_t watch_group = kGroupAny;
  ActionList actions;
  VMNMOB_OFP_EQ(Bucket);
};
struct GroupMod {
  GroupModCommand command = GroupModCommand::Add;
  GroupType type = GroupType::All;
  std::uint32_t group_id = 0;
  std::vector<Bucket> buckets;
  VMNMOB_OFP_EQ(GroupMod);
};
struct PortMod {
  std::uint32_t port_no = 0;
  MacAddress hw_addr;
  std::uint32_t config = 0;
  std::uint32_t mask = 0;
  std::uint32_t advertise = 0;
  VMNMOB_OFP_EQ(PortMod);
};
struct TableMod {
  std::uint8_t table_id = 0;
  std::uint32_t config = 0;
  VMNMOB_OFP_EQ(TableMod);
};
struct MeterBand {
  MeterBandType type = MeterBandType::Drop;
  std::uint32_t rate = 0;
  std::uint32_t burst_size = 0;
  std::uint8_t prec_level = 0;     // DscpRemark only
  std::uint32_t experimenter = 0;  // Experimenter only
  ByteVector experimenter_data;    // Experimenter only: bytes after the experimenter id
  VMNMOB_OFP_EQ(MeterBand);
};
struct MeterMod {
  MeterModCommand command = MeterModCommand::Add;
  std::uint16_t flags = 0;
  std::uint32_t meter_id = 0;
  std::vector<MeterBand> bands;
  VMNMOB_OFP_EQ(MeterMod);
};

// ---- Multipart (spec 7.3.5) ----
struct DescRequest { VMNMOB_OFP_EQ(DescRequest); };
struct DescReply {
  std::string mfr_desc, hw_desc, sw_desc, serial_num, dp_desc;
  VMNMOB_OFP_EQ(DescReply);
};
/// Body of both OFPMP_FLOW and OFPMP_AGGREGATE requests.
struct FlowStatsRequest {
  std::uint8_t table_id = kTableAll;
  std::uint32_t out_port = port::kAny;
  std::uint32_t out_group = kGroupAny;
  std::uint64_t cookie = 0;
  std::uint64_t cookie_mask = 0;
  Match match;
  VMNMOB_OFP_EQ(FlowStatsRequest);
};
struct AggregateStatsRequest {
  FlowStatsRequest filter;
  VMNMOB_OFP_EQ(AggregateStatsRequest);
};
struct FlowStats {
  std::uint8_t table_id = 0;
  std::uint32_t duration_sec = 0;
  std::uint32_t duration_nsec = 0;
  std::uint16_t priority = 0;
  std::uint16_t idle_timeout = 0;
  std::uint16_t hard_timeout = 0;
  std::uint16_t flags = 0;
  std::uint64_t cookie = 0;
  std::uint64_t packet_count = 0;
  std::uint64_t byte_count = 0;
  Match match;
  InstructionList instructions;
  VMNMOB_OFP_EQ(FlowStats);
};
struct FlowStatsReply {
  std::vector<FlowStats> flows;
  VMNMOB_OFP_EQ(FlowStatsReply);
};
struct AggregateStatsReply {
  std::uint64_t packet_count = 0;
  std::uint64_t byte_count = 0;
  std::uint32_t flow_count = 0;
  VMNMOB_OFP_EQ(AggregateStatsReply);
};
struct TableStatsRequest { VMNMOB_OFP_EQ(TableStatsRequest); };
struct TableStats {
  std::uint8_t table_id = 0;
  std::uint32_t active_count = 0;
  std::uint64_t lookup_count = 0;
  std::uint64_t matched_count = 0;
  VMNMOB_OFP_EQ(TableStats);
};
struct TableStatsReply {
  std::vector<TableStats> tables;
  VMNMOB_OFP_EQ(TableStatsReply);
};
struct PortStatsRequest {
  std::uint32_t port_no = port::kAny;
  VMNMOB_OFP_EQ(PortStatsRequest);
};
struct PortStats {
  std::uint32_t port_no = 0;
  std::uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  std::uint64_t rx_dropped = 0, tx_dropped = 0, rx_errors = 0, tx_errors = 0;
  std::uint64_t rx_frame_err = 0, rx_over_err = 0, rx_crc_err = 0, collisions = 0;
  std::uint32_t duration_sec = 0, duration_nsec = 0;
  VMNMOB_OFP_EQ(PortStats);
};
struct PortStatsReply {
  std::vector<PortStats> ports;
  VMNMOB_OFP_EQ(PortStatsReply);
};
struct PortDescRequest { VMNMOB_OFP_EQ(PortDescRequest); };
struct PortDescReply {
  std::vector<Port> ports;
  VMNMOB_OFP_EQ(PortDescReply);
};
struct GroupDescRequest { VMNMOB_OFP_EQ(GroupDescRequest); };
struct GroupDesc {
  GroupType type = GroupType::All;
  std::uint32_t group_id = 0;
  std::vector<Bucket> buckets;
  VMNMOB_OFP_EQ(GroupDesc);
};
struct GroupDescReply {
  std::vector<GroupDesc> groups;
  VMNMOB_OFP_EQ(GroupDescReply);
};
struct MeterConfigRequest {
  std::uint32_t meter_id = kMeterAll;
  VMNMOB_OFP_EQ(MeterConfigRequest);
};
struct MeterConfig {
  std::uint16_t flags = 0;
  std::uint32_t meter_id = 0;
  std::vector<MeterBand> bands;
  VMNMOB_OFP_EQ(MeterConfig);
};
struct MeterConfigReply {
  std::vector<MeterConfig> meters;
  VMNMOB_OFP_EQ(MeterConfigReply);
};
struct MeterFeaturesRequest { VMNMOB_OFP_EQ(MeterFeaturesRequest); };
/// struct ofp_meter_features (spec 7.3.5.13): what a switch's meters can do.
struct MeterFeaturesReply {
  std::uint32_t max_meter = 0;     // the highest meter id (Open vSwitch: ids 1..max_meter)
  std::uint32_t band_types = 0;    // bit (1 << MeterBandType) per supported band type
  std::uint32_t capabilities = 0;  // meter_flags::k* the switch supports
  std::uint8_t max_bands = 0;
  std::uint8_t max_color = 0;
  bool supports_band(MeterBandType t) const {
    const auto bit = static_cast<std::uint32_t>(t);
    return bit < 32 && (band_types >> bit & 1u) != 0;
  }
  VMNMOB_OFP_EQ(MeterFeaturesReply);
};
/// Any other multipart type (table features, queue, meter stats, experimenter...): raw body.
struct UnknownMultipart {
  std::uint16_t type = 0;
  ByteVector body;
  VMNMOB_OFP_EQ(UnknownMultipart);
};

using MultipartRequestBody =
    std::variant<DescRequest, FlowStatsRequest, AggregateStatsRequest, TableStatsRequest,
                 PortStatsRequest, PortDescRequest, GroupDescRequest, MeterConfigRequest,
                 MeterFeaturesRequest, UnknownMultipart>;
using MultipartReplyBody =
    std::variant<DescReply, FlowStatsReply, AggregateStatsReply, TableStatsReply, PortStatsReply,
                 PortDescReply, GroupDescReply, MeterConfigReply, MeterFeaturesReply, UnknownMultipart>;

struct MultipartRequest {
  std::uint16_t flags = 0;  // multipart_flags::kMore = OFPMPF_REQ_MORE
  MultipartRequestBody body;
  bool more() const { return (flags & multipart_flags::kMore) != 0; }
  VMNMOB_OFP_EQ(MultipartRequest);
};
struct MultipartReply {
  std::uint16_t flags = 0;  // multipart_flags::kMore = OFPMPF_REPLY_MORE
  MultipartReplyBody body;
  bool more() const { return (flags & multipart_flags::kMore) != 0; }
  VMNMOB_OFP_EQ(MultipartReply);
};
/// The OFPMP_* type of a body.
MultipartType multipart_type(const MultipartRequestBody& body);
MultipartType multipart_type(const MultipartReplyBody& body);

// ---- Barrier, role, async ----
struct BarrierRequest { VMNMOB_OFP_EQ(BarrierRequest); };
struct BarrierReply { VMNMOB_OFP_EQ(BarrierReply); };
struct RoleRequest {
  ControllerRole role = ControllerRole::NoChange;
  std::uint64_t generation_id = 0;
  VMNMOB_OFP_EQ(RoleRequest);
};
struct RoleReply {
  ControllerRole role = ControllerRole::Equal;
  std::uint64_t generation_id = 0;
  VMNMOB_OFP_EQ(RoleReply);
};
/// ofp_async_config: index 0 is master/equal, index 1 is slave.
struct AsyncConfig {
  std::uint32_t packet_in_mask[2] = {0, 0};
  std::uint32_t port_status_mask[2] = {0, 0};
  std::uint32_t flow_removed_mask[2] = {0, 0};
  friend bool operator==(const AsyncConfig&, const AsyncConfig&) = default;
};
struct GetAsyncRequest { VMNMOB_OFP_EQ(GetAsyncRequest); };
struct GetAsyncReply {
  AsyncConfig config;
  VMNMOB_OFP_EQ(GetAsyncReply);
};
struct SetAsync {
  AsyncConfig config;
  VMNMOB_OFP_EQ(SetAsync);
};

/// A message type outside the set above (e.g. QUEUE_GET_CONFIG): body after the header.
struct UnknownMessage {
  std::uint8_t type = 0;
  ByteVector body;
  VMNMOB_OFP_EQ(UnknownMessage);
};

#undef VMNMOB_OFP_EQ

using MessageBody =
    std::variant<Hello, ErrorMsg, EchoRequest, EchoReply, Experimenter, FeaturesRequest,
                 FeaturesReply, GetConfigRequest, GetConfigReply, SetConfig, PacketIn, FlowRemoved,
                 PortStatus, PacketOut, FlowMod, GroupMod, PortMod, TableMod, MultipartRequest,
                 MultipartReply, BarrierRequest, BarrierReply, RoleRequest, RoleReply,
                 GetAsyncRequest, GetAsyncReply, SetAsync, MeterMod, UnknownMessage>;

struct Message {
  std::uint8_t version = kVersion;  // differs from 4 only for a peer's HELLO
  std::uint32_t xid = 0;
  MessageBody body;
  friend bool operator==(const Message&, const Message&) = default;
};

/// The OFPT_* type of a body.
MessageType message_type(const MessageBody& body);

}  // namespace vmnmob::ofp
