// Splits a TCP byte stream into whole OpenFlow messages.
#pragma once

#include <cstddef>
#include <optional>

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/error.hpp"

namespace vmnmob::ofp {

/// Accumulates arbitrary chunks and yields complete messages, each as a view valid until the
/// next call to feed(), prepare() or next().
///
/// Zero-copy use with a socket: `auto buf = framer.prepare(n); n = read(buf); framer.commit(n);`
/// then call next() until it yields nothing.
class Framer {
 public:
  explicit Framer(std::size_t max_message_size = 0xffff);

  void feed(ByteSpan chunk);
  std::span<std::byte> prepare(std::size_t n);
  void commit(std::size_t n);

  /// The next whole message, nullopt if more bytes are needed, or an error for a header whose
  /// length is below 8 or above the maximum. After an error the stream is unusable: the
  /// connection must be closed (there is no way to find the next message boundary).
  Result<std::optional<ByteSpan>> next();

  std::size_t buffered() const noexcept { return end_ - begin_; }

 private:
  void compact();
  ByteVector buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t max_;
  bool broken_ = false;
};

}  // namespace vmnmob::ofp
