// Frame builders. Each appends one complete Ethernet frame to `out` (which may already hold
// other bytes, such as a PACKET_OUT header), computes every length and checksum field, and
// pads the frame with zeros to min_frame_size (60 bytes) as a real sender does.
//
// Fields the builder computes are ignored in its inputs: Ipv4Header::total_length,
// header_checksum and (for ICMP/UDP/TCP) protocol; Icmp/Udp/Tcp checksum; Udp::length; and
// EthernetHeader::ethertype, except in build_arp and in build_frame for ARP and unparsed
// frames, which honour it.
// Builders that can fail on their input return Status and leave `out` unchanged on failure.
#pragma once

#include <cstdint>
#include <optional>

#include "vmnmob/packet/error.hpp"
#include "vmnmob/packet/frame.hpp"
#include "vmnmob/packet/headers.hpp"

namespace vmnmob::packet {

/// One side of an ARP exchange: a hardware address and the protocol address it owns.
struct ArpEndpoint {
  MacAddress mac;
  Ipv4Address ip;
};

/// Any ARP or RARP frame, as given (eth.ethertype should be ethertype::arp or ::rarp).
void build_arp(ByteVector& out, const EthernetHeader& eth, const Arp& arp);

/// Broadcast "who has target_ip? tell sender": op 1, tha 00:00:00:00:00:00. A sender IP of
/// 0.0.0.0 makes an RFC 5227 probe.
void build_arp_request(ByteVector& out, ArpEndpoint sender, Ipv4Address target_ip,
                       std::optional<std::uint16_t> vlan_tci = std::nullopt);

/// Unicast "sender.ip is at sender.mac" to target: op 2, Ethernet dst = target.mac.
void build_arp_reply(ByteVector& out, ArpEndpoint sender, ArpEndpoint target,
                     std::optional<std::uint16_t> vlan_tci = std::nullopt);

/// The reply to a parsed ARP request: "request.tpa is at answer_mac", sent to the requester
/// (request.sha, request.spa) on the request's VLAN. This is what a proxy-ARP answer is.
void build_arp_answer(ByteVector& out, const EthernetHeader& request_eth, const Arp& request,
                      MacAddress answer_mac);

/// Broadcast gratuitous ARP announcing that owner.ip is at owner.mac: a request with
/// spa = tpa = owner.ip and tha zero (RFC 5227 section 2.3 announcement, as Linux sends).
void build_gratuitous_arp(ByteVector& out, ArpEndpoint owner,
                          std::optional<std::uint16_t> vlan_tci = std::nullopt);

/// QEMU's self-announce (net/announce.c) byte for byte: Ethernet broadcast from `mac`, type
/// 0x8035, htype 1, ptype 0x0800, hlen 6, plen 4, op 3, sha = tha = mac, spa = tpa = 0.0.0.0,
/// zero-padded to 60 bytes.
void build_rarp_announce(ByteVector& out, MacAddress mac);

/// IPv4 carrying `payload` as is, with ip.protocol as given.
Status build_ipv4(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                  ByteSpan payload);
/// IPv4 + ICMP (for echo use Icmp::echo_request / echo_reply).
Status build_ipv4_icmp(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                       const Icmp& icmp);
Status build_ipv4_udp(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                      const Udp& udp);
Status build_ipv4_tcp(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                      const Tcp& tcp);

/// Re-encodes a Frame (parsed or assembled): Ethernet as given, then the ARP, the IPv4
/// packet (its parsed L4, or its payload as is when l4 is empty) or the raw payload.
/// For a well-formed frame with correct checksums and nothing after its last header's
/// declared length but zero padding up to 60 bytes, build_frame(parse_frame(bytes)) == bytes.
Status build_frame(ByteVector& out, const Frame& frame);

}  // namespace vmnmob::packet
