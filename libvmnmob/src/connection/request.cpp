#include "vmnmob/connection/request.hpp"

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

}  // namespace vmnmob::connection
