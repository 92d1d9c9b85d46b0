#include "vmnmob/connection/request_table.hpp"

#include <type_traits>
#include <utility>

namespace vmnmob::connection {

std::string RequestError::to_string() const {
  std::string s;
  switch (kind) {
    case Kind::SwitchError:
      s = "switch error " + ofp::error_type_name(error.type) + "/" +
          ofp::error_code_name(error.type, error.code);
      break;
    case Kind::Timeout: s = "timeout"; break;
    case Kind::Disconnected: s = "disconnected"; break;
    case Kind::QueueFull: s = "send queue full"; break;
    case Kind::NotConnected: s = "switch not connected"; break;
    case Kind::NotARequest: s = "message has no reply"; break;
    case Kind::EncodeFailed: s = "encode failed"; break;
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

std::optional<ofp::MessageType> reply_type_for(const ofp::MessageBody& request) {
  using T = ofp::MessageType;
  switch (ofp::message_type(request)) {
    case T::EchoRequest: return T::EchoReply;
    case T::FeaturesRequest: return T::FeaturesReply;
    case T::GetConfigRequest: return T::GetConfigReply;
    case T::MultipartRequest: return T::MultipartReply;
    case T::BarrierRequest: return T::BarrierReply;
    case T::RoleRequest: return T::RoleReply;
    case T::GetAsyncRequest: return T::GetAsyncReply;
    default: return std::nullopt;
  }
}

namespace {
// Appends the list of `from` to `into` when both bodies hold the same list type.
template <class Body, class Member>
bool append_list(ofp::MultipartReplyBody& into, const ofp::MultipartReplyBody& from,
                 Member member) {
  auto* a = std::get_if<Body>(&into);
  const auto* b = std::get_if<Body>(&from);
  if (a == nullptr || b == nullptr) return false;
  auto& list = (*a).*member;
  list.insert(list.end(), ((*b).*member).begin(), ((*b).*member).end());
  return true;
}
}  // namespace

ofp::MultipartReplyBody merge_multipart(const Reply& parts) {
  ofp::MultipartReplyBody merged;
  bool first = true;
  for (const ofp::Message& part : parts) {
    const auto* reply = std::get_if<ofp::MultipartReply>(&part.body);
    if (reply == nullptr) continue;
    if (first) {
      merged = reply->body;
      first = false;
      continue;
    }
    append_list<ofp::FlowStatsReply>(merged, reply->body, &ofp::FlowStatsReply::flows) ||
        append_list<ofp::TableStatsReply>(merged, reply->body, &ofp::TableStatsReply::tables) ||
        append_list<ofp::PortStatsReply>(merged, reply->body, &ofp::PortStatsReply::ports) ||
        append_list<ofp::PortDescReply>(merged, reply->body, &ofp::PortDescReply::ports) ||
        append_list<ofp::GroupDescReply>(merged, reply->body, &ofp::GroupDescReply::groups) ||
        append_list<ofp::MeterConfigReply>(merged, reply->body, &ofp::MeterConfigReply::meters);
  }
  return merged;
}

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

}  // namespace vmnmob::connection
