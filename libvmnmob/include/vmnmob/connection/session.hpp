// The OpenFlow session of one switch connection as a small state machine without I/O:
// HELLO negotiation (spec 6.3.1), the handshake (FEATURES, PORT_DESC, SET_CONFIG) and echo
// liveness. Every input carries `now`; the outputs are the messages to send and, possibly, a
// decision to close. The Asio adapter (src/connection/connection.cpp) feeds it; the unit
// tests feed it times and messages directly, without sockets or sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vmnmob/base/time.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::connection {

using vmnmob::Clock;
using vmnmob::Duration;
using vmnmob::TimePoint;

/// Why a switch connection ended.
enum class DisconnectReason : std::uint8_t {
  PeerClosed,        // the switch closed TCP (EOF or reset)
  IoError,           // a socket error other than a clean close
  HelloFailed,       // no common OpenFlow version, or the switch sent HELLO_FAILED
  HandshakeTimeout,  // HELLO/FEATURES/PORT_DESC did not complete in time
  HandshakeError,    // the switch answered a handshake request with OFPT_ERROR
  EchoTimeout,       // the switch stayed silent after an echo request
  ProtocolError,     // an unframeable stream (bad length, oversized) or a message out of order
  SendQueueStalled,  // the switch stopped reading and the write did not progress in time
  Replaced,          // the same datapath id connected again; the newer connection wins
  Shutdown,          // closed locally (SwitchManager::stop or Switch::close)
  TlsFailed,         // the TLS handshake failed (no or untrusted client certificate, old version...)
  Refused,           // ManagerOptions::admit refused the datapath id for this peer
};
std::string_view to_string(DisconnectReason reason);

struct SessionConfig {
  /// From TCP established to the PORT_DESC reply; a switch that stalls longer is dropped.
  Duration handshake_timeout = std::chrono::seconds(10);
  /// Silence (nothing received) after which we send ECHO_REQUEST.
  Duration echo_interval = std::chrono::seconds(5);
  /// Further silence after the echo request after which the switch is declared dead.
  Duration echo_timeout = std::chrono::seconds(5);
  /// Sent as SET_CONFIG during the handshake. miss_send_len = NO_BUFFER: whole packets in
  /// PACKET_IN, which the mobility engine needs (ARP/RARP bodies).
  ofp::SwitchConfig switch_config{};
  /// Also ask what the switch's meters can do (METER_FEATURES, sent with PORT_DESC); the
  /// switch is up once both are answered. A switch that refuses the request (OFPT_ERROR) is
  /// up all the same, without meter features.
  bool probe_meters = false;
};

class Session {
 public:
  enum class State : std::uint8_t {
    NotStarted,
    WaitHello,     // our HELLO sent, waiting for the switch's
    WaitFeatures,  // FEATURES_REQUEST sent
    WaitPorts,     // PORT_DESC multipart request sent (SET_CONFIG, METER_FEATURES with it)
    Up,            // handshake complete: the switch counts as connected
    Closed,
  };

  struct Close {
    DisconnectReason reason;
    std::string detail;
  };

  /// What the adapter must do after an input. `send` in order; then close if set.
  struct Actions {
    std::vector<ofp::Message> send;
    std::optional<Close> close;
    bool became_up = false;  // the handshake completed with this input
    bool consumed = false;   // the message belonged to the session; do not dispatch it
  };

  explicit Session(SessionConfig config = {});

  /// The TCP connection is established: sends HELLO and starts the handshake clock.
  Actions start(TimePoint now);
  /// Every decoded message goes here first. Any message proves the switch is alive.
  Actions on_message(TimePoint now, const ofp::Message& msg);
  /// Timers: handshake timeout, echo probe, echo timeout. Call at (or after) next_deadline().
  Actions on_tick(TimePoint now);
  /// When on_tick next has something to do (TimePoint::max() when nothing is pending).
  TimePoint next_deadline() const;

  /// One xid sequence for the whole connection, shared with the request table so a reply
  /// can never be mistaken for another's. It stays below 2^31: xids with the top bit set are
  /// the host's (vmnmob/delivery gives them to the messages of a batch and matches the replies).
  std::uint32_t allocate_xid() {
    const std::uint32_t xid = next_xid_;
    next_xid_ = next_xid_ >= kLastXid ? 1 : next_xid_ + 1;
    return xid;
  }
  static constexpr std::uint32_t kLastXid = 0x7fff'ffffu;

  State state() const { return state_; }
  bool up() const { return state_ == State::Up; }
  /// Valid once WaitPorts was reached.
  const ofp::FeaturesReply& features() const { return features_; }
  /// The ports from the PORT_DESC reply (all parts). Valid once up.
  const std::vector<ofp::Port>& ports() const { return ports_; }
  std::vector<ofp::Port> take_ports() { return std::move(ports_); }
  /// The METER_FEATURES reply (SessionConfig::probe_meters); nothing when not asked, or when
  /// the switch refused the request. Valid once up.
  const std::optional<ofp::MeterFeaturesReply>& meter_features() const { return meter_features_; }
  const SessionConfig& config() const { return config_; }

 private:
  Actions on_hello(const ofp::Message& msg);
  Actions finish_handshake(Actions& a);  // up once PORT_DESC (and METER_FEATURES, if asked) are in
  Actions fail(DisconnectReason reason, std::string detail);
  ofp::Message make(ofp::MessageBody body);
  /// OFPT_ERROR BAD_REQUEST/BAD_TYPE answering `msg` (spec 7.5.4).
  static ofp::Message bad_type(const ofp::Message& msg);

  SessionConfig config_;
  State state_ = State::NotStarted;
  std::uint32_t next_xid_ = 1;
  TimePoint handshake_deadline_{};
  TimePoint last_received_{};
  std::optional<TimePoint> echo_sent_at_;  // our liveness probe is outstanding
  std::uint32_t echo_xid_ = 0;
  std::uint32_t features_xid_ = 0;
  std::uint32_t ports_xid_ = 0;
  std::uint32_t meters_xid_ = 0;  // non-zero while METER_FEATURES is unanswered
  bool ports_done_ = false;
  ofp::FeaturesReply features_;
  std::vector<ofp::Port> ports_;
  std::optional<ofp::MeterFeaturesReply> meter_features_;
};

/// Reconnect delay for active mode (after OVS lib/reconnect: exponential backoff with a cap,
/// reset once a connection reaches Up). Pure: the caller owns the timer.
struct BackoffConfig {
  Duration initial = std::chrono::milliseconds(250);
  Duration maximum = std::chrono::seconds(8);
};

class Backoff {
 public:
  explicit Backoff(BackoffConfig config = {}) : config_(config), next_(config.initial) {}
  /// A connect attempt failed or an established connection ended: when to try again.
  TimePoint on_failure(TimePoint now);
  /// The handshake completed: the next failure starts again from the initial delay.
  void on_up() { next_ = config_.initial; }
  Duration current() const { return next_; }

 private:
  BackoffConfig config_;
  Duration next_;
};

}  // namespace vmnmob::connection
