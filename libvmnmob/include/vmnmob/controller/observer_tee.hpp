// One ControllerObserver that forwards every call to several: a Controller takes one observer,
// and a host that logs and saves state (its own observer) and also serves the northbound API
// (northbound::Api) gives it a tee of both. Every call runs on the io_context thread. It forwards
// every ControllerObserver callback: one added there must be added here too.
#pragma once

#include <vector>

#include "vmnmob/controller/controller.hpp"

namespace vmnmob::controller {

class ObserverTee final : public ControllerObserver {
 public:
  /// Observers are called in the order they were added; each must outlive the tee's use.
  void add(ControllerObserver& observer) { observers_.push_back(&observer); }
  void remove(ControllerObserver& observer);

  void on_switch_up(const connection::SwitchUp& e) override;
  void on_switch_down(const connection::SwitchDown& e) override;
  void on_port_status(const connection::PortStatusEvent& e) override;
  void on_switch_error(const connection::SwitchErrorEvent& e) override;
  void on_handshake_failed(const connection::HandshakeFailed& e) override;
  void on_events(std::span<const mobility::Event> events, Duration reaction) override;
  void on_state_changed() override;
  void on_state_changes(const mobility::Batch& batch) override;
  void on_delivery(const delivery::Report& r) override;
  void on_send_failed(std::uint64_t datapath_id, connection::SendError error) override;
  void on_packet_ins_dropped(std::uint64_t datapath_id, const mobility::AdmissionCounters& c) override;
  void on_limit_hit(const connection::LimitHit& e) override;

 private:
  std::vector<ControllerObserver*> observers_;
};

}  // namespace vmnmob::controller
