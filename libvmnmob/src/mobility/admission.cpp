#include "vmnmob/mobility/admission.hpp"

#include <algorithm>
#include <chrono>

#include "vmnmob/mobility/arp_frame.hpp"
#include "vmnmob/packet/frame.hpp"

namespace vmnmob::mobility {

void TokenBucket::refill(TimePoint now) {
  if (rate_.per_second == 0) return;
  if (last_ == TimePoint{}) {
    last_ = now;
    return;
  }
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(rate_.burst, tokens_ + seconds * rate_.per_second);
  last_ = now;
}

void TokenBucket::set_rate(Rate rate) {
  rate_ = rate;
  tokens_ = std::min(tokens_, rate.burst);
}

PacketInKind classify_packet_in(ByteSpan frame) {
  // RFC 903 RARP needs no more than its Ethernet type; a gratuitous ARP needs the ARP body.
  auto parsed = packet::parse_frame(frame);
  if (!parsed) return PacketInKind::Other;
  if (parsed->ethernet.ethertype == kEtherTypeRarp) return PacketInKind::Announce;
  auto arp = from_packet(*parsed);
  if (arp && arp->is_gratuitous()) return PacketInKind::Announce;
  return PacketInKind::Other;
}

AdmissionCounters& AdmissionCounters::operator+=(const AdmissionCounters& o) {
  admitted += o.admitted;
  admitted_announces += o.admitted_announces;
  dropped_port += o.dropped_port;
  dropped_switch += o.dropped_switch;
  dropped_announce += o.dropped_announce;
  return *this;
}

PacketInAdmission::PerSwitch& PacketInAdmission::switch_state(std::uint64_t datapath_id) {
  auto [it, inserted] = switches_.try_emplace(datapath_id);
  if (inserted) {
    it->second.all = TokenBucket(config_.per_switch);
    it->second.announces = TokenBucket(config_.announce_per_switch);
    it->second.other_ports = TokenBucket(config_.per_port);
  }
  return it->second;
}

bool PacketInAdmission::admit(TimePoint now, std::uint64_t datapath_id, std::uint32_t in_port, PacketInKind kind) {
  PerSwitch& s = switch_state(datapath_id);
  AdmissionCounters& c = counters_[datapath_id];
  if (kind == PacketInKind::Announce) {
    if (!s.announces.take(now)) {
      ++c.dropped_announce;
      return false;
    }
    ++c.admitted;
    ++c.admitted_announces;
    return true;
  }
  TokenBucket* port = &s.other_ports;
  if (auto it = s.ports.find(in_port); it != s.ports.end()) {
    port = &it->second;
  } else if (s.ports.size() < config_.max_ports_per_switch) {
    port = &s.ports.emplace(in_port, TokenBucket(config_.per_port)).first->second;
  }
  port->refill(now);
  if (!port->has_token()) {
    ++c.dropped_port;
    return false;
  }
  s.all.refill(now);
  if (!s.all.has_token()) {
    ++c.dropped_switch;
    return false;
  }
  // Spent only when both allow it: a port over its budget does not use up the switch's.
  port->spend();
  s.all.spend();
  ++c.admitted;
  return true;
}

void PacketInAdmission::forget(std::uint64_t datapath_id) { switches_.erase(datapath_id); }

void PacketInAdmission::set_config(const AdmissionConfig& config) {
  config_ = config;
  for (auto& [dp, s] : switches_) {
    s.all.set_rate(config.per_switch);
    s.announces.set_rate(config.announce_per_switch);
    s.other_ports.set_rate(config.per_port);
    for (auto& [port, bucket] : s.ports) bucket.set_rate(config.per_port);
  }
}

AdmissionCounters PacketInAdmission::counters(std::uint64_t datapath_id) const {
  auto it = counters_.find(datapath_id);
  return it == counters_.end() ? AdmissionCounters{} : it->second;
}

AdmissionCounters PacketInAdmission::total() const {
  AdmissionCounters sum;
  for (const auto& [dp, c] : counters_) sum += c;
  return sum;
}

}  // namespace vmnmob::mobility
