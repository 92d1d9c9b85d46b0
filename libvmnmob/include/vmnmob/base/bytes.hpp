// Bounds-checked big-endian byte reader and writer, and a payload type that can borrow.
//
// The reader never reads past its span: a read that does not fit marks the reader failed
// (sticky), returns zero, and remembers the offset of the first failure. Decoders read a
// whole fixed part and then check ok() once, which keeps them short without giving up safety.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/endian/conversion.hpp>

namespace vmnmob {

using ByteSpan = std::span<const std::byte>;
using ByteVector = std::vector<std::byte>;

inline ByteSpan as_bytes(const ByteVector& v) { return {v.data(), v.size()}; }
inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};  // NOLINT
}
ByteVector bytes_from_hex(std::string_view hex);  // "0a 0b-0c" style, ignores separators
std::string to_hex(ByteSpan b, char sep = ' ');

class ByteReader {
 public:
  ByteReader() = default;
  /// `base` is the absolute offset of data[0] within the outermost message, so errors
  /// from nested readers report positions the user can find in a hex dump.
  explicit ByteReader(ByteSpan data, std::size_t base = 0) : data_(data), base_(base) {}

  bool ok() const noexcept { return !failed_; }
  bool failed() const noexcept { return failed_; }
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return remaining() == 0; }
  /// Absolute offset of the next byte to read.
  std::size_t offset() const noexcept { return base_ + pos_; }
  /// Absolute offset at which the first out-of-bounds read happened.
  std::size_t fail_offset() const noexcept { return fail_offset_; }
  ByteSpan rest() const noexcept { return data_.subspan(pos_); }

  /// True (and nothing consumed) if n more bytes are available; otherwise marks failure.
  bool need(std::size_t n) noexcept {
    if (failed_) return false;
    if (n > remaining()) {
      fail();
      return false;
    }
    return true;
  }

  std::uint8_t u8() noexcept { return load<std::uint8_t>(); }
  std::uint16_t u16() noexcept { return load<std::uint16_t>(); }
  std::uint32_t u32() noexcept { return load<std::uint32_t>(); }
  std::uint64_t u64() noexcept { return load<std::uint64_t>(); }

  void skip(std::size_t n) noexcept {
    if (need(n)) pos_ += n;
  }
  /// Consumes n bytes and returns them as a view (empty on failure).
  ByteSpan take(std::size_t n) noexcept {
    if (!need(n)) return {};
    ByteSpan s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  template <std::size_t N>
  std::array<std::byte, N> array() noexcept {
    std::array<std::byte, N> a{};
    if (need(N)) {
      std::memcpy(a.data(), data_.data() + pos_, N);
      pos_ += N;
    }
    return a;
  }
  /// Consumes n bytes and returns a reader over them, sharing the absolute offset base.
  ByteReader sub(std::size_t n) noexcept {
    std::size_t at = offset();
    ByteSpan s = take(n);
    ByteReader r(s, at);
    if (failed_) r.fail();
    return r;
  }
  /// Reads n bytes of which all must be zero. Returns false (without failing the reader) if
  /// some are not, so callers decide whether non-zero padding is an error.
  bool zero_pad(std::size_t n) noexcept {
    ByteSpan s = take(n);
    for (std::byte b : s)
      if (b != std::byte{0}) return false;
    return true;
  }
  /// Fixed-size NUL-padded string field (e.g. ofp_port.name).
  std::string fixed_string(std::size_t n);

  void fail() noexcept {
    if (!failed_) fail_offset_ = offset();
    failed_ = true;
  }

 private:
  template <class T>
  T load() noexcept {
    if (!need(sizeof(T))) return T{};
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return boost::endian::big_to_native(v);
  }

  ByteSpan data_{};
  std::size_t pos_ = 0;
  std::size_t base_ = 0;
  std::size_t fail_offset_ = 0;
  bool failed_ = false;
};

/// Appends big-endian values to a ByteVector it does not own.
class ByteWriter {
 public:
  explicit ByteWriter(ByteVector& out) : out_(out) {}

  std::size_t size() const noexcept { return out_.size(); }
  ByteVector& buffer() noexcept { return out_; }

  void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
  void u16(std::uint16_t v) { store(v); }
  void u32(std::uint32_t v) { store(v); }
  void u64(std::uint64_t v) { store(v); }
  void bytes(ByteSpan s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, std::byte{0}); }
  /// NUL-padded fixed-size string; longer input is truncated to n-1 bytes plus NUL.
  void fixed_string(std::string_view s, std::size_t n);
  /// Pads with zeros until the distance from `start` is a multiple of `align`.
  void pad_to(std::size_t start, std::size_t align) {
    std::size_t len = out_.size() - start;
    zeros((align - len % align) % align);
  }
  /// Overwrites a 16-bit big-endian value at absolute position `at` (for length fields).
  void patch_u16(std::size_t at, std::uint16_t v) {
    v = boost::endian::native_to_big(v);
    std::memcpy(out_.data() + at, &v, sizeof v);
  }

 private:
  template <class T>
  void store(T v) {
    v = boost::endian::native_to_big(v);
    std::size_t at = out_.size();
    out_.resize(at + sizeof v);
    std::memcpy(out_.data() + at, &v, sizeof v);
  }
  ByteVector& out_;
};

/// A byte payload that either owns its bytes or borrows them from a receive buffer.
///
/// Decoding PACKET_IN borrows the frame from the buffer the message arrived in (no copy on
/// the hot path); such a value is valid only while that buffer lives. Call own() to keep it.
/// Builders of outgoing messages normally hand over an owned vector.
class Payload {
 public:
  Payload() = default;
  Payload(ByteVector owned) : owned_(std::move(owned)), view_(owned_) {}  // NOLINT(implicit)
  Payload(const Payload& o) { *this = o; }
  Payload(Payload&& o) noexcept { *this = std::move(o); }
  Payload& operator=(const Payload& o) {
    if (this == &o) return *this;
    if (o.borrowed()) {
      owned_.clear();
      view_ = o.view_;
    } else {
      owned_ = o.owned_;
      view_ = owned_;
    }
    return *this;
  }
  Payload& operator=(Payload&& o) noexcept {
    if (this == &o) return *this;
    if (o.borrowed()) {
      owned_.clear();
      view_ = o.view_;
    } else {
      owned_ = std::move(o.owned_);
      view_ = owned_;
    }
    o.owned_.clear();
    o.view_ = {};
    return *this;
  }

  static Payload borrow(ByteSpan s) {
    Payload p;
    p.view_ = s;
    return p;
  }

  ByteSpan span() const noexcept { return view_; }
  std::size_t size() const noexcept { return view_.size(); }
  bool empty() const noexcept { return view_.empty(); }
  bool borrowed() const noexcept { return !view_.empty() && view_.data() != owned_.data(); }
  /// Makes the payload independent of the buffer it borrowed from.
  void own() {
    if (borrowed()) *this = Payload(ByteVector(view_.begin(), view_.end()));
  }

  friend bool operator==(const Payload& a, const Payload& b) {
    return a.view_.size() == b.view_.size() &&
           (a.view_.empty() || std::memcmp(a.view_.data(), b.view_.data(), a.view_.size()) == 0);
  }

 private:
  ByteVector owned_;
  ByteSpan view_;
};

}  // namespace vmnmob
