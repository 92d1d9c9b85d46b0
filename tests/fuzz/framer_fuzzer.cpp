// libFuzzer target: the Framer fed the same stream in arbitrary chunks (through feed() or
// prepare()/commit()) must yield exactly the messages a one-shot split of the stream gives,
// in order, and stop with an error exactly where the stream has a bad length.
//
// Input layout: byte 0 picks the maximum message size, bytes 1-4 the chunk sizes (cycled),
// the rest is the TCP stream. Every message yielded is also decoded (must not crash).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/framer.hpp"

namespace {

struct Split {
  std::vector<std::pair<std::size_t, std::size_t>> messages;  // offset, length
  bool error = false;  // the stream has a bad header at the end of `messages`
};

Split split(const std::uint8_t* s, std::size_t n, std::size_t max) {
  Split out;
  std::size_t at = 0;
  while (n - at >= 8) {
    const std::size_t len = static_cast<std::size_t>(s[at + 2]) << 8 | s[at + 3];
    if (len < 8 || len > max) {
      out.error = true;
      break;
    }
    if (n - at < len) break;
    out.messages.emplace_back(at, len);
    at += len;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vmnmob;
  if (size < 5) return 0;
  // Default 65535 most of the time; sometimes a small maximum to reach the "too long" error.
  const std::size_t max = data[0] < 200 ? 0xffff : 8 + static_cast<std::size_t>(data[0]);
  const std::uint8_t chunk_sizes[4] = {data[1], data[2], data[3], data[4]};
  const std::uint8_t* stream = data + 5;
  const std::size_t n = size - 5;
  const Split expected = split(stream, n, max);

  ofp::Framer framer(max);
  std::size_t fed = 0, next_message = 0, chunk = 0;
  bool errored = false;
  while (!errored) {
    // Drain everything that is complete.
    for (;;) {
      auto r = framer.next();
      if (!r) {
        VMNMOB_FUZZ_CHECK(expected.error && next_message == expected.messages.size(),
                          "framer error where the stream has a valid header");
        auto again = framer.next();
        VMNMOB_FUZZ_CHECK(!again.has_value(), "a broken stream recovered");
        errored = true;
        break;
      }
      if (!r->has_value()) break;
      const ByteSpan m = **r;
      VMNMOB_FUZZ_CHECK(next_message < expected.messages.size(), "framer yielded an extra message");
      const auto [off, len] = expected.messages[next_message++];
      VMNMOB_FUZZ_CHECK(m.size() == len && std::memcmp(m.data(), stream + off, len) == 0,
                        "framer yielded different bytes than the one-shot split");
      (void)ofp::decode(m);
    }
    if (errored || fed == n) break;
    const std::uint8_t c = chunk_sizes[chunk++ % 4];
    const std::size_t take = std::min<std::size_t>(n - fed, 1 + static_cast<std::size_t>(c) * (c & 1 ? 1 : 37));
    if (c & 2) {
      framer.feed(ByteSpan(reinterpret_cast<const std::byte*>(stream + fed), take));  // NOLINT
    } else {
      auto space = framer.prepare(take);
      VMNMOB_FUZZ_CHECK(space.size() >= take, "prepare() gave less space than asked");
      std::memcpy(space.data(), stream + fed, take);
      framer.commit(take);
    }
    fed += take;
  }
  if (!errored) {
    VMNMOB_FUZZ_CHECK(!expected.error, "the stream has a bad header but the framer never reported it");
    VMNMOB_FUZZ_CHECK(next_message == expected.messages.size(), "framer missed messages");
  }
  return 0;
}
