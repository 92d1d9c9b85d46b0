// The stream framer: arbitrary chunks in, whole messages out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/framer.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

ByteVector encoded(const Message& m) {
  Result<ByteVector> bytes = encode(m);
  REQUIRE(bytes.has_value());
  return std::move(*bytes);
}

/// A stream of messages of different sizes and types, and where each one starts.
struct Stream {
  ByteVector bytes;
  std::vector<ByteVector> messages;
};

Stream sample_stream(std::size_t count = 5) {
  Stream s;
  for (std::size_t i = 0; i < count; ++i) {
    Message m{kVersion, static_cast<std::uint32_t>(i), BarrierRequest{}};
    switch (i % 5) {
      case 0: m.body = Hello{{VersionBitmap::of({4})}}; break;
      case 1: m.body = EchoRequest{ByteVector(i % 37, std::byte{0x42})}; break;
      case 2: m.body = BarrierRequest{}; break;
      case 3: m.body = PortStatus{PortReason::Add, Port{static_cast<std::uint32_t>(i), {}, "eth0"}}; break;
      case 4: {
        FlowMod fm;
        fm.cookie = i;
        fm.match.add(OxmField::InPort, i);
        fm.instructions = {ApplyActions{{Output{2, 0}}}};
        m.body = fm;
        break;
      }
    }
    ByteVector one = encoded(m);
    s.messages.push_back(one);
    s.bytes.insert(s.bytes.end(), one.begin(), one.end());
  }
  return s;
}

/// Takes every whole message the framer has, as owned copies.
std::vector<ByteVector> drain(Framer& f) {
  std::vector<ByteVector> out;
  while (true) {
    Result<std::optional<ByteSpan>> next = f.next();
    REQUIRE(next.has_value());
    if (!next->has_value()) return out;
    out.emplace_back((*next)->begin(), (*next)->end());
  }
}

ByteSpan slice(const ByteVector& v, std::size_t from, std::size_t to) {
  return as_bytes(v).subspan(from, to - from);
}

}  // namespace

TEST_CASE("framer: a stream split at every byte yields the same messages") {
  const Stream s = sample_stream();
  for (std::size_t cut = 0; cut <= s.bytes.size(); ++cut) {
    Framer f;
    f.feed(slice(s.bytes, 0, cut));
    std::vector<ByteVector> got = drain(f);
    f.feed(slice(s.bytes, cut, s.bytes.size()));
    std::vector<ByteVector> rest = drain(f);
    got.insert(got.end(), rest.begin(), rest.end());
    INFO("cut at " << cut);
    CHECK(got == s.messages);
    CHECK(f.buffered() == 0);
  }
}

TEST_CASE("framer: one byte at a time") {
  const Stream s = sample_stream(20);
  Framer f;
  std::vector<ByteVector> got;
  for (std::size_t i = 0; i < s.bytes.size(); ++i) {
    f.feed(slice(s.bytes, i, i + 1));
    std::vector<ByteVector> some = drain(f);
    got.insert(got.end(), some.begin(), some.end());
  }
  CHECK(got == s.messages);
}

TEST_CASE("framer: many messages in one chunk, each decodable") {
  const Stream s = sample_stream(1000);
  Framer f;
  f.feed(as_bytes(s.bytes));
  CHECK(f.buffered() == s.bytes.size());
  std::size_t n = 0;
  while (true) {
    Result<std::optional<ByteSpan>> next = f.next();
    REQUIRE(next.has_value());
    if (!*next) break;
    REQUIRE(n < s.messages.size());
    CHECK(std::equal((*next)->begin(), (*next)->end(), s.messages[n].begin(), s.messages[n].end()));
    Result<Message> m = decode(**next);
    REQUIRE(m.has_value());
    CHECK(m->xid == n);
    ++n;
  }
  CHECK(n == 1000);
  CHECK(f.buffered() == 0);
}

TEST_CASE("framer: prepare/commit receives in place, committing less than prepared") {
  const Stream s = sample_stream(10);
  Framer f;
  std::vector<ByteVector> got;
  std::size_t pos = 0;
  std::size_t step = 1;
  while (pos < s.bytes.size()) {
    std::span<std::byte> space = f.prepare(64);
    REQUIRE(space.size() == 64);
    // Like a socket read: fewer bytes than asked for.
    const std::size_t n = std::min({step, space.size(), s.bytes.size() - pos});
    std::memcpy(space.data(), s.bytes.data() + pos, n);
    f.commit(n);
    pos += n;
    step = step % 61 + 7;
    std::vector<ByteVector> some = drain(f);
    got.insert(got.end(), some.begin(), some.end());
  }
  CHECK(got == s.messages);
}

TEST_CASE("framer: a header length below 8 is an error that persists") {
  Framer f;
  f.feed(as_bytes(bytes_from_hex("04 00 00 04 00 00 00 01 04 00 00 08 00 00 00 02")));
  Result<std::optional<ByteSpan>> next = f.next();
  REQUIRE_FALSE(next.has_value());
  CHECK(next.error().type == ErrorType::BadRequest);
  CHECK(next.error().code == static_cast<std::uint16_t>(BadRequestCode::BadLen));
  CHECK(next.error().offset == 2);
  CHECK(next.error().detail.find("4") != std::string::npos);
  // No way to find the next boundary: later calls give the same error, fed data is dropped.
  const std::size_t before = f.buffered();
  f.feed(as_bytes(bytes_from_hex("04 14 00 08 00 00 00 03")));
  CHECK(f.buffered() == before);
  CHECK_FALSE(f.next().has_value());
  CHECK_FALSE(f.next().has_value());
}

TEST_CASE("framer: a header length above the maximum is an error") {
  Framer f(1024);
  Message echo{kVersion, 1, EchoRequest{ByteVector(1024 - 8, std::byte{1})}};
  ByteVector exactly_max = encoded(echo);
  f.feed(as_bytes(exactly_max));
  std::vector<ByteVector> got = drain(f);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == exactly_max);

  // One byte over the limit: refused as soon as the header is in, before the body arrives.
  f.feed(as_bytes(bytes_from_hex("04 02 04 01 00 00 00 02")));
  Result<std::optional<ByteSpan>> next = f.next();
  REQUIRE_FALSE(next.has_value());
  CHECK(next.error().code == static_cast<std::uint16_t>(BadRequestCode::BadLen));
  CHECK(next.error().detail.find("1025") != std::string::npos);
}

TEST_CASE("framer: an incomplete header or body waits for more") {
  Framer f;
  f.feed(as_bytes(bytes_from_hex("04 02 00")));
  Result<std::optional<ByteSpan>> next = f.next();
  REQUIRE(next.has_value());
  CHECK_FALSE(next->has_value());
  f.feed(as_bytes(bytes_from_hex("0a 00 00 00 01 aa")));
  next = f.next();
  REQUIRE(next.has_value());
  CHECK_FALSE(next->has_value());
  CHECK(f.buffered() == 9);
  f.feed(as_bytes(bytes_from_hex("bb")));
  next = f.next();
  REQUIRE(next.has_value());
  REQUIRE(next->has_value());
  CHECK(to_hex(**next) == "04 02 00 0a 00 00 00 01 aa bb");
}

TEST_CASE("framer: compaction keeps memory bounded over a long stream") {
  // 20000 messages (about 1 MB) arrive in odd-sized chunks and are drained as they come. The
  // space prepare() hands out must stay inside one small region: the buffer is reused, not
  // grown with the stream.
  const Stream s = sample_stream(20000);
  Framer f;
  const std::byte* lowest = nullptr;
  const std::byte* highest = nullptr;
  std::size_t pos = 0;
  std::size_t count = 0;
  std::size_t max_buffered = 0;
  while (pos < s.bytes.size()) {
    const std::size_t n = std::min<std::size_t>(1500, s.bytes.size() - pos);
    std::span<std::byte> space = f.prepare(n);
    if (pos > 100'000) {  // after warm-up
      const std::byte* begin = space.data();
      const std::byte* end = begin + n;
      lowest = lowest == nullptr ? begin : std::min(lowest, begin);
      highest = highest == nullptr ? end : std::max(highest, end);
    }
    std::memcpy(space.data(), s.bytes.data() + pos, n);
    f.commit(n);
    pos += n;
    max_buffered = std::max(max_buffered, f.buffered());
    count += drain(f).size();
  }
  CHECK(count == 20000);
  CHECK(max_buffered < 1500 + 200);
  REQUIRE(lowest != nullptr);
  CHECK(static_cast<std::size_t>(highest - lowest) <= 8192);
}

TEST_CASE("framer: next() between prepare() and commit() keeps the prepared space valid") {
  // The pattern of an asynchronous reader: space is prepared, messages already buffered are
  // handled, and only then does the read complete into the prepared space.
  const Stream s = sample_stream(6);
  Framer f;
  f.feed(as_bytes(s.messages[0]));
  std::span<std::byte> space = f.prepare(s.messages[1].size());
  std::vector<ByteVector> got = drain(f);
  REQUIRE(got.size() == 1);
  CHECK(f.buffered() == 0);
  std::memcpy(space.data(), s.messages[1].data(), s.messages[1].size());
  f.commit(s.messages[1].size());
  got = drain(f);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == s.messages[1]);
}
