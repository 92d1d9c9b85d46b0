// Packet-in admission: token buckets per switch, per (switch, in_port) and, for announces, a
// bucket of their own per switch, so an ARP flood from one port or switch never starves a
// migration (RARP, or a gratuitous ARP, sender IP == target IP). No I/O: every call takes `now`.
//
// Why here and not inside MobilityEngine::on_packet_in: the decision must come before any of the
// engine's work (it is the flood's cost we bound), it needs only the frame's first bytes (the
// packet library, which the mobility part may use and the connection part may not), and it keeps
// the engine's policy and registry free of rate state. A host runs it in front of the engine
// (vmnmob::controller does); a host with its own event loop (examples/own_io) can too.
//
// A dropped packet-in is counted per switch and per kind, never logged per packet; a host reports
// the counters (vmnmob::controller reports once per burst).
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/base/time.hpp"

namespace vmnmob::mobility {

/// A token bucket's refill rate and depth. `per_second == 0` means no limit.
struct Rate {
  double per_second = 0;
  double burst = 0;
  friend bool operator==(const Rate&, const Rate&) = default;
};

/// Classic token bucket (RFC 2697's committed bucket): starts full, refills `per_second`
/// tokens per second up to `burst`; take() spends one token if there is one.
class TokenBucket {
 public:
  TokenBucket() = default;
  explicit TokenBucket(Rate rate) : rate_(rate), tokens_(rate.burst) {}
  /// Adds what accrued since the last call (a clock going backwards adds nothing).
  void refill(TimePoint now);
  bool has_token() const { return rate_.per_second == 0 || tokens_ >= 1.0; }
  void spend() {
    if (rate_.per_second != 0) tokens_ -= 1.0;
  }
  bool take(TimePoint now) {
    refill(now);
    if (!has_token()) return false;
    spend();
    return true;
  }
  /// A new rate keeps the tokens it has (at most the new burst).
  void set_rate(Rate rate);
  double tokens() const { return tokens_; }

 private:
  Rate rate_;
  double tokens_ = 0;
  TimePoint last_{};
};

struct AdmissionConfig {
  /// Every packet-in of a switch except announces (OVS's own default queue is 100 packets).
  Rate per_switch{1000, 200};
  /// Every packet-in of one (switch, in_port) except announces: one noisy VM port cannot use
  /// the whole switch's budget.
  Rate per_port{100, 50};
  /// RARP and gratuitous ARP of one switch: their own bucket, not charged to the others.
  /// QEMU sends 5 announces per migration, so 100 lets 20 VMs land at once.
  Rate announce_per_switch{200, 100};
  /// Per-port buckets kept per switch; packet-ins from further in_ports (a switch inventing
  /// port numbers) share one bucket, so memory stays bounded.
  std::size_t max_ports_per_switch = 4096;
  friend bool operator==(const AdmissionConfig&, const AdmissionConfig&) = default;
};

enum class PacketInKind : std::uint8_t {
  Announce,  // RARP (QEMU's announce after migration) or gratuitous ARP
  Other,     // everything else: ARP requests and replies, stray traffic
};
/// Looks only at the Ethernet type and the ARP addresses; never fails (short or odd frames
/// are Other).
PacketInKind classify_packet_in(ByteSpan frame);

/// Counters of one switch (or their sum).
struct AdmissionCounters {
  std::uint64_t admitted = 0;           // all kinds
  std::uint64_t admitted_announces = 0;
  std::uint64_t dropped_port = 0;       // Other, its (switch, in_port) bucket was empty
  std::uint64_t dropped_switch = 0;     // Other, the switch's bucket was empty
  std::uint64_t dropped_announce = 0;   // Announce, the switch's announce bucket was empty
  std::uint64_t dropped() const { return dropped_port + dropped_switch + dropped_announce; }
  AdmissionCounters& operator+=(const AdmissionCounters& o);
};

class PacketInAdmission {
 public:
  explicit PacketInAdmission(AdmissionConfig config = {}) : config_(config) {}

  /// Whether the packet-in goes on to the engine; counts either way.
  bool admit(TimePoint now, std::uint64_t datapath_id, std::uint32_t in_port, PacketInKind kind);
  bool admit(TimePoint now, std::uint64_t datapath_id, std::uint32_t in_port, ByteSpan frame) {
    return admit(now, datapath_id, in_port, classify_packet_in(frame));
  }
  /// The switch went down: its buckets go (its counters stay, for reports).
  void forget(std::uint64_t datapath_id);

  /// New rates apply at once to every bucket (tokens kept up to the new burst).
  void set_config(const AdmissionConfig& config);
  const AdmissionConfig& config() const { return config_; }

  AdmissionCounters counters(std::uint64_t datapath_id) const;
  AdmissionCounters total() const;

 private:
  struct PerSwitch {
    TokenBucket all;
    TokenBucket announces;
    std::unordered_map<std::uint32_t, TokenBucket> ports;
    TokenBucket other_ports;  // beyond max_ports_per_switch
  };
  PerSwitch& switch_state(std::uint64_t datapath_id);

  AdmissionConfig config_;
  std::unordered_map<std::uint64_t, PerSwitch> switches_;
  std::map<std::uint64_t, AdmissionCounters> counters_;
};

}  // namespace vmnmob::mobility
