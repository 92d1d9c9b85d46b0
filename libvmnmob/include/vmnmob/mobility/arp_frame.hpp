// The decoded ARP or RARP frame the engine consumes (Ethernet II + RFC 826 / RFC 903 for
// IPv4 over Ethernet), and the frames it sends in PACKET_OUTs.
#pragma once

#include <cstdint>
#include <optional>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"

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

/// Parses an untagged Ethernet frame carrying ARP or RARP for IPv4 over Ethernet; nullopt for
/// anything else (other ethertypes, other hardware/protocol types, truncated frames).
std::optional<ArpFrame> parse_arp_frame(ByteSpan frame);
/// 42 bytes; the switch pads to the Ethernet minimum.
ByteVector build_arp_frame(const ArpFrame& f);

}  // namespace vmnmob::mobility
