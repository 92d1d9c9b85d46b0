// A SwitchObserver that records every event as an owned copy, for tests that run the
// manager's io_context on another thread and wait for events with a timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vmnmob/connection/events.hpp"

namespace vmnmob::testing {

struct RecordedEvent {
  enum class Kind { Up, Down, PacketIn, PortStatus, FlowRemoved, Error, Role, Other, HandshakeFailed, Limit };
  Kind kind = Kind::Up;
  connection::DatapathId datapath_id = 0;
  std::string peer;
  connection::DisconnectReason reason = connection::DisconnectReason::Shutdown;
  std::string detail;
  ofp::FeaturesReply features;
  std::vector<ofp::Port> ports;
  std::optional<ofp::Message> message;  // PacketIn (data owned), PortStatus, FlowRemoved, Error, Other
  ofp::ControllerRole role = ofp::ControllerRole::NoChange;
  std::uint64_t generation_id = 0;
  connection::LimitHit::Kind limit = connection::LimitHit::Kind::AcceptError;  // Limit
  std::uint64_t limit_count = 0;
  bool consumed = false;
};

class RecordingObserver : public connection::SwitchObserver {
 public:
  using Kind = RecordedEvent::Kind;
  using Predicate = std::function<bool(const RecordedEvent&)>;

  /// The first not yet returned event of `kind` that satisfies `pred`, waiting up to `timeout`.
  std::optional<RecordedEvent> wait_for(Kind kind, Predicate pred = {},
                                        std::chrono::milliseconds timeout = std::chrono::seconds(3));
  std::size_t count(Kind kind) const;
  bool wait_count(Kind kind, std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(3));
  std::vector<RecordedEvent> events() const;

  /// Optional hooks run inside the callback, on the switch's strand (e.g. to answer a
  /// PACKET_IN with a PACKET_OUT while the borrowed data is valid).
  std::function<void(const connection::PacketInEvent&)> packet_in_hook;
  std::function<void(const connection::SwitchUp&)> up_hook;

  void on_switch_up(const connection::SwitchUp& e) override;
  void on_switch_down(const connection::SwitchDown& e) override;
  void on_packet_in(const connection::PacketInEvent& e) override;
  void on_port_status(const connection::PortStatusEvent& e) override;
  void on_flow_removed(const connection::FlowRemovedEvent& e) override;
  void on_error(const connection::SwitchErrorEvent& e) override;
  void on_role_change(const connection::RoleChangeEvent& e) override;
  void on_other_message(const connection::OtherMessageEvent& e) override;
  void on_handshake_failed(const connection::HandshakeFailed& e) override;
  void on_limit_hit(const connection::LimitHit& e) override;

 private:
  void record(RecordedEvent e);
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<RecordedEvent> events_;
};

}  // namespace vmnmob::testing
