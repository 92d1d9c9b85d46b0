#include "vmnmob/base/address.hpp"

#include <charconv>

#include <fmt/format.h>

namespace vmnmob {

namespace {
std::optional<unsigned> parse_uint(std::string_view s, int base, unsigned max) {
  if (s.empty()) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}
}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  char sep = s[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  MacAddress m;
  for (std::size_t i = 0; i < 6; ++i) {
    if (i < 5 && s[i * 3 + 2] != sep) return std::nullopt;
    auto v = parse_uint(s.substr(i * 3, 2), 16, 0xff);
    if (!v) return std::nullopt;
    m.octets[i] = static_cast<std::uint8_t>(*v);
  }
  return m;
}

std::string MacAddress::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", octets[0], octets[1], octets[2],
                     octets[3], octets[4], octets[5]);
}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view s) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    auto dot = s.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
    std::string_view part = s.substr(0, dot);
    if (part.size() > 3) return std::nullopt;
    auto octet = parse_uint(part, 10, 255);
    if (!octet) return std::nullopt;
    v = (v << 8) | *octet;
    s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  }
  return Ipv4Address{v};
}

std::string Ipv4Address::to_string() const {
  return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                     value & 0xff);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ipv4Address::parse(s.substr(0, slash));
  auto len = parse_uint(s.substr(slash + 1), 10, 32);
  if (!addr || !len) return std::nullopt;
  return Ipv4Prefix{*addr, static_cast<std::uint8_t>(*len)};
}

std::string Ipv4Prefix::to_string() const {
  return fmt::format("{}/{}", network.to_string(), length);
}

}  // namespace vmnmob
