#include "vmnmob/controller/observer_tee.hpp"

#include <algorithm>

namespace vmnmob::controller {

void ObserverTee::remove(ControllerObserver& observer) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), &observer), observers_.end());
}

void ObserverTee::on_switch_up(const connection::SwitchUp& e) {
  for (auto* o : observers_) o->on_switch_up(e);
}
void ObserverTee::on_switch_down(const connection::SwitchDown& e) {
  for (auto* o : observers_) o->on_switch_down(e);
}
void ObserverTee::on_port_status(const connection::PortStatusEvent& e) {
  for (auto* o : observers_) o->on_port_status(e);
}
void ObserverTee::on_switch_error(const connection::SwitchErrorEvent& e) {
  for (auto* o : observers_) o->on_switch_error(e);
}
void ObserverTee::on_handshake_failed(const connection::HandshakeFailed& e) {
  for (auto* o : observers_) o->on_handshake_failed(e);
}
void ObserverTee::on_events(std::span<const mobility::Event> events, Duration reaction) {
  for (auto* o : observers_) o->on_events(events, reaction);
}
void ObserverTee::on_state_changed() {
  for (auto* o : observers_) o->on_state_changed();
}

void ObserverTee::on_state_changes(const mobility::Batch& batch) {
  for (auto* o : observers_) o->on_state_changes(batch);
}
void ObserverTee::on_delivery(const delivery::Report& r) {
  for (auto* o : observers_) o->on_delivery(r);
}
void ObserverTee::on_send_failed(std::uint64_t datapath_id, connection::SendError error) {
  for (auto* o : observers_) o->on_send_failed(datapath_id, error);
}
void ObserverTee::on_packet_ins_dropped(std::uint64_t datapath_id, const mobility::AdmissionCounters& c) {
  for (auto* o : observers_) o->on_packet_ins_dropped(datapath_id, c);
}
void ObserverTee::on_limit_hit(const connection::LimitHit& e) {
  for (auto* o : observers_) o->on_limit_hit(e);
}

}  // namespace vmnmob::controller
