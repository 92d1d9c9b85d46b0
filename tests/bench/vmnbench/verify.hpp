// vmnbench's pure logic: what a question expects, whether a PACKET_OUT answers it correctly,
// the traffic mix, and percentiles. No I/O, so it is unit-tested (tests/bench/vmnbench_unit_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/mobility/arp_frame.hpp"

namespace vmnbench {

using vmnmob::Ipv4Address;
using vmnmob::MacAddress;
using vmnmob::mobility::ArpFrame;

enum class QuestionKind : std::uint8_t {
  ArpGateway,  // ARP request for the home gateway: answered with the virtual gateway MAC
  ArpPeer,     // ARP request for another VMN's HoA: answered with that VMN's MAC
  Rarp,        // RARP announce from a new port (a migration): answered by the MoA announce
};
std::string_view to_string(QuestionKind kind);

/// What one emulated VM asked and what a correct controller sends back.
struct Question {
  QuestionKind kind = QuestionKind::ArpGateway;
  MacAddress asker_mac;
  Ipv4Address asker_ip;
  std::uint32_t asker_port = 0;
  // ARP: the asked address and the MAC it must resolve to.
  Ipv4Address asked_ip;
  MacAddress expected_mac;
  // RARP: the announce of the new MoA goes out the uplink to the site gateway; the MoA must
  // come from the new site's pool.
  std::uint32_t uplink_port = 0;
  Ipv4Address site_gateway;
  Ipv4Address pool_first;
  Ipv4Address pool_last;
};

/// The VM a PACKET_OUT's frame is about: the destination of an ARP reply (the asker), or the
/// sender of an ARP request sent out the uplink (a MoA announce). nullopt for anything else
/// (probes, unparsable frames), which answers no question.
std::optional<MacAddress> answered_mac(const ArpFrame& frame, std::uint32_t out_port, std::uint32_t uplink_port);

/// Whether `frame`, sent out `out_port` of the asker's switch, is the correct answer to `q`;
/// if not, why (for the first few wrong answers printed).
vmnmob::Expected<void, std::string> check_answer(const Question& q, std::uint32_t out_port, const ArpFrame& frame);

/// Percentages of each question kind, e.g. "arp=95,rarp=5" or "arp=80,peer=15,rarp=5".
struct Mix {
  unsigned arp = 100;
  unsigned peer = 0;
  unsigned rarp = 0;
  /// The kind of the n-th question: a deterministic interleaving with these proportions
  /// (every 100 consecutive questions from a multiple of 100 hold exactly arp/peer/rarp of each).
  QuestionKind pick(std::uint64_t n) const;
  std::string to_string() const;
};
vmnmob::Expected<Mix, std::string> parse_mix(std::string_view text);

/// Nearest-rank percentile (p in [0, 100]) of sorted values; 0 for none.
double percentile(const std::vector<double>& sorted, double p);
/// Median of unsorted values (mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

}  // namespace vmnbench
