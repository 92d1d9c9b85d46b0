#include "vmnmob/packet/error.hpp"

#include <fmt/format.h>

namespace vmnmob::packet {

std::string_view to_string(PacketErrc code) {
  switch (code) {
    case PacketErrc::Truncated: return "truncated";
    case PacketErrc::LengthTooSmall: return "length too small";
    case PacketErrc::LengthBeyondData: return "length beyond data";
    case PacketErrc::BadValue: return "bad value";
  }
  return "unknown";
}

std::string PacketError::to_string() const {
  switch (code) {
    case PacketErrc::Truncated:
      return fmt::format("{} at byte {} needs {} bytes but only {} remain", field, offset, value,
                         bound);
    case PacketErrc::LengthTooSmall:
      return fmt::format("{} {} at byte {} is below the minimum {}", field, value, offset, bound);
    case PacketErrc::LengthBeyondData:
      return fmt::format("{} {} at byte {} exceeds the {} bytes available", field, value, offset,
                         bound);
    case PacketErrc::BadValue:
      return fmt::format("{} 0x{:x} at byte {} is not supported (expected 0x{:x})", field, value,
                         offset, bound);
  }
  return fmt::format("{} at byte {}", field, offset);
}

}  // namespace vmnmob::packet
