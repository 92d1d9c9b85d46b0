#include "vmnmob/mobility/arp_frame.hpp"

namespace vmnmob::mobility {

namespace {
MacAddress read_mac(ByteReader& r) {
  MacAddress m;
  auto a = r.array<6>();
  for (std::size_t i = 0; i < 6; ++i) m.octets[i] = static_cast<std::uint8_t>(a[i]);
  return m;
}
void write_mac(ByteWriter& w, MacAddress m) {
  for (std::uint8_t o : m.octets) w.u8(o);
}
}  // namespace

std::optional<ArpFrame> parse_arp_frame(ByteSpan frame) {
  ByteReader r(frame);
  ArpFrame f;
  f.eth_dst = read_mac(r);
  f.eth_src = read_mac(r);
  f.ether_type = r.u16();
  if (!r.ok() || (f.ether_type != kEtherTypeArp && f.ether_type != kEtherTypeRarp)) return std::nullopt;
  std::uint16_t htype = r.u16();
  std::uint16_t ptype = r.u16();
  std::uint8_t hlen = r.u8();
  std::uint8_t plen = r.u8();
  f.op = r.u16();
  f.sender_mac = read_mac(r);
  f.sender_ip = Ipv4Address{r.u32()};
  f.target_mac = read_mac(r);
  f.target_ip = Ipv4Address{r.u32()};
  if (!r.ok() || htype != 1 || ptype != 0x0800 || hlen != 6 || plen != 4) return std::nullopt;
  return f;
}

ByteVector build_arp_frame(const ArpFrame& f) {
  ByteVector out;
  out.reserve(42);
  ByteWriter w(out);
  write_mac(w, f.eth_dst);
  write_mac(w, f.eth_src);
  w.u16(f.ether_type);
  w.u16(1);       // hardware type: Ethernet
  w.u16(0x0800);  // protocol type: IPv4
  w.u8(6);
  w.u8(4);
  w.u16(f.op);
  write_mac(w, f.sender_mac);
  w.u32(f.sender_ip.value);
  write_mac(w, f.target_mac);
  w.u32(f.target_ip.value);
  return out;
}

}  // namespace vmnmob::mobility
