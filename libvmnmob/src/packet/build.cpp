#include "vmnmob/packet/build.hpp"

#include <type_traits>
#include <variant>

#include "vmnmob/packet/checksum.hpp"

namespace vmnmob::packet {

namespace {

void put_mac(ByteWriter& w, const MacAddress& m) {
  for (std::uint8_t o : m.octets) w.u8(o);
}

void put_ethernet(ByteWriter& w, const EthernetHeader& eth, std::uint16_t type) {
  put_mac(w, eth.dst);
  put_mac(w, eth.src);
  if (eth.vlan_tci) {
    w.u16(ethertype::vlan);
    w.u16(*eth.vlan_tci);
  }
  w.u16(type);
}

void pad_frame(ByteWriter& w, std::size_t frame_start) {
  const std::size_t length = w.size() - frame_start;
  if (length < min_frame_size) w.zeros(min_frame_size - length);
}

void put_arp(ByteWriter& w, const Arp& arp) {
  w.u16(arp.hardware_type);
  w.u16(ethertype::ipv4);
  w.u8(6);
  w.u8(4);
  w.u16(static_cast<std::uint16_t>(arp.op));
  put_mac(w, arp.sha);
  w.u32(arp.spa.value);
  put_mac(w, arp.tha);
  w.u32(arp.tpa.value);
}

EthernetHeader ethernet_for(MacAddress dst, MacAddress src, std::optional<std::uint16_t> vlan) {
  EthernetHeader eth;
  eth.dst = dst;
  eth.src = src;
  eth.vlan_tci = vlan;
  return eth;
}

Unexpected<PacketError> invalid(PacketErrc code, std::string_view field, std::size_t value,
                                std::size_t bound) {
  return unexpected(PacketError{code, 0, field, static_cast<std::uint32_t>(value),
                                static_cast<std::uint32_t>(bound)});
}

/// Options must fill whole 32-bit words of a 4-bit length field (RFC 791 3.1, RFC 793 3.1).
Status check_options(ByteSpan options, std::string_view field, std::size_t max) {
  if (options.size() > max) return invalid(PacketErrc::LengthBeyondData, field, options.size(), max);
  if (options.size() % 4 != 0)
    return invalid(PacketErrc::BadValue, field, options.size(), options.size() + 4 - options.size() % 4);
  return {};
}

/// Everything that can be wrong with an IPv4 datagram of `l4_length` bytes, checked before
/// a single byte is written so that a failed build leaves `out` unchanged.
Status check_ipv4(const Ipv4Header& ip, std::size_t l4_length) {
  if (auto s = check_options(ip.options, "ipv4 options length", ipv4_max_options_size); !s)
    return s;
  const std::size_t total = ip.header_length() + l4_length;
  if (total > 0xffff) return invalid(PacketErrc::LengthBeyondData, "ipv4.total_length", total, 0xffff);
  return {};
}

/// Writes the Ethernet and IPv4 headers for an already checked datagram and returns the
/// position where the L4 segment starts.
std::size_t put_ipv4(ByteWriter& w, const EthernetHeader& eth, const Ipv4Header& ip,
                     std::uint8_t protocol, std::size_t l4_length) {
  put_ethernet(w, eth, ethertype::ipv4);
  const std::size_t start = w.size();
  w.u8(static_cast<std::uint8_t>(0x40 | ip.header_length() / 4));
  w.u8(ip.tos);
  w.u16(static_cast<std::uint16_t>(ip.header_length() + l4_length));
  w.u16(ip.identification);
  w.u16(ip.flags_fragment);
  w.u8(ip.ttl);
  w.u8(protocol);
  w.u16(0);  // checksum, patched below once the header is complete
  w.u32(ip.src.value);
  w.u32(ip.dst.value);
  w.bytes(ip.options);
  const ByteVector& buf = w.buffer();
  w.patch_u16(start + 10, internet_checksum(ByteSpan(buf).subspan(start, ip.header_length())));
  return w.size();
}

void put_icmp(ByteWriter& w, const Icmp& icmp) {
  const std::size_t start = w.size();
  w.u8(icmp.type);
  w.u8(icmp.code);
  w.u16(0);
  w.u32(icmp.rest_of_header);
  w.bytes(icmp.payload);
  w.patch_u16(start + 2, internet_checksum(ByteSpan(w.buffer()).subspan(start)));
}

void put_udp(ByteWriter& w, const Ipv4Header& ip, const Udp& udp) {
  const std::size_t start = w.size();
  w.u16(udp.src_port);
  w.u16(udp.dst_port);
  w.u16(static_cast<std::uint16_t>(udp_header_size + udp.payload.size()));
  w.u16(0);
  w.bytes(udp.payload);
  std::uint16_t sum =
      transport_checksum(ip.src, ip.dst, ip_protocol::udp, ByteSpan(w.buffer()).subspan(start));
  // RFC 768: a computed checksum of zero is sent as all ones; zero means "no checksum".
  w.patch_u16(start + 6, sum == 0 ? 0xffff : sum);
}

void put_tcp(ByteWriter& w, const Ipv4Header& ip, const Tcp& tcp) {
  const std::size_t start = w.size();
  w.u16(tcp.src_port);
  w.u16(tcp.dst_port);
  w.u32(tcp.sequence_number);
  w.u32(tcp.acknowledgment_number);
  w.u16(static_cast<std::uint16_t>((tcp.header_length() / 4) << 12 | (tcp.flags & 0x0fff)));
  w.u16(tcp.window);
  w.u16(0);
  w.u16(tcp.urgent_pointer);
  w.bytes(tcp.options);
  w.bytes(tcp.payload);
  w.patch_u16(start + 16,
              transport_checksum(ip.src, ip.dst, ip_protocol::tcp, ByteSpan(w.buffer()).subspan(start)));
}

std::size_t l4_length(const Icmp& icmp) { return icmp_header_size + icmp.payload.size(); }
std::size_t l4_length(const Udp& udp) { return udp_header_size + udp.payload.size(); }
std::size_t l4_length(const Tcp& tcp) { return tcp.header_length() + tcp.payload.size(); }

}  // namespace

void build_arp(ByteVector& out, const EthernetHeader& eth, const Arp& arp) {
  ByteWriter w(out);
  const std::size_t start = w.size();
  put_ethernet(w, eth, eth.ethertype);
  put_arp(w, arp);
  pad_frame(w, start);
}

void build_arp_request(ByteVector& out, ArpEndpoint sender, Ipv4Address target_ip,
                       std::optional<std::uint16_t> vlan_tci) {
  EthernetHeader eth = ethernet_for(MacAddress::broadcast(), sender.mac, vlan_tci);
  eth.ethertype = ethertype::arp;
  build_arp(out, eth, Arp{1, ArpOp::Request, sender.mac, sender.ip, MacAddress::zero(), target_ip});
}

void build_arp_reply(ByteVector& out, ArpEndpoint sender, ArpEndpoint target,
                     std::optional<std::uint16_t> vlan_tci) {
  EthernetHeader eth = ethernet_for(target.mac, sender.mac, vlan_tci);
  eth.ethertype = ethertype::arp;
  build_arp(out, eth, Arp{1, ArpOp::Reply, sender.mac, sender.ip, target.mac, target.ip});
}

void build_arp_answer(ByteVector& out, const EthernetHeader& request_eth, const Arp& request,
                      MacAddress answer_mac) {
  build_arp_reply(out, ArpEndpoint{answer_mac, request.tpa},
                  ArpEndpoint{request.sha, request.spa}, request_eth.vlan_tci);
}

void build_gratuitous_arp(ByteVector& out, ArpEndpoint owner,
                          std::optional<std::uint16_t> vlan_tci) {
  EthernetHeader eth = ethernet_for(MacAddress::broadcast(), owner.mac, vlan_tci);
  eth.ethertype = ethertype::arp;
  build_arp(out, eth, Arp{1, ArpOp::Request, owner.mac, owner.ip, MacAddress::zero(), owner.ip});
}

void build_rarp_announce(ByteVector& out, MacAddress mac) {
  EthernetHeader eth = ethernet_for(MacAddress::broadcast(), mac, std::nullopt);
  eth.ethertype = ethertype::rarp;
  build_arp(out, eth, Arp{1, ArpOp::ReverseRequest, mac, Ipv4Address{}, mac, Ipv4Address{}});
}

Status build_ipv4(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                  ByteSpan payload) {
  if (auto s = check_ipv4(ip, payload.size()); !s) return s;
  ByteWriter w(out);
  const std::size_t start = w.size();
  put_ipv4(w, eth, ip, ip.protocol, payload.size());
  w.bytes(payload);
  pad_frame(w, start);
  return {};
}

Status build_ipv4_icmp(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                       const Icmp& icmp) {
  if (auto s = check_ipv4(ip, l4_length(icmp)); !s) return s;
  ByteWriter w(out);
  const std::size_t start = w.size();
  put_ipv4(w, eth, ip, ip_protocol::icmp, l4_length(icmp));
  put_icmp(w, icmp);
  pad_frame(w, start);
  return {};
}

Status build_ipv4_udp(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                      const Udp& udp) {
  if (auto s = check_ipv4(ip, l4_length(udp)); !s) return s;
  ByteWriter w(out);
  const std::size_t start = w.size();
  put_ipv4(w, eth, ip, ip_protocol::udp, l4_length(udp));
  put_udp(w, ip, udp);
  pad_frame(w, start);
  return {};
}

Status build_ipv4_tcp(ByteVector& out, const EthernetHeader& eth, const Ipv4Header& ip,
                      const Tcp& tcp) {
  if (auto s = check_options(tcp.options, "tcp options length", tcp_max_options_size); !s)
    return s;
  if (auto s = check_ipv4(ip, l4_length(tcp)); !s) return s;
  ByteWriter w(out);
  const std::size_t start = w.size();
  put_ipv4(w, eth, ip, ip_protocol::tcp, l4_length(tcp));
  put_tcp(w, ip, tcp);
  pad_frame(w, start);
  return {};
}

Status build_frame(ByteVector& out, const Frame& frame) {
  const EthernetHeader& eth = frame.ethernet;
  if (const Arp* arp = frame.arp()) {
    build_arp(out, eth, *arp);
    return {};
  }
  if (const Ipv4Packet* ip = frame.ipv4()) {
    return std::visit(
        [&](const auto& l4) -> Status {
          using L4 = std::decay_t<decltype(l4)>;
          if constexpr (std::is_same_v<L4, Icmp>) return build_ipv4_icmp(out, eth, ip->header, l4);
          else if constexpr (std::is_same_v<L4, Udp>) return build_ipv4_udp(out, eth, ip->header, l4);
          else if constexpr (std::is_same_v<L4, Tcp>) return build_ipv4_tcp(out, eth, ip->header, l4);
          else return build_ipv4(out, eth, ip->header, ip->payload);
        },
        ip->l4);
  }
  ByteWriter w(out);
  const std::size_t start = w.size();
  put_ethernet(w, eth, eth.ethertype);
  w.bytes(frame.payload);
  pad_frame(w, start);
  return {};
}

}  // namespace vmnmob::packet
