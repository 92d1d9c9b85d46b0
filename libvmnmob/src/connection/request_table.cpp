#include "connection/detail/request_table.hpp"

#include <utility>

namespace vmnmob::connection::detail {

void RequestTable::add(std::uint32_t xid, ofp::MessageType reply_type, TimePoint deadline,
                       ReplyHandler handler) {
  pending_[xid] = Pending{reply_type, deadline, std::move(handler), {}};
}

bool RequestTable::on_message(ofp::Message& msg) {
  auto it = pending_.find(msg.xid);
  if (it == pending_.end()) return false;
  Pending& p = it->second;

  if (const auto* error = std::get_if<ofp::ErrorMsg>(&msg.body)) {
    RequestError e{RequestError::Kind::SwitchError, *error, {}};
    ReplyHandler handler = std::move(p.handler);
    pending_.erase(it);
    if (handler) handler(unexpected(std::move(e)));
    return true;
  }
  if (ofp::message_type(msg.body) != p.reply_type) return false;

  bool more = false;
  if (const auto* part = std::get_if<ofp::MultipartReply>(&msg.body)) more = part->more();
  p.parts.push_back(std::move(msg));
  if (more) return true;  // spec 7.3.5: wait for the part without REPLY_MORE

  ReplyHandler handler = std::move(p.handler);
  Reply parts = std::move(p.parts);
  pending_.erase(it);
  if (handler) handler(std::move(parts));
  return true;
}

void RequestTable::expire(TimePoint now) {
  // Handlers may add requests: collect first, call after the table is consistent.
  std::vector<std::pair<ReplyHandler, std::size_t>> expired;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      expired.emplace_back(std::move(it->second.handler), it->second.parts.size());
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [handler, parts] : expired) {
    if (!handler) continue;
    std::string detail =
        parts == 0 ? std::string("no reply") : std::to_string(parts) + " parts, reply incomplete";
    handler(unexpected(RequestError{RequestError::Kind::Timeout, {}, std::move(detail)}));
  }
}

void RequestTable::fail_all(RequestError::Kind kind, const std::string& detail) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [xid, p] : pending)
    if (p.handler) p.handler(unexpected(RequestError{kind, {}, detail}));
}

TimePoint RequestTable::next_deadline() const {
  TimePoint next = TimePoint::max();
  for (const auto& [xid, p] : pending_) next = std::min(next, p.deadline);
  return next;
}

}  // namespace vmnmob::connection::detail
