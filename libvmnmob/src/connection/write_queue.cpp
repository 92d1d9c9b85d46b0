#include "vmnmob/connection/write_queue.hpp"

namespace vmnmob::connection {

WriteQueue::PushResult WriteQueue::push(const ofp::Message& msg, Lane lane, std::size_t* bytes) {
  ByteVector& buf = lane == Lane::Urgent ? urgent_ : bulk_;
  std::size_t limit = lane == Lane::Urgent ? urgent_limit_ : limit_;
  std::size_t before = buf.size();
  if (before >= limit) return PushResult::Full;
  if (!ofp::encode(msg, buf)) {
    buf.resize(before);
    return PushResult::EncodeFailed;
  }
  // A message that crosses the limit is taken back: the bound holds exactly.
  if (buf.size() > limit && before != 0) {
    buf.resize(before);
    return PushResult::Full;
  }
  // msg.version differs from 4 only for a HELLO_FAILED answer to an older peer; the header's
  // version byte is the only difference (spec 6.3.1).
  buf[before] = std::byte{msg.version};
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

}  // namespace vmnmob::connection
