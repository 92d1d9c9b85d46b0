#include "vmnmob/packet/checksum.hpp"

#include <variant>

#include "vmnmob/packet/frame.hpp"

namespace vmnmob::packet {

void InternetChecksum::add(ByteSpan bytes) noexcept {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  if (odd_ && n > 0) {
    sum_ += std::to_integer<std::uint64_t>(bytes[0]);
    odd_ = false;
    i = 1;
  }
  for (; i + 1 < n; i += 2)
    sum_ += std::to_integer<std::uint64_t>(bytes[i]) << 8 | std::to_integer<std::uint64_t>(bytes[i + 1]);
  if (i < n) {
    sum_ += std::to_integer<std::uint64_t>(bytes[i]) << 8;
    odd_ = true;
  }
}

void InternetChecksum::add_u16(std::uint16_t v) noexcept {
  // A word added after an odd byte count straddles a word boundary: its bytes swap roles.
  if (odd_)
    sum_ += std::uint64_t{v} >> 8 | (std::uint64_t{v} & 0xff) << 8;
  else
    sum_ += v;
}

void InternetChecksum::add_u32(std::uint32_t v) noexcept {
  add_u16(static_cast<std::uint16_t>(v >> 16));
  add_u16(static_cast<std::uint16_t>(v & 0xffff));
}

std::uint16_t InternetChecksum::sum() const noexcept {
  // add() and add_u16() already place every byte at its true significance, so only the
  // carries remain to be folded back in (RFC 1071 section 2(B), end-around carry).
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

std::uint16_t internet_checksum(ByteSpan bytes) noexcept {
  InternetChecksum c;
  c.add(bytes);
  return c.checksum();
}

bool internet_checksum_ok(ByteSpan bytes) noexcept {
  InternetChecksum c;
  c.add(bytes);
  return c.sum() == 0xffff;
}

std::uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                 ByteSpan segment) noexcept {
  // Pseudo-header: source, destination, zero, protocol, segment length (RFC 768, RFC 793).
  InternetChecksum c;
  c.add_u32(src.value);
  c.add_u32(dst.value);
  c.add_u16(protocol);
  c.add_u16(static_cast<std::uint16_t>(segment.size()));
  c.add(segment);
  return c.checksum();
}

bool l4_checksum_ok(const Ipv4Packet& packet) noexcept {
  const Ipv4Header& ip = packet.header;
  if (ip.is_fragment()) return false;
  switch (ip.protocol) {
    case ip_protocol::icmp:
      return internet_checksum_ok(packet.payload);
    case ip_protocol::udp: {
      const Udp* udp = std::get_if<Udp>(&packet.l4);
      if (udp && udp->checksum == 0) return true;
      // The UDP checksum covers udp.length bytes; anything after them is not part of it.
      ByteSpan segment = udp ? packet.payload.first(udp->length) : packet.payload;
      return transport_checksum(ip.src, ip.dst, ip.protocol, segment) == 0;
    }
    case ip_protocol::tcp:
      return transport_checksum(ip.src, ip.dst, ip.protocol, packet.payload) == 0;
    default:
      return false;
  }
}

}  // namespace vmnmob::packet
