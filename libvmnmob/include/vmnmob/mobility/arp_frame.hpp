// The decoded ARP or RARP frame the engine consumes: the Ethernet addresses and type plus the
// ARP fields (RFC 826 / RFC 903, IPv4 over Ethernet) in one flat value. Parsing and building go
// through the packet library (vmnmob/packet); this is only the engine's view of it.
#pragma once

#include <cstdint>
#include <optional>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"

namespace vmnmob::packet {
struct Frame;
}

namespace vmnmob::mobility {

inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeRarp = 0x8035;

namespace arp_op {
inline constexpr std::uint16_t kRequest = 1;
inline constexpr std::uint16_t kReply = 2;
inline constexpr std::uint16_t kReverseRequest = 3;  // RARP, as sent by QEMU's announce
inline constexpr std::uint16_t kReverseReply = 4;
}  // namespace arp_op

struct ArpFrame {
  MacAddress eth_dst;
  MacAddress eth_src;
  std::uint16_t ether_type = kEtherTypeArp;
  std::uint16_t op = arp_op::kRequest;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;

  bool is_rarp() const { return ether_type == kEtherTypeRarp; }
  /// Gratuitous ARP: the sender announces its own address (request or reply).
  bool is_gratuitous() const { return ether_type == kEtherTypeArp && !sender_ip.is_unspecified() && sender_ip == target_ip; }
  friend bool operator==(const ArpFrame&, const ArpFrame&) = default;
};

/// The engine's view of a parsed frame; nullopt unless it is untagged ARP or RARP over Ethernet.
std::optional<ArpFrame> from_packet(const packet::Frame& frame);
/// Parses with packet::parse_frame, then from_packet.
std::optional<ArpFrame> parse_arp_frame(ByteSpan frame);
/// The frame for a PACKET_OUT, padded to the Ethernet minimum of 60 bytes.
ByteVector build_arp_frame(const ArpFrame& f);

}  // namespace vmnmob::mobility
