#include "connection/detail/write_queue.hpp"

#include <cstring>

#include <boost/endian/conversion.hpp>

namespace vmnmob::connection::detail {

WriteQueue::PushResult WriteQueue::push(const ofp::Message& msg, Lane lane, std::size_t* bytes,
                                        std::uint32_t xid) {
  ByteVector& buf = lane == Lane::Urgent ? urgent_ : bulk_;
  std::size_t limit = lane == Lane::Urgent ? urgent_limit_ : limit_;
  std::size_t before = buf.size();
  if (before >= limit) return PushResult::Full;
  // msg.version differs from 4 only for a HELLO_FAILED answer to an older peer: encode as
  // 1.3 and patch the version byte; OFPT_ERROR's layout is the same in every version
  // (spec 6.3.1 asks for the error in a version the peer understands).
  bool encoded = false;
  if (msg.version == ofp::kVersion || std::holds_alternative<ofp::Hello>(msg.body)) {
    encoded = ofp::encode(msg, buf).has_value();
  } else {
    ofp::Message as_13 = msg;
    as_13.version = ofp::kVersion;
    encoded = ofp::encode(as_13, buf).has_value();
  }
  if (!encoded) {
    buf.resize(before);
    return PushResult::EncodeFailed;
  }
  // A message that crosses the limit is taken back: the bound holds exactly.
  if (buf.size() > limit && before != 0) {
    buf.resize(before);
    return PushResult::Full;
  }
  buf[before] = std::byte{msg.version};
  if (xid != 0) {
    std::uint32_t big = boost::endian::native_to_big(xid);
    std::memcpy(buf.data() + before + 4, &big, sizeof big);  // ofp_header.xid (spec 7.1)
  }
  if (bytes != nullptr) *bytes = buf.size() - before;
  return PushResult::Queued;
}

WriteQueue::PushResult WriteQueue::push_encoded(ByteSpan encoded, Lane lane) {
  ByteVector& buf = lane == Lane::Urgent ? urgent_ : bulk_;
  std::size_t limit = lane == Lane::Urgent ? urgent_limit_ : limit_;
  if (!buf.empty() && buf.size() + encoded.size() > limit) return PushResult::Full;
  buf.insert(buf.end(), encoded.begin(), encoded.end());
  return PushResult::Queued;
}

std::array<ByteSpan, 2> WriteQueue::begin_write() {
  // Swapping keeps both buffers' capacity: steady state allocates nothing.
  flight_urgent_.clear();
  flight_bulk_.clear();
  flight_urgent_.swap(urgent_);
  flight_bulk_.swap(bulk_);
  in_flight_ = true;
  return {as_bytes(flight_urgent_), as_bytes(flight_bulk_)};
}

void WriteQueue::end_write() {
  flight_urgent_.clear();
  flight_bulk_.clear();
  in_flight_ = false;
}

}  // namespace vmnmob::connection::detail
