// One-call frame parsing for a controller's PACKET_IN handler.
//
// parse_frame() reads the Ethernet header (and an 802.1Q tag), then ARP/RARP or IPv4 and,
// for unfragmented IPv4, ICMP/UDP/TCP. It never reads outside its input, copies nothing
// (payloads and options are views into the input) and allocates nothing, so the result is
// valid only while the input buffer lives. Checksums are not enforced: frames from a switch
// may carry offloaded (partial) L4 checksums; the IPv4 header checksum is reported in
// Ipv4Packet::header_checksum_ok and L4 ones on request (checksum.hpp).
#pragma once

#include <variant>

#include "vmnmob/packet/error.hpp"
#include "vmnmob/packet/headers.hpp"

namespace vmnmob::packet {

struct Ipv4Packet {
  Ipv4Header header;
  bool header_checksum_ok = false;  // computed at parse time; builders ignore it
  /// The bytes after the IPv4 header up to total_length (Ethernet padding excluded): the
  /// whole L4 segment, parsed into `l4` when possible.
  ByteSpan payload;
  /// std::monostate: not parsed, because the protocol is not ICMP, UDP or TCP or because the
  /// packet is a fragment (only a whole datagram has a whole L4 header and checksum).
  std::variant<std::monostate, Icmp, Udp, Tcp> l4;

  friend bool operator==(const Ipv4Packet& a, const Ipv4Packet& b) noexcept {
    return a.header == b.header && a.header_checksum_ok == b.header_checksum_ok &&
           same_bytes(a.payload, b.payload) && a.l4 == b.l4;
  }
};

struct Frame {
  EthernetHeader ethernet;
  /// The bytes after the Ethernet header (and tag), Ethernet padding included.
  ByteSpan payload;
  /// std::monostate: an ethertype this library does not parse (the bytes are in `payload`).
  /// Arp holds ARP (ethertype 0x0806) and RARP (0x8035) alike.
  std::variant<std::monostate, Arp, Ipv4Packet> l3;

  const Arp* arp() const noexcept { return std::get_if<Arp>(&l3); }
  const Ipv4Packet* ipv4() const noexcept { return std::get_if<Ipv4Packet>(&l3); }
  const Icmp* icmp() const noexcept { return l4<Icmp>(); }
  const Udp* udp() const noexcept { return l4<Udp>(); }
  const Tcp* tcp() const noexcept { return l4<Tcp>(); }

  bool is_arp() const noexcept { return ethernet.ethertype == ethertype::arp && arp(); }
  bool is_rarp() const noexcept { return ethernet.ethertype == ethertype::rarp && arp(); }

  /// ARP request (op 1), whatever its addresses: includes probes and gratuitous requests.
  bool is_arp_request() const noexcept { return is_arp() && arp()->op == ArpOp::Request; }
  bool is_arp_reply() const noexcept { return is_arp() && arp()->op == ArpOp::Reply; }
  /// RFC 5227 section 2.1.1 probe: a request from sender address 0.0.0.0 (tpa is the
  /// address being probed). Linux answers these, so a controller can resolve a MAC with them.
  bool is_arp_probe() const noexcept {
    return is_arp_request() && arp()->spa.is_unspecified() && !arp()->tpa.is_unspecified();
  }
  /// A host announcing its own address (RFC 5227 section 2.3, RFC 5944 section 4.6): request
  /// or reply with spa == tpa != 0.0.0.0, as a guest sends after migration (virtio-net
  /// guest-announce) or on address change.
  bool is_gratuitous_arp() const noexcept {
    if (!is_arp()) return false;
    const Arp& a = *arp();
    return (a.op == ArpOp::Request || a.op == ArpOp::Reply) && a.spa == a.tpa &&
           !a.spa.is_unspecified();
  }
  /// A hypervisor announcing a VM's MAC after migration (QEMU's self-announce): RARP
  /// (ethertype 0x8035) reverse request (op 3) whose sha equals tha, the MAC being announced.
  /// Whether the Ethernet source matches sha is left to the caller's policy (spoofing).
  bool is_rarp_announce() const noexcept {
    return is_rarp() && arp()->op == ArpOp::ReverseRequest && arp()->sha == arp()->tha;
  }

  friend bool operator==(const Frame& a, const Frame& b) noexcept {
    return a.ethernet == b.ethernet && same_bytes(a.payload, b.payload) && a.l3 == b.l3;
  }

 private:
  template <class L4>
  const L4* l4() const noexcept {
    const Ipv4Packet* p = ipv4();
    return p ? std::get_if<L4>(&p->l4) : nullptr;
  }
};

/// Parses a whole Ethernet frame as delivered in PACKET_IN (no FCS).
Result<Frame> parse_frame(ByteSpan frame) noexcept;

// Layer parsers for bytes of one layer. `base` is the absolute offset of bytes[0] in the frame,
// so errors point into the frame's hex dump. Trailing bytes beyond the layer are ignored.

/// ARP/RARP for Ethernet/IPv4: hlen must be 6, plen 4, ptype 0x0800.
Result<Arp> parse_arp(ByteSpan bytes, std::size_t base = 0) noexcept;
/// IPv4 with its L4 (unless fragmented or another protocol); trailing bytes past
/// total_length (Ethernet padding) are ignored.
Result<Ipv4Packet> parse_ipv4(ByteSpan bytes, std::size_t base = 0) noexcept;
Result<Icmp> parse_icmp(ByteSpan segment, std::size_t base = 0) noexcept;
/// The UDP length may be shorter than the segment (the rest is ignored), never longer.
Result<Udp> parse_udp(ByteSpan segment, std::size_t base = 0) noexcept;
Result<Tcp> parse_tcp(ByteSpan segment, std::size_t base = 0) noexcept;

}  // namespace vmnmob::packet
