// Events the connection manager delivers to its observers: typed, decoded views.
//
// Lifetime: every reference in an event (the switch, the message, PacketIn::data which
// borrows the receive buffer) is valid only during the callback. Keep what you need by
// copying it (PacketIn: copy the struct and call data.own()) or keep the switch via
// SwitchManager::find().
#pragma once

#include <string>
#include <vector>

#include "vmnmob/connection/session.hpp"
#include "vmnmob/connection/switch.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::connection {

struct SwitchUp {
  Switch& sw;
  DatapathId datapath_id;
  const ofp::FeaturesReply& features;
  const std::vector<ofp::Port>& ports;
  const std::optional<ofp::MeterFeaturesReply>& meter_features;  // SessionConfig::probe_meters
};

struct SwitchDown {
  DatapathId datapath_id;
  DisconnectReason reason;
  std::string detail;
  SwitchCounters counters;  // final counters of the connection
};

struct PacketInEvent {
  Switch& sw;
  std::uint32_t xid;
  const ofp::PacketIn& packet_in;  // packet_in.data borrows the receive buffer
};

struct PortStatusEvent {
  Switch& sw;
  const ofp::PortStatus& port_status;
};

struct FlowRemovedEvent {
  Switch& sw;
  const ofp::FlowRemoved& flow_removed;
};

/// An OFPT_ERROR that answers no outstanding request (e.g. a refused FLOW_MOD sent with
/// send()). `error.data` holds the start of the offending message; `xid` is its xid.
struct SwitchErrorEvent {
  Switch& sw;
  std::uint32_t xid;
  const ofp::ErrorMsg& error;
};

/// The switch confirmed a role (ROLE_REPLY to a ROLE_REQUEST made through Switch::request).
struct RoleChangeEvent {
  Switch& sw;
  ofp::ControllerRole role;
  std::uint64_t generation_id;
};

/// Any other message from an up switch that answers no request (experimenter, unknown types,
/// unsolicited replies).
struct OtherMessageEvent {
  Switch& sw;
  const ofp::Message& message;
};

/// A TCP connection that ended before its handshake completed (it never counted as up, so
/// there is no SwitchDown for it): incompatible version, timeout, malformed stream, a failed
/// TLS handshake, or a datapath id the admission hook refused (reason Refused).
struct HandshakeFailed {
  std::string peer;
  DisconnectReason reason;
  std::string detail;
  DatapathId datapath_id = 0;  // the id the peer claimed, when refused by admission; else 0
};

/// A connection limit was hit or accept() failed (switch_manager.hpp, ConnectionLimits).
/// Reported once per burst (the first hit after a quiet `burst_gap`), not once per connection:
/// `count` is the counter of that kind at the time, so a host can log the burst's size later.
struct LimitHit {
  enum class Kind : std::uint8_t { ConnectionsPerAddress, ConnectionsTotal, AcceptError };
  Kind kind;
  std::string detail;  // the peer address, or the accept error
  std::uint64_t count;
};
std::string_view to_string(LimitHit::Kind kind);

/// Observers override what they need. Callbacks run on the switch's strand, one at a time
/// per switch, and must not block (see the threading model in switch_manager.hpp).
class SwitchObserver {
 public:
  virtual ~SwitchObserver() = default;
  virtual void on_switch_up(const SwitchUp&) {}
  virtual void on_switch_down(const SwitchDown&) {}
  virtual void on_packet_in(const PacketInEvent&) {}
  virtual void on_port_status(const PortStatusEvent&) {}
  virtual void on_flow_removed(const FlowRemovedEvent&) {}
  virtual void on_error(const SwitchErrorEvent&) {}
  virtual void on_role_change(const RoleChangeEvent&) {}
  virtual void on_other_message(const OtherMessageEvent&) {}
  virtual void on_handshake_failed(const HandshakeFailed&) {}
  /// Runs on the listener's executor, not on a switch strand.
  virtual void on_limit_hit(const LimitHit&) {}
};

}  // namespace vmnmob::connection
