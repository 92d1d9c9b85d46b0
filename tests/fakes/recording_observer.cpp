#include "fakes/recording_observer.hpp"

namespace vmnmob::testing {

void RecordingObserver::record(RecordedEvent e) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
  }
  changed_.notify_all();
}

std::optional<RecordedEvent> RecordingObserver::wait_for(Kind kind, Predicate pred,
                                                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<RecordedEvent> found;
  changed_.wait_for(lock, timeout, [&] {
    for (auto& e : events_) {
      if (e.consumed || e.kind != kind || (pred && !pred(e))) continue;
      e.consumed = true;
      found = e;
      return true;
    }
    return false;
  });
  return found;
}

std::size_t RecordingObserver::count(Kind kind) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& e : events_) n += e.kind == kind ? 1 : 0;
  return n;
}

bool RecordingObserver::wait_count(Kind kind, std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    std::size_t c = 0;
    for (const auto& e : events_) c += e.kind == kind ? 1 : 0;
    return c >= n;
  });
}

std::vector<RecordedEvent> RecordingObserver::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void RecordingObserver::on_limit_hit(const connection::LimitHit& e) {
  RecordedEvent r;
  r.kind = Kind::Limit;
  r.limit = e.kind;
  r.detail = e.detail;
  r.limit_count = e.count;
  record(std::move(r));
}

void RecordingObserver::on_switch_up(const connection::SwitchUp& e) {
  if (up_hook) up_hook(e);
  RecordedEvent r;
  r.kind = Kind::Up;
  r.datapath_id = e.datapath_id;
  r.peer = e.sw.peer();
  r.features = e.features;
  r.ports = e.ports;
  record(std::move(r));
}

void RecordingObserver::on_switch_down(const connection::SwitchDown& e) {
  RecordedEvent r;
  r.kind = Kind::Down;
  r.datapath_id = e.datapath_id;
  r.reason = e.reason;
  r.detail = e.detail;
  record(std::move(r));
}

void RecordingObserver::on_packet_in(const connection::PacketInEvent& e) {
  if (packet_in_hook) packet_in_hook(e);
  RecordedEvent r;
  r.kind = Kind::PacketIn;
  r.datapath_id = e.sw.datapath_id();
  ofp::PacketIn copy = e.packet_in;
  copy.data.own();
  r.message = ofp::Message{ofp::kVersion, e.xid, std::move(copy)};
  record(std::move(r));
}

void RecordingObserver::on_port_status(const connection::PortStatusEvent& e) {
  RecordedEvent r;
  r.kind = Kind::PortStatus;
  r.datapath_id = e.sw.datapath_id();
  r.message = ofp::Message{ofp::kVersion, 0, e.port_status};
  r.ports = e.sw.ports();
  record(std::move(r));
}

void RecordingObserver::on_flow_removed(const connection::FlowRemovedEvent& e) {
  RecordedEvent r;
  r.kind = Kind::FlowRemoved;
  r.datapath_id = e.sw.datapath_id();
  r.message = ofp::Message{ofp::kVersion, 0, e.flow_removed};
  record(std::move(r));
}

void RecordingObserver::on_error(const connection::SwitchErrorEvent& e) {
  RecordedEvent r;
  r.kind = Kind::Error;
  r.datapath_id = e.sw.datapath_id();
  r.message = ofp::Message{ofp::kVersion, e.xid, e.error};
  record(std::move(r));
}

void RecordingObserver::on_role_change(const connection::RoleChangeEvent& e) {
  RecordedEvent r;
  r.kind = Kind::Role;
  r.datapath_id = e.sw.datapath_id();
  r.role = e.role;
  r.generation_id = e.generation_id;
  record(std::move(r));
}

void RecordingObserver::on_other_message(const connection::OtherMessageEvent& e) {
  RecordedEvent r;
  r.kind = Kind::Other;
  r.datapath_id = e.sw.datapath_id();
  r.message = e.message;
  if (auto* pi = std::get_if<ofp::PacketIn>(&r.message->body)) pi->data.own();
  record(std::move(r));
}

void RecordingObserver::on_handshake_failed(const connection::HandshakeFailed& e) {
  RecordedEvent r;
  r.kind = Kind::HandshakeFailed;
  r.peer = e.peer;
  r.reason = e.reason;
  r.detail = e.detail;
  r.datapath_id = e.datapath_id;
  record(std::move(r));
}

}  // namespace vmnmob::testing
