// What Switch::request() answers: the reply (all parts of a multipart reply) or why there was
// none. The requests themselves are matched to replies by xid inside the library (spec 6.1).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vmnmob/base/expected.hpp"
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

}  // namespace vmnmob::connection
