// Stream framing for OpenFlow over TCP: every message starts with an 8-byte header whose
// length field (bytes 2-3, spec 7.1) gives the size of the whole message.
//
// Buffer layout: buf_[begin_, end_) holds received bytes not yet returned by next();
// buf_[end_, buf_.size()) is free space handed out by prepare(). Bytes are moved to the front
// only when free space runs out or more than half the buffer is consumed, so a burst of small
// messages costs no copying, and the buffer never holds more than one partial message plus
// what the caller fed beyond it.
#include "vmnmob/ofp/framer.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace vmnmob::ofp {

namespace {
constexpr std::size_t kLengthOffset = 2;  // ofp_header.length
// Capacity kept for the next read even when nothing is buffered; a larger buffer left behind
// by one big chunk is given back once it is empty (see compact()).
constexpr std::size_t kMinCapacity = 4096;
}  // namespace

Framer::Framer(std::size_t max_message_size)
    : max_(std::clamp<std::size_t>(max_message_size, kHeaderLength, kMaxMessageLength)) {}

void Framer::feed(ByteSpan chunk) {
  if (chunk.empty()) return;
  std::span<std::byte> space = prepare(chunk.size());
  std::memcpy(space.data(), chunk.data(), chunk.size());
  commit(chunk.size());
}

std::span<std::byte> Framer::prepare(std::size_t n) {
  if (buf_.size() - end_ < n) compact();
  if (buf_.size() - end_ < n) buf_.resize(std::max(end_ + n, std::max(kMinCapacity, 2 * buf_.size())));
  return {buf_.data() + end_, n};
}

void Framer::commit(std::size_t n) {
  // A broken stream has no message boundaries left: drop what arrives so memory stays bounded.
  if (broken_) return;
  end_ += std::min(n, buf_.size() - end_);
}

Result<std::optional<ByteSpan>> Framer::next() {
  if (begin_ == end_ || begin_ > buf_.size() / 2) compact();
  if (buffered() < kHeaderLength) return std::optional<ByteSpan>{};
  const std::size_t length = (std::to_integer<std::size_t>(buf_[begin_ + kLengthOffset]) << 8) |
                             std::to_integer<std::size_t>(buf_[begin_ + kLengthOffset + 1]);
  if (length < kHeaderLength || length > max_) {
    // The connection must be closed. The header stays at begin_, so every later call gives
    // the same error.
    broken_ = true;
    return unexpected(bad_request(
        BadRequestCode::BadLen, kLengthOffset,
        fmt::format("header length {} is {} (type {}, version {})", length,
                    length < kHeaderLength ? "below the 8-byte header" : fmt::format("above the maximum {}", max_),
                    std::to_integer<unsigned>(buf_[begin_ + 1]), std::to_integer<unsigned>(buf_[begin_]))));
  }
  if (buffered() < length) return std::optional<ByteSpan>{};
  ByteSpan message(buf_.data() + begin_, length);
  begin_ += length;
  return std::optional<ByteSpan>{message};
}

void Framer::compact() {
  const std::size_t pending = buffered();
  if (pending == 0) {
    begin_ = end_ = 0;
    // One oversized chunk must not pin a large buffer for the life of the connection.
    if (buf_.size() > std::max(kMinCapacity, 2 * (max_ + kHeaderLength))) ByteVector(kMinCapacity).swap(buf_);
    return;
  }
  if (begin_ == 0) return;
  std::memmove(buf_.data(), buf_.data() + begin_, pending);
  begin_ = 0;
  end_ = pending;
}

}  // namespace vmnmob::ofp
