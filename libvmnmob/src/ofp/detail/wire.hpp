// Private wire structs mirroring OpenFlow 1.3.5 (spec section 7) byte for byte.
//
// Each struct is the fixed part of a spec struct without the leading ofp_header (the codec
// reads and writes the header once for every message) and without any trailing ofp_match,
// array or data. Fields are Boost.Endian unaligned big-endian types, so host and network order
// cannot be mixed and the structs have no padding of their own; the static_asserts tie each
// one to the size the spec's OFP_ASSERT gives (spec size minus header minus 8-byte match).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include <boost/endian/arithmetic.hpp>

#include "vmnmob/base/bytes.hpp"

namespace vmnmob::ofp::wire {

using boost::endian::big_uint16_t;
using boost::endian::big_uint32_t;
using boost::endian::big_uint64_t;
using boost::endian::big_uint8_t;
using MacBytes = std::array<std::uint8_t, 6>;

inline constexpr std::size_t kHeader = 8;     // sizeof(struct ofp_header)
inline constexpr std::size_t kMinMatch = 8;   // struct ofp_match with no OXM fields, padded

struct Header {  // struct ofp_header
  big_uint8_t version;
  big_uint8_t type;
  big_uint16_t length;
  big_uint32_t xid;
};
static_assert(sizeof(Header) == kHeader);

struct HelloElementHeader {  // struct ofp_hello_elem_header
  big_uint16_t type;
  big_uint16_t length;  // header and body, not the padding to 8 that follows
};
static_assert(sizeof(HelloElementHeader) == 4);

struct ErrorBody {  // struct ofp_error_msg
  big_uint16_t type;
  big_uint16_t code;
};
static_assert(kHeader + sizeof(ErrorBody) == 12);

// struct ofp_error_experimenter_msg: type (0xffff), exp_type in the place of code, then this.
struct ErrorExperimenter {
  big_uint32_t experimenter;
};
static_assert(kHeader + sizeof(ErrorBody) + sizeof(ErrorExperimenter) == 16);

struct ExperimenterBody {  // struct ofp_experimenter_header
  big_uint32_t experimenter;
  big_uint32_t exp_type;
};
static_assert(kHeader + sizeof(ExperimenterBody) == 16);

struct FeaturesReply {  // struct ofp_switch_features
  big_uint64_t datapath_id;
  big_uint32_t n_buffers;
  big_uint8_t n_tables;
  big_uint8_t auxiliary_id;
  std::array<std::uint8_t, 2> pad;
  big_uint32_t capabilities;
  big_uint32_t reserved;
};
static_assert(kHeader + sizeof(FeaturesReply) == 32);

struct SwitchConfig {  // struct ofp_switch_config
  big_uint16_t flags;
  big_uint16_t miss_send_len;
};
static_assert(kHeader + sizeof(SwitchConfig) == 12);

struct PacketIn {  // struct ofp_packet_in up to the match
  big_uint32_t buffer_id;
  big_uint16_t total_len;
  big_uint8_t reason;
  big_uint8_t table_id;
  big_uint64_t cookie;
};
static_assert(kHeader + sizeof(PacketIn) + kMinMatch == 32);
inline constexpr std::size_t kPacketInPad = 2;  // between the match and the frame

struct FlowRemoved {  // struct ofp_flow_removed up to the match
  big_uint64_t cookie;
  big_uint16_t priority;
  big_uint8_t reason;
  big_uint8_t table_id;
  big_uint32_t duration_sec;
  big_uint32_t duration_nsec;
  big_uint16_t idle_timeout;
  big_uint16_t hard_timeout;
  big_uint64_t packet_count;
  big_uint64_t byte_count;
};
static_assert(kHeader + sizeof(FlowRemoved) + kMinMatch == 56);

struct Port {  // struct ofp_port
  big_uint32_t port_no;
  std::array<std::uint8_t, 4> pad;
  MacBytes hw_addr;
  std::array<std::uint8_t, 2> pad2;
  std::array<char, 16> name;  // OFP_MAX_PORT_NAME_LEN, NUL-terminated
  big_uint32_t config;
  big_uint32_t state;
  big_uint32_t curr;
  big_uint32_t advertised;
  big_uint32_t supported;
  big_uint32_t peer;
  big_uint32_t curr_speed;
  big_uint32_t max_speed;
};
static_assert(sizeof(Port) == 64);

struct PortStatus {  // struct ofp_port_status up to desc
  big_uint8_t reason;
  std::array<std::uint8_t, 7> pad;
};
static_assert(kHeader + sizeof(PortStatus) + sizeof(Port) == 80);

struct PacketOut {  // struct ofp_packet_out
  big_uint32_t buffer_id;
  big_uint32_t in_port;
  big_uint16_t actions_len;
  std::array<std::uint8_t, 6> pad;
};
static_assert(kHeader + sizeof(PacketOut) == 24);

struct FlowMod {  // struct ofp_flow_mod up to the match
  big_uint64_t cookie;
  big_uint64_t cookie_mask;
  big_uint8_t table_id;
  big_uint8_t command;
  big_uint16_t idle_timeout;
  big_uint16_t hard_timeout;
  big_uint16_t priority;
  big_uint32_t buffer_id;
  big_uint32_t out_port;
  big_uint32_t out_group;
  big_uint16_t flags;
  std::array<std::uint8_t, 2> pad;
};
static_assert(kHeader + sizeof(FlowMod) + kMinMatch == 56);

struct GroupMod {  // struct ofp_group_mod up to the buckets
  big_uint16_t command;
  big_uint8_t type;
  big_uint8_t pad;
  big_uint32_t group_id;
};
static_assert(kHeader + sizeof(GroupMod) == 16);

struct Bucket {  // struct ofp_bucket up to the actions
  big_uint16_t len;
  big_uint16_t weight;
  big_uint32_t watch_port;
  big_uint32_t watch_group;
  std::array<std::uint8_t, 4> pad;
};
static_assert(sizeof(Bucket) == 16);

struct PortMod {  // struct ofp_port_mod
  big_uint32_t port_no;
  std::array<std::uint8_t, 4> pad;
  MacBytes hw_addr;
  std::array<std::uint8_t, 2> pad2;
  big_uint32_t config;
  big_uint32_t mask;
  big_uint32_t advertise;
  std::array<std::uint8_t, 4> pad3;
};
static_assert(kHeader + sizeof(PortMod) == 40);

struct TableMod {  // struct ofp_table_mod
  big_uint8_t table_id;
  std::array<std::uint8_t, 3> pad;
  big_uint32_t config;
};
static_assert(kHeader + sizeof(TableMod) == 16);

struct MeterMod {  // struct ofp_meter_mod up to the bands
  big_uint16_t command;
  big_uint16_t flags;
  big_uint32_t meter_id;
};
static_assert(kHeader + sizeof(MeterMod) == 16);

struct MeterBand {  // struct ofp_meter_band_header plus the 4 bytes every 1.3 band type adds
  big_uint16_t type;
  big_uint16_t len;
  big_uint32_t rate;
  big_uint32_t burst_size;
  // drop: pad[4]; dscp_remark: prec_level, pad[3]; experimenter: experimenter id.
  std::array<std::uint8_t, 4> tail;
};
static_assert(sizeof(MeterBand) == 16);

struct MultipartHeader {  // struct ofp_multipart_request / _reply up to body
  big_uint16_t type;
  big_uint16_t flags;
  std::array<std::uint8_t, 4> pad;
};
static_assert(kHeader + sizeof(MultipartHeader) == 16);

struct Desc {  // struct ofp_desc
  std::array<char, 256> mfr_desc;
  std::array<char, 256> hw_desc;
  std::array<char, 256> sw_desc;
  std::array<char, 32> serial_num;
  std::array<char, 256> dp_desc;
};
static_assert(sizeof(Desc) == 1056);

struct FlowStatsRequest {  // struct ofp_flow_stats_request (= ofp_aggregate_stats_request)
  big_uint8_t table_id;
  std::array<std::uint8_t, 3> pad;
  big_uint32_t out_port;
  big_uint32_t out_group;
  std::array<std::uint8_t, 4> pad2;
  big_uint64_t cookie;
  big_uint64_t cookie_mask;
};
static_assert(sizeof(FlowStatsRequest) + kMinMatch == 40);

struct FlowStats {  // struct ofp_flow_stats up to the match
  big_uint16_t length;
  big_uint8_t table_id;
  big_uint8_t pad;
  big_uint32_t duration_sec;
  big_uint32_t duration_nsec;
  big_uint16_t priority;
  big_uint16_t idle_timeout;
  big_uint16_t hard_timeout;
  big_uint16_t flags;
  std::array<std::uint8_t, 4> pad2;
  big_uint64_t cookie;
  big_uint64_t packet_count;
  big_uint64_t byte_count;
};
static_assert(sizeof(FlowStats) + kMinMatch == 56);

struct AggregateStatsReply {  // struct ofp_aggregate_stats_reply
  big_uint64_t packet_count;
  big_uint64_t byte_count;
  big_uint32_t flow_count;
  std::array<std::uint8_t, 4> pad;
};
static_assert(sizeof(AggregateStatsReply) == 24);

struct TableStats {  // struct ofp_table_stats
  big_uint8_t table_id;
  std::array<std::uint8_t, 3> pad;
  big_uint32_t active_count;
  big_uint64_t lookup_count;
  big_uint64_t matched_count;
};
static_assert(sizeof(TableStats) == 24);

struct PortStatsRequest {  // struct ofp_port_stats_request
  big_uint32_t port_no;
  std::array<std::uint8_t, 4> pad;
};
static_assert(sizeof(PortStatsRequest) == 8);

struct PortStats {  // struct ofp_port_stats
  big_uint32_t port_no;
  std::array<std::uint8_t, 4> pad;
  big_uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
  big_uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
  big_uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
  big_uint32_t duration_sec;
  big_uint32_t duration_nsec;
};
static_assert(sizeof(PortStats) == 112);

struct GroupDesc {  // struct ofp_group_desc up to the buckets
  big_uint16_t length;
  big_uint8_t type;
  big_uint8_t pad;
  big_uint32_t group_id;
};
static_assert(sizeof(GroupDesc) == 8);

struct MeterMultipartRequest {  // struct ofp_meter_multipart_request
  big_uint32_t meter_id;
  std::array<std::uint8_t, 4> pad;
};
static_assert(sizeof(MeterMultipartRequest) == 8);

struct MeterConfig {  // struct ofp_meter_config up to the bands
  big_uint16_t length;
  big_uint16_t flags;
  big_uint32_t meter_id;
};
static_assert(sizeof(MeterConfig) == 8);

struct MeterFeatures {  // struct ofp_meter_features
  big_uint32_t max_meter;
  big_uint32_t band_types;
  big_uint32_t capabilities;
  big_uint8_t max_bands;
  big_uint8_t max_color;
  std::array<std::uint8_t, 2> pad;
};
static_assert(sizeof(MeterFeatures) == 16);

struct RoleRequest {  // struct ofp_role_request (= ofp_role_reply)
  big_uint32_t role;
  std::array<std::uint8_t, 4> pad;
  big_uint64_t generation_id;
};
static_assert(kHeader + sizeof(RoleRequest) == 24);

struct AsyncConfig {  // struct ofp_async_config
  std::array<big_uint32_t, 2> packet_in_mask;
  std::array<big_uint32_t, 2> port_status_mask;
  std::array<big_uint32_t, 2> flow_removed_mask;
};
static_assert(kHeader + sizeof(AsyncConfig) == 32);

template <class W>
concept WireStruct = std::is_trivially_copyable_v<W> && std::alignment_of_v<W> == 1;

/// Reads a whole wire struct. On a short read the reader fails (sticky) and a zeroed struct
/// is returned; callers check the reader once after reading what they need.
template <WireStruct W>
W read(ByteReader& r) noexcept {
  W w{};
  ByteSpan s = r.take(sizeof(W));
  if (s.size() == sizeof(W)) std::memcpy(&w, s.data(), sizeof(W));
  return w;
}

template <WireStruct W>
void write(ByteWriter& w, const W& v) {
  w.bytes(std::as_bytes(std::span<const W, 1>(&v, 1)));
}

}  // namespace vmnmob::ofp::wire
