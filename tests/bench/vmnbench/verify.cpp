#include "verify.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace vmnbench {

namespace op = vmnmob::mobility::arp_op;

std::string_view to_string(QuestionKind kind) {
  switch (kind) {
    case QuestionKind::ArpGateway: return "arp-gateway";
    case QuestionKind::ArpPeer: return "arp-peer";
    case QuestionKind::Rarp: return "rarp";
  }
  return "?";
}

std::optional<MacAddress> answered_mac(const ArpFrame& frame, std::uint32_t out_port, std::uint32_t uplink_port) {
  if (frame.is_rarp()) return std::nullopt;
  if (frame.op == op::kReply) return frame.eth_dst;
  // The MoA announce: a request from the VMN's MAC and new MoA out the uplink (docs/MOBILITY.md).
  if (frame.op == op::kRequest && out_port == uplink_port && !frame.sender_ip.is_unspecified()) return frame.sender_mac;
  return std::nullopt;
}

vmnmob::Expected<void, std::string> check_answer(const Question& q, std::uint32_t out_port, const ArpFrame& f) {
  auto wrong = [](std::string why) { return vmnmob::unexpected(std::move(why)); };
  if (q.kind == QuestionKind::Rarp) {
    if (f.op != op::kRequest) return wrong(fmt::format("announce: op {} instead of a request", f.op));
    if (out_port != q.uplink_port) return wrong(fmt::format("announce out port {}, uplink is {}", out_port, q.uplink_port));
    if (f.sender_mac != q.asker_mac || f.eth_src != q.asker_mac)
      return wrong(fmt::format("announce from {} for VMN {}", f.sender_mac.to_string(), q.asker_mac.to_string()));
    if (f.target_ip != q.site_gateway)
      return wrong(fmt::format("announce asks for {}, site gateway is {}", f.target_ip.to_string(), q.site_gateway.to_string()));
    if (f.sender_ip < q.pool_first || f.sender_ip > q.pool_last)
      return wrong(fmt::format("announced MoA {} outside the new site's pool", f.sender_ip.to_string()));
    return {};
  }
  if (f.op != op::kReply) return wrong(fmt::format("op {} instead of a reply", f.op));
  if (out_port != q.asker_port) return wrong(fmt::format("reply out port {}, asker is on {}", out_port, q.asker_port));
  if (f.eth_dst != q.asker_mac) return wrong(fmt::format("reply to {}, asker is {}", f.eth_dst.to_string(), q.asker_mac.to_string()));
  if (f.target_mac != q.asker_mac || f.target_ip != q.asker_ip)
    return wrong(fmt::format("ARP target {} {}, asker is {} {}", f.target_mac.to_string(), f.target_ip.to_string(),
                             q.asker_mac.to_string(), q.asker_ip.to_string()));
  if (f.sender_ip != q.asked_ip) return wrong(fmt::format("reply for {}, asked {}", f.sender_ip.to_string(), q.asked_ip.to_string()));
  if (f.sender_mac != q.expected_mac || f.eth_src != q.expected_mac)
    return wrong(fmt::format("{} is at {}, expected {}", f.sender_ip.to_string(), f.sender_mac.to_string(), q.expected_mac.to_string()));
  return {};
}

QuestionKind Mix::pick(std::uint64_t n) const {
  // Within each cycle of 100 questions, slot i maps to j = 37 i mod 100 (37 is coprime with
  // 100, so this is a permutation): the kinds get exactly their share and are interleaved.
  const std::uint64_t j = (n % 100) * 37 % 100;
  if (j < rarp) return QuestionKind::Rarp;
  if (j < rarp + peer) return QuestionKind::ArpPeer;
  return QuestionKind::ArpGateway;
}

std::string Mix::to_string() const { return fmt::format("arp={},peer={},rarp={}", arp, peer, rarp); }

vmnmob::Expected<Mix, std::string> parse_mix(std::string_view text) {
  Mix mix{0, 0, 0};
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return vmnmob::unexpected(fmt::format("'{}': expected KIND=PERCENT", item));
    const std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    unsigned pct = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), pct);
    if (ec != std::errc{} || end != value.data() + value.size() || pct > 100)
      return vmnmob::unexpected(fmt::format("'{}': not a percentage", item));
    if (key == "arp") mix.arp = pct;
    else if (key == "peer") mix.peer = pct;
    else if (key == "rarp") mix.rarp = pct;
    else return vmnmob::unexpected(fmt::format("'{}': kind is arp, peer or rarp", key));
  }
  if (mix.arp + mix.peer + mix.rarp != 100)
    return vmnmob::unexpected(fmt::format("percentages add up to {}, not 100", mix.arp + mix.peer + mix.rarp));
  return mix;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // The epsilon keeps 99.9% of 1000 at rank 999 despite binary rounding.
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()) - 1e-9);
  const std::size_t index = rank < 1 ? 0 : std::min(sorted.size() - 1, static_cast<std::size_t>(rank) - 1);
  return sorted[index];
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace vmnbench
