// libFuzzer target: ofp::decode on arbitrary bytes must return a value or an error, never
// crash or trip a sanitizer. When it succeeds, encoding the value must work, and decoding that
// encoding must give the same value back (and encoding it again the same bytes).
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "vmnmob/ofp/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vmnmob;
  const ByteSpan wire(reinterpret_cast<const std::byte*>(data), size);  // NOLINT
  auto decoded = ofp::decode(wire);
  if (!decoded) {
    VMNMOB_FUZZ_CHECK(decoded.error().offset <= size || size == 0, "error offset beyond the input");
    return 0;
  }
  auto encoded = ofp::encode(*decoded);
  VMNMOB_FUZZ_CHECK(encoded.has_value(), "a decoded message failed to encode");
  auto again = ofp::decode(as_bytes(*encoded));
  VMNMOB_FUZZ_CHECK(again.has_value(), "our own encoding failed to decode");
  VMNMOB_FUZZ_CHECK(*again == *decoded, "decode(encode(m)) != m");
  auto twice = ofp::encode(*again);
  VMNMOB_FUZZ_CHECK(twice.has_value() && *twice == *encoded, "encoding is not stable");
  return 0;
}
