// Decoding and encoding of whole OpenFlow 1.3 messages.
#pragma once

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/error.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::ofp {

/// The 8-byte header every message starts with.
struct Header {
  std::uint8_t version = kVersion;
  std::uint8_t type = 0;
  std::uint16_t length = 0;
  std::uint32_t xid = 0;
};

/// Reads a header; fails only if fewer than 8 bytes are given.
Result<Header> decode_header(ByteSpan wire);

/// Decodes exactly one message; `wire` must hold exactly the header's length.
/// Messages other than HELLO must carry version 0x04 (BAD_REQUEST/BAD_VERSION otherwise).
/// PacketIn::data and PacketOut::data borrow from `wire`.
Result<Message> decode(ByteSpan wire);

/// Appends the encoded message to `out`. Fails (leaving `out` as it was) only when the
/// message cannot be represented, e.g. longer than 65535 bytes.
Status encode(const Message& msg, ByteVector& out);
/// Convenience for tests and cold paths.
Result<ByteVector> encode(const Message& msg);

}  // namespace vmnmob::ofp
