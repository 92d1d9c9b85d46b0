// Value types for the headers the controller reads and writes: Ethernet (with an optional
// 802.1Q tag), ARP/RARP, IPv4, ICMP, UDP and TCP.
//
// Parsed values borrow: every ByteSpan (options, payloads) points into the buffer that was
// parsed and is valid only while that buffer lives. Length and checksum fields hold what was
// read; the builders (build.hpp) ignore them and compute the right values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"

namespace vmnmob::packet {

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t rarp = 0x8035;  // RFC 903
inline constexpr std::uint16_t vlan = 0x8100;  // IEEE 802.1Q tag protocol identifier
}  // namespace ethertype

namespace ip_protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
}  // namespace ip_protocol

inline constexpr std::size_t ethernet_header_size = 14;
inline constexpr std::size_t vlan_tag_size = 4;
/// IEEE 802.3 minimum frame of 64 bytes less the 4-byte FCS the NIC appends: senders pad
/// shorter frames with zeros (QEMU does so for its announce), and so do our builders.
inline constexpr std::size_t min_frame_size = 60;
/// ARP for Ethernet and IPv4 (RFC 826): 8 fixed bytes plus 2 * (6 + 4) addresses.
inline constexpr std::size_t arp_size = 28;
inline constexpr std::size_t ipv4_min_header_size = 20;
inline constexpr std::size_t ipv4_max_options_size = 40;  // IHL is 4 bits: at most 60 bytes
inline constexpr std::size_t icmp_header_size = 8;
inline constexpr std::size_t udp_header_size = 8;
inline constexpr std::size_t tcp_min_header_size = 20;
inline constexpr std::size_t tcp_max_options_size = 40;  // data offset is 4 bits

/// Byte-wise equality of two views (std::span has no operator==).
inline bool same_bytes(ByteSpan a, ByteSpan b) noexcept {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

struct EthernetHeader {
  MacAddress dst;
  MacAddress src;
  /// The 802.1Q tag control information (PCP 3 bits, DEI 1, VID 12) when the frame is tagged.
  std::optional<std::uint16_t> vlan_tci;
  /// The type after the tag, if any.
  std::uint16_t ethertype = 0;

  constexpr std::size_t size() const noexcept {
    return ethernet_header_size + (vlan_tci ? vlan_tag_size : 0);
  }
  constexpr std::optional<std::uint16_t> vlan_id() const noexcept {
    if (!vlan_tci) return std::nullopt;
    return static_cast<std::uint16_t>(*vlan_tci & 0x0fff);
  }
  friend bool operator==(const EthernetHeader&, const EthernetHeader&) = default;
};

/// ARP operation codes: RFC 826 (1, 2) and RFC 903 (3, 4, used with ethertype RARP).
enum class ArpOp : std::uint16_t {
  Request = 1,
  Reply = 2,
  ReverseRequest = 3,
  ReverseReply = 4,
};

/// An ARP or RARP packet for Ethernet hardware addresses and IPv4 protocol addresses; field
/// names follow RFC 826 (ar$sha and so on). Which of ARP and RARP it is comes from the
/// Ethernet type (see Frame::is_arp / is_rarp).
struct Arp {
  /// ar$hrd: 1 (Ethernet) in practice; kept so a parsed packet re-encodes unchanged. Any value
  /// is accepted as long as the hardware address length is 6.
  std::uint16_t hardware_type = 1;
  ArpOp op = ArpOp::Request;
  MacAddress sha;
  Ipv4Address spa;
  MacAddress tha;
  Ipv4Address tpa;

  friend bool operator==(const Arp&, const Arp&) = default;
};

namespace ipv4_flag {
inline constexpr std::uint16_t dont_fragment = 0x4000;
inline constexpr std::uint16_t more_fragments = 0x2000;
inline constexpr std::uint16_t fragment_offset_mask = 0x1fff;  // in 8-byte units
}  // namespace ipv4_flag

/// RFC 791 section 3.1. The version is always 4 and IHL follows from `options`.
struct Ipv4Header {
  std::uint8_t tos = 0;  // DSCP and ECN (RFC 2474, RFC 3168)
  std::uint16_t total_length = 0;  // as read; builders compute it
  std::uint16_t identification = 0;
  std::uint16_t flags_fragment = ipv4_flag::dont_fragment;  // 3 flag bits, 13-bit offset
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;  // as read; the ICMP/UDP/TCP builders set it
  std::uint16_t header_checksum = 0;  // as read; builders compute it
  Ipv4Address src;
  Ipv4Address dst;
  /// Options with their padding; a multiple of 4 bytes, at most 40.
  ByteSpan options;

  constexpr std::size_t header_length() const noexcept {
    return ipv4_min_header_size + options.size();
  }
  constexpr bool dont_fragment() const noexcept {
    return (flags_fragment & ipv4_flag::dont_fragment) != 0;
  }
  constexpr bool more_fragments() const noexcept {
    return (flags_fragment & ipv4_flag::more_fragments) != 0;
  }
  /// Offset of this fragment's data in the original datagram, in bytes.
  constexpr std::size_t fragment_offset() const noexcept {
    return static_cast<std::size_t>(flags_fragment & ipv4_flag::fragment_offset_mask) * 8;
  }
  /// True for every piece of a fragmented datagram, including the first.
  constexpr bool is_fragment() const noexcept {
    return more_fragments() || fragment_offset() != 0;
  }

  friend bool operator==(const Ipv4Header& a, const Ipv4Header& b) noexcept {
    return a.tos == b.tos && a.total_length == b.total_length &&
           a.identification == b.identification && a.flags_fragment == b.flags_fragment &&
           a.ttl == b.ttl && a.protocol == b.protocol && a.header_checksum == b.header_checksum &&
           a.src == b.src && a.dst == b.dst && same_bytes(a.options, b.options);
  }
};

namespace icmp_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t destination_unreachable = 3;
inline constexpr std::uint8_t echo_request = 8;
inline constexpr std::uint8_t time_exceeded = 11;
}  // namespace icmp_type

/// RFC 792. Any type parses; echo (types 8 and 0) has helpers for its identifier and
/// sequence number, which share the 4 bytes after the checksum.
struct Icmp {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;  // as read; builders compute it
  std::uint32_t rest_of_header = 0;
  ByteSpan payload;

  static constexpr Icmp echo_request(std::uint16_t identifier, std::uint16_t sequence,
                                     ByteSpan data) noexcept {
    return Icmp{icmp_type::echo_request, 0, 0, echo_rest(identifier, sequence), data};
  }
  static constexpr Icmp echo_reply(std::uint16_t identifier, std::uint16_t sequence,
                                   ByteSpan data) noexcept {
    return Icmp{icmp_type::echo_reply, 0, 0, echo_rest(identifier, sequence), data};
  }
  constexpr bool is_echo_request() const noexcept {
    return type == icmp_type::echo_request && code == 0;
  }
  constexpr bool is_echo_reply() const noexcept {
    return type == icmp_type::echo_reply && code == 0;
  }
  constexpr std::uint16_t identifier() const noexcept {
    return static_cast<std::uint16_t>(rest_of_header >> 16);
  }
  constexpr std::uint16_t sequence() const noexcept {
    return static_cast<std::uint16_t>(rest_of_header & 0xffff);
  }

  friend bool operator==(const Icmp& a, const Icmp& b) noexcept {
    return a.type == b.type && a.code == b.code && a.checksum == b.checksum &&
           a.rest_of_header == b.rest_of_header && same_bytes(a.payload, b.payload);
  }

 private:
  static constexpr std::uint32_t echo_rest(std::uint16_t identifier, std::uint16_t sequence) {
    return std::uint32_t{identifier} << 16 | sequence;
  }
};

/// RFC 768.
struct Udp {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint16_t length = 0;  // as read (header + data); builders compute it
  std::uint16_t checksum = 0;  // as read (0: none sent); builders compute it
  ByteSpan payload;  // limited to `length`, not to what the IPv4 header allows

  friend bool operator==(const Udp& a, const Udp& b) noexcept {
    return a.src_port == b.src_port && a.dst_port == b.dst_port && a.length == b.length &&
           a.checksum == b.checksum && same_bytes(a.payload, b.payload);
  }
};

/// Control bits of the TCP header (RFC 793; ECE/CWR RFC 3168; NS RFC 3540).
namespace tcp_flag {
inline constexpr std::uint16_t fin = 0x001;
inline constexpr std::uint16_t syn = 0x002;
inline constexpr std::uint16_t rst = 0x004;
inline constexpr std::uint16_t psh = 0x008;
inline constexpr std::uint16_t ack = 0x010;
inline constexpr std::uint16_t urg = 0x020;
inline constexpr std::uint16_t ece = 0x040;
inline constexpr std::uint16_t cwr = 0x080;
inline constexpr std::uint16_t ns = 0x100;
}  // namespace tcp_flag

/// RFC 793 section 3.1. The data offset follows from `options`.
struct Tcp {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t sequence_number = 0;
  std::uint32_t acknowledgment_number = 0;
  /// The 12 bits after the data offset: 3 reserved bits, then NS .. FIN (see tcp_flag).
  std::uint16_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;  // as read; builders compute it
  std::uint16_t urgent_pointer = 0;
  /// Options with their padding; a multiple of 4 bytes, at most 40.
  ByteSpan options;
  ByteSpan payload;

  constexpr std::size_t header_length() const noexcept {
    return tcp_min_header_size + options.size();
  }
  constexpr bool has(std::uint16_t flag) const noexcept { return (flags & flag) == flag; }

  friend bool operator==(const Tcp& a, const Tcp& b) noexcept {
    return a.src_port == b.src_port && a.dst_port == b.dst_port &&
           a.sequence_number == b.sequence_number &&
           a.acknowledgment_number == b.acknowledgment_number && a.flags == b.flags &&
           a.window == b.window && a.checksum == b.checksum &&
           a.urgent_pointer == b.urgent_pointer && same_bytes(a.options, b.options) &&
           same_bytes(a.payload, b.payload);
  }
};

}  // namespace vmnmob::packet
