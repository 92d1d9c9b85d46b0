#include "vmnmob/connection/session.hpp"

#include <algorithm>
#include <string>

#include "vmnmob/ofp/codec.hpp"

namespace vmnmob::connection {

namespace {
// Spec 7.4.4: the data of an OFPT_ERROR holds at least 64 bytes of the failed request.
constexpr std::size_t kErrorDataBytes = 64;
}  // namespace

std::string_view to_string(DisconnectReason reason) {
  switch (reason) {
    case DisconnectReason::PeerClosed: return "peer closed the connection";
    case DisconnectReason::IoError: return "I/O error";
    case DisconnectReason::HelloFailed: return "hello failed";
    case DisconnectReason::HandshakeTimeout: return "handshake timeout";
    case DisconnectReason::HandshakeError: return "handshake error";
    case DisconnectReason::EchoTimeout: return "echo timeout";
    case DisconnectReason::ProtocolError: return "protocol error";
    case DisconnectReason::SendQueueStalled: return "send queue stalled";
    case DisconnectReason::Replaced: return "replaced by a new connection";
    case DisconnectReason::Shutdown: return "shutdown";
    case DisconnectReason::TlsFailed: return "TLS handshake failed";
    case DisconnectReason::Refused: return "refused";
  }
  return "unknown";
}

Session::Session(SessionConfig config) : config_(config) {}

ofp::Message Session::make(ofp::MessageBody body) {
  return ofp::Message{ofp::kVersion, allocate_xid(), std::move(body)};
}

ofp::Message Session::bad_type(const ofp::Message& msg) {
  ofp::ErrorMsg error;
  error.type = ofp::ErrorType::BadRequest;
  error.code = static_cast<std::uint16_t>(ofp::BadRequestCode::BadType);
  // The offending message as it came off the wire: an UnknownMessage re-encodes byte for byte.
  ByteVector wire;
  if (ofp::encode(msg, wire)) {
    wire.resize(std::min<std::size_t>(wire.size(), kErrorDataBytes));
    error.data = std::move(wire);
  }
  return ofp::Message{ofp::kVersion, msg.xid, std::move(error)};
}

Session::Actions Session::fail(DisconnectReason reason, std::string detail) {
  state_ = State::Closed;
  Actions a;
  a.close = Close{reason, std::move(detail)};
  return a;
}

Session::Actions Session::start(TimePoint now) {
  Actions a;
  if (state_ != State::NotStarted) return a;
  state_ = State::WaitHello;
  handshake_deadline_ = now + config_.handshake_timeout;
  last_received_ = now;
  // Spec 6.3.1: both sides send HELLO at once; the bitmap announces 1.3 only.
  a.send.push_back(make(ofp::Hello{{ofp::VersionBitmap::of({ofp::kVersion})}}));
  return a;
}

Session::Actions Session::on_hello(const ofp::Message& msg) {
  const auto& hello = std::get<ofp::Hello>(msg.body);
  // Spec 6.3.1: with bitmaps on both sides the highest common version wins; without the
  // peer's bitmap it is the smaller of the two header versions. We implement only 1.3.
  bool compatible = false;
  if (const ofp::VersionBitmap* bitmap = hello.version_bitmap())
    compatible = bitmap->supports(ofp::kVersion);
  else
    compatible = msg.version >= ofp::kVersion;
  if (!compatible) {
    std::string detail = "switch offers no OpenFlow 1.3 (hello version " +
                         std::to_string(msg.version) + ")";
    Actions a = fail(DisconnectReason::HelloFailed, detail);
    ofp::ErrorMsg error;
    error.type = ofp::ErrorType::HelloFailed;
    error.code = static_cast<std::uint16_t>(ofp::HelloFailedCode::Incompatible);
    error.data.resize(detail.size());
    std::transform(detail.begin(), detail.end(), error.data.begin(),
                   [](char c) { return static_cast<std::byte>(c); });
    ofp::Message reply = make(std::move(error));
    // Answer in a version the peer can parse: the OFPT_ERROR header is the same in all
    // versions, so only the version byte changes.
    reply.version = std::min(msg.version, ofp::kVersion);
    if (reply.version == 0) reply.version = ofp::kVersion;
    a.send.push_back(std::move(reply));
    return a;
  }
  state_ = State::WaitFeatures;
  Actions a;
  a.consumed = true;
  ofp::Message request = make(ofp::FeaturesRequest{});
  features_xid_ = request.xid;
  a.send.push_back(std::move(request));
  return a;
}

Session::Actions Session::on_message(TimePoint now, const ofp::Message& msg) {
  last_received_ = now;
  echo_sent_at_.reset();  // any message proves liveness
  Actions a;
  if (state_ == State::Closed || state_ == State::NotStarted) {
    a.consumed = true;
    return a;
  }

  if (state_ == State::WaitHello) {
    if (!std::holds_alternative<ofp::Hello>(msg.body))
      return fail(DisconnectReason::ProtocolError,
                  "first message was " +
                      std::string(ofp::message_type_name(ofp::message_type(msg.body))) +
                      ", not HELLO");
    return on_hello(msg);
  }

  if (const auto* echo = std::get_if<ofp::EchoRequest>(&msg.body)) {
    // Spec 6.3.2: answer with the same xid and data, in every state after HELLO.
    a.consumed = true;
    a.send.push_back(ofp::Message{ofp::kVersion, msg.xid, ofp::EchoReply{echo->data}});
    return a;
  }
  if (std::holds_alternative<ofp::EchoReply>(msg.body) && msg.xid == echo_xid_ &&
      echo_xid_ != 0) {
    a.consumed = true;
    echo_xid_ = 0;
    return a;
  }
  if (const auto* error = std::get_if<ofp::ErrorMsg>(&msg.body)) {
    if (error->type == ofp::ErrorType::HelloFailed)
      return fail(DisconnectReason::HelloFailed,
                  "switch sent HELLO_FAILED/" + ofp::error_code_name(error->type, error->code));
    if (state_ == State::WaitPorts && msg.xid == meters_xid_ && meters_xid_ != 0) {
      // No meters (or no METER_FEATURES): not a reason to refuse the switch.
      a.consumed = true;
      meters_xid_ = 0;
      return finish_handshake(a);
    }
    if (state_ != State::Up && (msg.xid == features_xid_ || msg.xid == ports_xid_))
      return fail(DisconnectReason::HandshakeError,
                  "switch refused a handshake request: " + ofp::error_type_name(error->type) +
                      "/" + ofp::error_code_name(error->type, error->code));
    return a;
  }
  if (std::holds_alternative<ofp::Hello>(msg.body)) {
    a.consumed = true;  // a second HELLO carries no information; ignore it
    return a;
  }
  if (const auto* unknown = std::get_if<ofp::UnknownMessage>(&msg.body);
      unknown != nullptr && unknown->type != static_cast<std::uint8_t>(ofp::MessageType::QueueGetConfigReply)) {
    // Spec 7.5.4 / A.4.4: a message type we do not implement is answered with
    // BAD_REQUEST/BAD_TYPE, its xid and (at least) its first 64 bytes. A stray reply is not
    // answered: an error for an error-free reply would only confuse the switch. The message is
    // still dispatched once the switch is up (observers may count it).
    a.send.push_back(bad_type(msg));
    a.consumed = state_ != State::Up;
    return a;
  }

  if (state_ == State::WaitFeatures) {
    const auto* features = std::get_if<ofp::FeaturesReply>(&msg.body);
    if (features == nullptr || msg.xid != features_xid_) {
      // Switches may send asynchronous messages early; they are not ours to judge.
      a.consumed = true;
      return a;
    }
    features_ = *features;
    state_ = State::WaitPorts;
    a.consumed = true;
    a.send.push_back(make(ofp::SetConfig{config_.switch_config}));
    ofp::Message ports = make(ofp::MultipartRequest{0, ofp::PortDescRequest{}});
    ports_xid_ = ports.xid;
    a.send.push_back(std::move(ports));
    if (config_.probe_meters) {
      ofp::Message meters = make(ofp::MultipartRequest{0, ofp::MeterFeaturesRequest{}});
      meters_xid_ = meters.xid;
      a.send.push_back(std::move(meters));
    }
    return a;
  }

  if (state_ == State::WaitPorts) {
    a.consumed = true;
    const auto* reply = std::get_if<ofp::MultipartReply>(&msg.body);
    if (reply == nullptr) return a;
    if (msg.xid == meters_xid_ && meters_xid_ != 0) {
      const auto* meters = std::get_if<ofp::MeterFeaturesReply>(&reply->body);
      if (meters == nullptr)
        return fail(DisconnectReason::ProtocolError, "METER_FEATURES request answered with another "
                                                     "multipart type");
      meter_features_ = *meters;
      meters_xid_ = 0;
      return finish_handshake(a);
    }
    if (msg.xid != ports_xid_ || ports_done_) return a;
    const auto* ports = std::get_if<ofp::PortDescReply>(&reply->body);
    if (ports == nullptr)
      return fail(DisconnectReason::ProtocolError, "PORT_DESC request answered with another "
                                                   "multipart type");
    ports_.insert(ports_.end(), ports->ports.begin(), ports->ports.end());
    if (reply->more()) return a;  // spec 7.3.5: parts until one without REPLY_MORE
    ports_done_ = true;
    return finish_handshake(a);
  }
  return a;  // Up: the adapter dispatches everything else
}

Session::Actions Session::finish_handshake(Actions& a) {
  if (!ports_done_ || meters_xid_ != 0) return std::move(a);  // the other reply is still due
  state_ = State::Up;
  a.became_up = true;
  return std::move(a);
}

Session::Actions Session::on_tick(TimePoint now) {
  Actions a;
  switch (state_) {
    case State::NotStarted:
    case State::Closed:
      return a;
    case State::WaitHello:
    case State::WaitFeatures:
    case State::WaitPorts:
      if (now >= handshake_deadline_)
        return fail(DisconnectReason::HandshakeTimeout,
                    state_ == State::WaitHello      ? "no HELLO from the switch"
                    : state_ == State::WaitFeatures ? "no FEATURES_REPLY from the switch"
                    : !ports_done_                  ? "no PORT_DESC reply from the switch"
                                                    : "no METER_FEATURES reply from the switch");
      return a;
    case State::Up:
      break;
  }
  if (echo_sent_at_) {
    if (now - *echo_sent_at_ >= config_.echo_timeout)
      return fail(DisconnectReason::EchoTimeout, "no reply to echo request");
    return a;
  }
  if (now - last_received_ >= config_.echo_interval) {
    ofp::Message probe = make(ofp::EchoRequest{});
    echo_xid_ = probe.xid;
    echo_sent_at_ = now;
    a.send.push_back(std::move(probe));
  }
  return a;
}

TimePoint Session::next_deadline() const {
  switch (state_) {
    case State::NotStarted:
    case State::Closed:
      return TimePoint::max();
    case State::WaitHello:
    case State::WaitFeatures:
    case State::WaitPorts:
      return handshake_deadline_;
    case State::Up:
      break;
  }
  if (echo_sent_at_) return *echo_sent_at_ + config_.echo_timeout;
  return last_received_ + config_.echo_interval;
}

TimePoint Backoff::on_failure(TimePoint now) {
  TimePoint at = now + next_;
  next_ = std::min(next_ * 2, config_.maximum);
  return at;
}

}  // namespace vmnmob::connection
