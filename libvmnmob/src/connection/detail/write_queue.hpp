// The send side of one connection: encoded messages wait here until the socket takes them.
//
// Coalescing: messages are encoded back to back into one pending buffer; one write takes
// everything pending, so many small FLOW_MODs/PACKET_OUTs become few system calls.
// Double buffering: while one batch is being written, new messages fill the other buffer.
// Priority: echo traffic goes to a separate urgent buffer that is written ahead of the bulk
// buffer in the next batch, so liveness never waits behind more than the batch in flight.
//
// Bound (the policy when a switch stops reading): the bulk buffer holds at most `limit`
// bytes besides the batch in flight. A message that does not fit is refused (the caller
// gets QueueFull and the message is not sent); the adapter additionally closes a connection
// whose write makes no progress for a while (DisconnectReason::SendQueueStalled). Memory per
// switch is therefore bounded by about 2 * limit + urgent_limit, and a stuck switch never
// blocks others (each connection has its own queue and writes asynchronously).
#pragma once

#include <array>
#include <cstddef>

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/codec.hpp"

namespace vmnmob::connection::detail {

class WriteQueue {
 public:
  enum class Lane : std::uint8_t { Bulk, Urgent };
  enum class PushResult : std::uint8_t { Queued, Full, EncodeFailed };

  explicit WriteQueue(std::size_t limit = 4u << 20, std::size_t urgent_limit = 64u << 10)
      : limit_(limit), urgent_limit_(urgent_limit) {}

  /// Encodes `msg` straight into the pending buffer of `lane`. On Full or EncodeFailed the
  /// queue is unchanged. `bytes` receives the encoded size when queued. A non-zero `xid`
  /// replaces msg.xid in the encoded header (saves copying a message only to number it).
  PushResult push(const ofp::Message& msg, Lane lane, std::size_t* bytes = nullptr,
                  std::uint32_t xid = 0);
  /// Appends already encoded bytes (one or more whole messages).
  PushResult push_encoded(ByteSpan encoded, Lane lane);

  /// True when nothing is in flight and something is pending.
  bool ready() const { return !in_flight_ && (!urgent_.empty() || !bulk_.empty()); }
  /// Moves everything pending into the in-flight batch and returns it as buffers to write
  /// in order (urgent first). Call only when ready().
  std::array<ByteSpan, 2> begin_write();
  /// The in-flight batch was written completely.
  void end_write();
  bool in_flight() const { return in_flight_; }

  /// Bytes waiting or being written.
  std::size_t depth() const {
    return urgent_.size() + bulk_.size() + flight_urgent_.size() + flight_bulk_.size();
  }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::size_t urgent_limit_;
  ByteVector urgent_;
  ByteVector bulk_;
  ByteVector flight_urgent_;
  ByteVector flight_bulk_;
  bool in_flight_ = false;
};

}  // namespace vmnmob::connection::detail
