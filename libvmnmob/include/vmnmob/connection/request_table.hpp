// Outstanding requests of one connection, matched to replies by xid (spec 6.1: the reply
// carries the request's xid). Multipart replies are assembled from their REPLY_MORE parts.
// Pure: time comes in as `now`; the adapter calls expire() from its timer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/connection/session.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::connection {

/// Why a request produced no reply.
struct RequestError {
  enum class Kind : std::uint8_t {
    SwitchError,   // the switch answered OFPT_ERROR: see `error`
    Timeout,       // no (complete) reply before the deadline
    Disconnected,  // the connection ended first
    QueueFull,     // the send queue was over its limit; nothing was sent
    NotConnected,  // no such switch, or it is not up
    NotARequest,   // the message type has no reply (e.g. FLOW_MOD: pair it with a barrier)
    EncodeFailed,  // the message could not be encoded (see detail)
  };
  Kind kind = Kind::Timeout;
  ofp::ErrorMsg error;  // only for SwitchError
  std::string detail;
  std::string to_string() const;
};

/// The reply: one message, or every part of a multipart reply in arrival order.
using Reply = std::vector<ofp::Message>;
using ReplyResult = Expected<Reply, RequestError>;
using ReplyHandler = std::function<void(ReplyResult)>;

/// The reply type for a request type; nullopt when the request has no reply.
std::optional<ofp::MessageType> reply_type_for(const ofp::MessageBody& request);

/// Concatenates the list bodies of multipart parts (flows, ports, tables...) into one body.
/// Parts of different types, or of a type without a list, yield the first part's body.
ofp::MultipartReplyBody merge_multipart(const Reply& parts);

class RequestTable {
 public:
  void add(std::uint32_t xid, ofp::MessageType reply_type, TimePoint deadline,
           ReplyHandler handler);
  /// Completes the request this message answers (returns true), or returns false when the
  /// message answers nothing outstanding. The message is moved from only when consumed.
  bool on_message(ofp::Message& msg);
  /// Fails every request whose deadline passed.
  void expire(TimePoint now);
  /// Fails everything (connection closed).
  void fail_all(RequestError::Kind kind, const std::string& detail);
  TimePoint next_deadline() const;
  std::size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    ofp::MessageType reply_type;
    TimePoint deadline;
    ReplyHandler handler;
    Reply parts;
  };
  std::map<std::uint32_t, Pending> pending_;
};

}  // namespace vmnmob::connection
