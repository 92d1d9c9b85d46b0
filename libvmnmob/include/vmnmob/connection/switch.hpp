// One connected switch as the library's users see it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/connection/request.hpp"
#include "vmnmob/connection/session.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::connection {

using DatapathId = std::uint64_t;

/// A snapshot of one connection's counters (see Switch::counters()).
struct SwitchCounters {
  std::uint64_t messages_in = 0;   // whole messages received (including malformed ones)
  std::uint64_t bytes_in = 0;      // bytes read from the socket
  std::uint64_t messages_out = 0;  // messages queued for sending
  std::uint64_t bytes_out = 0;     // bytes written to the socket
  std::uint64_t packet_ins = 0;
  std::uint64_t errors_in = 0;      // OFPT_ERROR messages received
  std::uint64_t decode_errors = 0;  // messages we could not decode (answered with OFPT_ERROR)
  std::uint64_t dropped = 0;        // messages refused because the send queue was full
  std::uint64_t queue_depth = 0;    // bytes waiting or being written, at snapshot time
  std::uint64_t queue_high_water = 0;
};

/// Why send() refused a message. Nothing was queued.
enum class SendError : std::uint8_t { NotConnected, QueueFull, EncodeFailed };
std::string_view to_string(SendError error);
using SendResult = Expected<void, SendError>;

/// A switch whose handshake completed. Obtained from SwitchManager::find() or from an event.
/// All member functions may be called from any thread (see the threading model in
/// switch_manager.hpp); callers on the switch's strand (e.g. inside an event callback) take
/// the fast path: the message is encoded straight into the write buffer.
class Switch {
 public:
  virtual ~Switch() = default;

  virtual DatapathId datapath_id() const = 0;
  /// The FEATURES_REPLY of the handshake.
  virtual ofp::FeaturesReply features() const = 0;
  /// Ports from PORT_DESC, kept current by PORT_STATUS (a copy; safe from any thread).
  virtual std::vector<ofp::Port> ports() const = 0;
  /// What its meters can do, when asked in the handshake (SessionConfig::probe_meters) and
  /// answered.
  virtual std::optional<ofp::MeterFeaturesReply> meter_features() const = 0;
  /// Remote address "ip:port".
  virtual std::string peer() const = 0;
  virtual bool connected() const = 0;
  virtual SwitchCounters counters() const = 0;

  /// Queues a message without reply (FLOW_MOD, PACKET_OUT, ...). The xid is kept if non-zero,
  /// otherwise one is allocated. From another thread the result is optimistic: a message that
  /// later finds the queue full is counted in `dropped`.
  virtual SendResult send(const ofp::Message& msg) = 0;
  SendResult send(ofp::MessageBody body) { return send(ofp::Message{ofp::kVersion, 0, std::move(body)}); }
  /// Queues several messages in order as one unit: from another thread or switch they are
  /// encoded into one buffer and handed to the strand once (a migration's flow-mods for one
  /// switch), instead of once per message. Same xid rule and results as send(); from another
  /// thread or switch nothing is queued on QueueFull or EncodeFailed, on the switch's own
  /// strand the messages before the failing one are.
  virtual SendResult send_batch(std::span<const ofp::Message> msgs) = 0;

  /// Sends a request (barrier, multipart, echo, role, get-config, get-async, features) and
  /// calls `handler` exactly once on the switch's strand: with the reply (all parts of a
  /// multipart reply), or with an error (OFPT_ERROR reply, timeout, disconnect).
  virtual void request(ofp::MessageBody body, Duration timeout, ReplyHandler handler) = 0;

  /// Closes the connection (the switch will see it as a controller disconnect).
  virtual void close() = 0;
};

}  // namespace vmnmob::connection
