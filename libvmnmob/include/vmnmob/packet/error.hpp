// Packet parse errors as values.
//
// A PacketError is small and trivially copyable (its names point at static strings), so a
// failed parse on the PACKET_IN path allocates nothing; to_string() formats it for logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vmnmob/base/expected.hpp"

namespace vmnmob::packet {

enum class PacketErrc : std::uint8_t {
  /// The bytes end inside a header: `field` names the header, `offset` is where it starts,
  /// `value` is how many bytes it needs and `bound` how many remain.
  Truncated,
  /// A length field is smaller than its header allows: `value` < `bound`.
  LengthTooSmall,
  /// A length field reaches past the bytes present: `value` > `bound` (bytes available).
  LengthBeyondData,
  /// A field has a value this library cannot parse: `value` found, `bound` required.
  BadValue,
};

std::string_view to_string(PacketErrc code);

struct PacketError {
  PacketErrc code = PacketErrc::Truncated;
  std::size_t offset = 0;    // absolute byte offset in the frame of the field or header
  std::string_view field;    // static name such as "ipv4.total_length" or "arp header"
  std::uint32_t value = 0;   // what was found (see PacketErrc)
  std::uint32_t bound = 0;   // the limit it broke (see PacketErrc)

  /// e.g. "ipv4.total_length 1500 at byte 16 exceeds the 46 bytes available"
  std::string to_string() const;
  friend bool operator==(const PacketError&, const PacketError&) = default;
};

template <class T>
using Result = Expected<T, PacketError>;
using Status = Expected<void, PacketError>;

}  // namespace vmnmob::packet
