#include "vmnmob/mobility/arp_frame.hpp"

#include "vmnmob/packet/build.hpp"
#include "vmnmob/packet/frame.hpp"

namespace vmnmob::mobility {

std::optional<ArpFrame> from_packet(const packet::Frame& frame) {
  const packet::Arp* arp = frame.arp();
  // Tagged frames are not ours: the engine's flows and answers are untagged.
  if (arp == nullptr || frame.ethernet.vlan_tci || arp->hardware_type != 1) return std::nullopt;
  return ArpFrame{frame.ethernet.dst, frame.ethernet.src, frame.ethernet.ethertype, static_cast<std::uint16_t>(arp->op),
                  arp->sha, arp->spa, arp->tha, arp->tpa};
}

std::optional<ArpFrame> parse_arp_frame(ByteSpan frame) {
  auto parsed = packet::parse_frame(frame);
  if (!parsed) return std::nullopt;
  return from_packet(*parsed);
}

ByteVector build_arp_frame(const ArpFrame& f) {
  ByteVector out;
  out.reserve(packet::min_frame_size);
  packet::EthernetHeader eth;
  eth.dst = f.eth_dst;
  eth.src = f.eth_src;
  eth.ethertype = f.ether_type;
  packet::Arp arp;
  arp.op = static_cast<packet::ArpOp>(f.op);
  arp.sha = f.sender_mac;
  arp.spa = f.sender_ip;
  arp.tha = f.target_mac;
  arp.tpa = f.target_ip;
  packet::build_arp(out, eth, arp);
  return out;
}

}  // namespace vmnmob::mobility
