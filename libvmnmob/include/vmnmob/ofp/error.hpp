// Codec errors as values. Each carries the OpenFlow error type and code a switch or
// controller would send for the same problem, so a connection can answer a bad message
// with OFPT_ERROR directly, plus the byte offset and a human-readable reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/ofp/constants.hpp"

namespace vmnmob::ofp {

struct CodecError {
  ErrorType type = ErrorType::BadRequest;
  std::uint16_t code = 0;
  std::size_t offset = 0;  // absolute byte offset in the message where the problem was found
  std::string detail;      // e.g. "action set_field: OXM length 5 does not match field width 4"

  /// "BAD_MATCH/BAD_PREREQ at byte 56: ipv4_src needs eth_type=0x0800"
  std::string to_string() const;
  friend bool operator==(const CodecError&, const CodecError&) = default;
};

template <class T>
using Result = Expected<T, CodecError>;
using Status = Expected<void, CodecError>;

template <class Code>
CodecError make_error(ErrorType type, Code code, std::size_t offset, std::string detail) {
  return CodecError{type, static_cast<std::uint16_t>(code), offset, std::move(detail)};
}
inline CodecError bad_request(BadRequestCode c, std::size_t offset, std::string detail) {
  return make_error(ErrorType::BadRequest, c, offset, std::move(detail));
}

/// Spec names, e.g. "BAD_MATCH" and "BAD_PREREQ"; "UNKNOWN(n)" for values outside 1.3.
std::string error_type_name(ErrorType type);
std::string error_code_name(ErrorType type, std::uint16_t code);
/// "PACKET_IN", "FLOW_MOD", ...; "UNKNOWN" outside 1.3. Defined by the codec's message table.
std::string_view message_type_name(MessageType type);

}  // namespace vmnmob::ofp
