// Outstanding requests of one connection, matched to replies by xid (spec 6.1: the reply
// carries the request's xid). Multipart replies are assembled from their REPLY_MORE parts.
// Pure: time comes in as `now`; the adapter calls expire() from its timer.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "vmnmob/base/time.hpp"
#include "vmnmob/connection/request.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::connection::detail {

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

}  // namespace vmnmob::connection::detail
