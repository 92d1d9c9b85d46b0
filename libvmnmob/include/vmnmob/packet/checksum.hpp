// The Internet checksum (RFC 1071) and its uses in IPv4, ICMP, UDP and TCP.
#pragma once

#include <cstdint>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"

namespace vmnmob::packet {

struct Ipv4Packet;

/// RFC 1071 one's-complement sum of 16-bit big-endian words, fed in pieces. Pieces may have
/// odd lengths: bytes pair up across calls as if the data were contiguous, and a final odd
/// byte is padded with zero (RFC 1071 section 1, step 1).
class InternetChecksum {
 public:
  void add(ByteSpan bytes) noexcept;
  void add_u16(std::uint16_t v) noexcept;
  void add_u32(std::uint32_t v) noexcept;
  /// The folded one's-complement sum; 0xffff over data that includes a correct checksum.
  std::uint16_t sum() const noexcept;
  /// The value to store in a checksum field: the complement of sum().
  std::uint16_t checksum() const noexcept { return static_cast<std::uint16_t>(~sum()); }

 private:
  std::uint64_t sum_ = 0;  // 64 bits: no carry lost before 2^48 bytes
  bool odd_ = false;       // an odd number of bytes so far: the next byte is a low byte
};

/// The checksum of `bytes` alone (IPv4 header, ICMP message).
std::uint16_t internet_checksum(ByteSpan bytes) noexcept;

/// True if `bytes` contain a correct checksum field somewhere in them (their sum is 0xffff).
bool internet_checksum_ok(ByteSpan bytes) noexcept;

/// The checksum of a UDP or TCP segment with the IPv4 pseudo-header in front (RFC 768,
/// RFC 793 section 3.1). Over a segment whose checksum field is zeroed this is the value to
/// store; over a segment with a correct checksum it is 0. A UDP sender stores 0xffff where
/// this gives 0 (RFC 768), which builders do.
std::uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                 ByteSpan segment) noexcept;

/// Checks the L4 checksum of a parsed packet over its whole payload: ICMP over the message,
/// UDP and TCP with the pseudo-header. A UDP checksum of 0 means "none sent" and passes.
/// False for fragments and for protocols other than ICMP, UDP and TCP, which cannot be checked.
/// (Frames captured before checksum offload may carry partial checksums and fail here.)
bool l4_checksum_ok(const Ipv4Packet& packet) noexcept;

}  // namespace vmnmob::packet
