// Parsers. Each checks, before reading a header, that the whole header is present, then
// reads it with a ByteReader (which is bounds-checked regardless), then checks every length
// field against both the header size and the bytes actually present.
#include <cstring>

#include "vmnmob/packet/checksum.hpp"
#include "vmnmob/packet/frame.hpp"

namespace vmnmob::packet {

namespace {

Unexpected<PacketError> fail(PacketErrc code, std::size_t offset, std::string_view field,
                             std::size_t value, std::size_t bound) noexcept {
  // Values come from 16-bit fields or frame sizes; clamp so a huge span cannot wrap.
  auto clamp = [](std::size_t v) {
    return static_cast<std::uint32_t>(v > 0xffffffffu ? 0xffffffffu : v);
  };
  return unexpected(PacketError{code, offset, field, clamp(value), clamp(bound)});
}

Unexpected<PacketError> truncated(const ByteReader& r, std::string_view header,
                                  std::size_t needed) noexcept {
  return fail(PacketErrc::Truncated, r.offset(), header, needed, r.remaining());
}

MacAddress read_mac(ByteReader& r) noexcept {
  MacAddress m;
  ByteSpan s = r.take(m.octets.size());
  if (s.size() == m.octets.size()) std::memcpy(m.octets.data(), s.data(), s.size());
  return m;
}

Ipv4Address read_ipv4(ByteReader& r) noexcept { return Ipv4Address{r.u32()}; }

}  // namespace

Result<Arp> parse_arp(ByteSpan bytes, std::size_t base) noexcept {
  ByteReader r(bytes, base);
  const std::size_t start = r.offset();
  // Check the fixed part first so a wrong hlen/plen is reported as such, not as truncation.
  if (r.remaining() < 8) return truncated(r, "arp header", arp_size);
  Arp arp;
  arp.hardware_type = r.u16();
  const std::uint16_t ptype = r.u16();
  const std::uint8_t hlen = r.u8();
  const std::uint8_t plen = r.u8();
  arp.op = static_cast<ArpOp>(r.u16());
  if (hlen != 6) return fail(PacketErrc::BadValue, start + 4, "arp.hlen", hlen, 6);
  if (plen != 4) return fail(PacketErrc::BadValue, start + 5, "arp.plen", plen, 4);
  if (ptype != ethertype::ipv4)
    return fail(PacketErrc::BadValue, start + 2, "arp.ptype", ptype, ethertype::ipv4);
  if (r.remaining() < arp_size - 8)
    return fail(PacketErrc::Truncated, start, "arp header", arp_size, bytes.size());
  arp.sha = read_mac(r);
  arp.spa = read_ipv4(r);
  arp.tha = read_mac(r);
  arp.tpa = read_ipv4(r);
  return arp;
}

Result<Icmp> parse_icmp(ByteSpan segment, std::size_t base) noexcept {
  ByteReader r(segment, base);
  if (r.remaining() < icmp_header_size) return truncated(r, "icmp header", icmp_header_size);
  Icmp icmp;
  icmp.type = r.u8();
  icmp.code = r.u8();
  icmp.checksum = r.u16();
  icmp.rest_of_header = r.u32();
  icmp.payload = r.rest();
  return icmp;
}

Result<Udp> parse_udp(ByteSpan segment, std::size_t base) noexcept {
  ByteReader r(segment, base);
  const std::size_t start = r.offset();
  if (r.remaining() < udp_header_size) return truncated(r, "udp header", udp_header_size);
  Udp udp;
  udp.src_port = r.u16();
  udp.dst_port = r.u16();
  udp.length = r.u16();
  udp.checksum = r.u16();
  if (udp.length < udp_header_size)
    return fail(PacketErrc::LengthTooSmall, start + 4, "udp.length", udp.length, udp_header_size);
  if (udp.length > segment.size())
    return fail(PacketErrc::LengthBeyondData, start + 4, "udp.length", udp.length,
                segment.size());
  udp.payload = r.take(udp.length - udp_header_size);
  return udp;
}

Result<Tcp> parse_tcp(ByteSpan segment, std::size_t base) noexcept {
  ByteReader r(segment, base);
  const std::size_t start = r.offset();
  if (r.remaining() < tcp_min_header_size)
    return truncated(r, "tcp header", tcp_min_header_size);
  Tcp tcp;
  tcp.src_port = r.u16();
  tcp.dst_port = r.u16();
  tcp.sequence_number = r.u32();
  tcp.acknowledgment_number = r.u32();
  const std::uint16_t offset_flags = r.u16();
  tcp.window = r.u16();
  tcp.checksum = r.u16();
  tcp.urgent_pointer = r.u16();
  tcp.flags = offset_flags & 0x0fff;
  const std::size_t data_offset = offset_flags >> 12;  // in 32-bit words
  if (data_offset < 5)
    return fail(PacketErrc::LengthTooSmall, start + 12, "tcp.data_offset", data_offset, 5);
  const std::size_t header_length = data_offset * 4;
  if (header_length > segment.size())
    return fail(PacketErrc::LengthBeyondData, start + 12, "tcp.data_offset*4", header_length,
                segment.size());
  tcp.options = r.take(header_length - tcp_min_header_size);
  tcp.payload = r.rest();
  return tcp;
}

Result<Ipv4Packet> parse_ipv4(ByteSpan bytes, std::size_t base) noexcept {
  ByteReader r(bytes, base);
  const std::size_t start = r.offset();
  if (r.remaining() < ipv4_min_header_size)
    return truncated(r, "ipv4 header", ipv4_min_header_size);
  Ipv4Packet p;
  Ipv4Header& h = p.header;
  const std::uint8_t version_ihl = r.u8();
  h.tos = r.u8();
  h.total_length = r.u16();
  h.identification = r.u16();
  h.flags_fragment = r.u16();
  h.ttl = r.u8();
  h.protocol = r.u8();
  h.header_checksum = r.u16();
  h.src = read_ipv4(r);
  h.dst = read_ipv4(r);

  const unsigned version = version_ihl >> 4;
  const std::size_t ihl = version_ihl & 0x0fu;  // in 32-bit words
  if (version != 4) return fail(PacketErrc::BadValue, start, "ipv4.version", version, 4);
  if (ihl < 5) return fail(PacketErrc::LengthTooSmall, start, "ipv4.ihl", ihl, 5);
  const std::size_t header_length = ihl * 4;
  if (h.total_length < header_length)
    return fail(PacketErrc::LengthTooSmall, start + 2, "ipv4.total_length", h.total_length,
                header_length);
  if (h.total_length > bytes.size())
    return fail(PacketErrc::LengthBeyondData, start + 2, "ipv4.total_length", h.total_length,
                bytes.size());
  h.options = r.take(header_length - ipv4_min_header_size);
  p.payload = r.take(h.total_length - header_length);
  p.header_checksum_ok = internet_checksum_ok(bytes.first(header_length));

  if (h.is_fragment()) return p;
  const std::size_t l4_base = start + header_length;
  switch (h.protocol) {
    case ip_protocol::icmp: {
      auto icmp = parse_icmp(p.payload, l4_base);
      if (!icmp) return unexpected(icmp.error());
      p.l4 = *icmp;
      break;
    }
    case ip_protocol::udp: {
      auto udp = parse_udp(p.payload, l4_base);
      if (!udp) return unexpected(udp.error());
      p.l4 = *udp;
      break;
    }
    case ip_protocol::tcp: {
      auto tcp = parse_tcp(p.payload, l4_base);
      if (!tcp) return unexpected(tcp.error());
      p.l4 = *tcp;
      break;
    }
    default:
      break;
  }
  return p;
}

Result<Frame> parse_frame(ByteSpan bytes) noexcept {
  ByteReader r(bytes);
  if (r.remaining() < ethernet_header_size)
    return truncated(r, "ethernet header", ethernet_header_size);
  Frame f;
  f.ethernet.dst = read_mac(r);
  f.ethernet.src = read_mac(r);
  f.ethernet.ethertype = r.u16();
  if (f.ethernet.ethertype == ethertype::vlan) {
    // IEEE 802.1Q: TPID 0x8100 (already read as the type), TCI, then the real type. Only one
    // tag is unwrapped; an inner tag stays as ethertype 0x8100 with an unparsed payload.
    if (r.remaining() < vlan_tag_size)
      return fail(PacketErrc::Truncated, 0, "802.1Q tagged ethernet header",
                  ethernet_header_size + vlan_tag_size, bytes.size());
    f.ethernet.vlan_tci = r.u16();
    f.ethernet.ethertype = r.u16();
  }
  f.payload = r.rest();
  const std::size_t l3_base = r.offset();
  switch (f.ethernet.ethertype) {
    case ethertype::arp:
    case ethertype::rarp: {
      auto arp = parse_arp(f.payload, l3_base);
      if (!arp) return unexpected(arp.error());
      f.l3 = *arp;
      break;
    }
    case ethertype::ipv4: {
      auto ip = parse_ipv4(f.payload, l3_base);
      if (!ip) return unexpected(ip.error());
      f.l3 = *ip;
      break;
    }
    default:
      break;
  }
  return f;
}

}  // namespace vmnmob::packet
