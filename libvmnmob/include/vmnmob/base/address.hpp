// Link and network address value types shared by the codec, packets and mobility engine.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace vmnmob {

struct MacAddress {
  std::array<std::uint8_t, 6> octets{};

  static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  static constexpr MacAddress zero() { return {}; }
  /// Accepts "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff"; nullopt otherwise.
  static std::optional<MacAddress> parse(std::string_view s);
  static constexpr MacAddress from_u64(std::uint64_t v) {
    MacAddress m;
    for (int i = 5; i >= 0; --i, v >>= 8) m.octets[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    return m;
  }
  constexpr std::uint64_t to_u64() const {
    std::uint64_t v = 0;
    for (auto o : octets) v = (v << 8) | o;
    return v;
  }
  constexpr bool is_broadcast() const { return *this == broadcast(); }
  constexpr bool is_multicast() const { return (octets[0] & 1) != 0; }
  constexpr bool is_zero() const { return *this == zero(); }
  std::string to_string() const;

  friend constexpr auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

/// IPv4 address held in host byte order.
struct Ipv4Address {
  std::uint32_t value = 0;

  /// Dotted quad only; nullopt otherwise.
  static std::optional<Ipv4Address> parse(std::string_view s);
  constexpr bool is_unspecified() const { return value == 0; }
  std::string to_string() const;

  friend constexpr auto operator<=>(const Ipv4Address&, const Ipv4Address&) = default;
};

/// An IPv4 prefix such as 10.10.0.0/24.
struct Ipv4Prefix {
  Ipv4Address network;
  std::uint8_t length = 32;

  static std::optional<Ipv4Prefix> parse(std::string_view s);
  constexpr std::uint32_t mask() const {
    return length == 0 ? 0u : ~std::uint32_t{0} << (32 - length);
  }
  constexpr bool contains(Ipv4Address a) const { return (a.value & mask()) == (network.value & mask()); }
  std::string to_string() const;

  friend constexpr auto operator<=>(const Ipv4Prefix&, const Ipv4Prefix&) = default;
};

}  // namespace vmnmob

template <>
struct std::hash<vmnmob::MacAddress> {
  std::size_t operator()(const vmnmob::MacAddress& m) const noexcept {
    std::uint64_t x = m.to_u64() * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(x ^ (x >> 29));
  }
};
template <>
struct std::hash<vmnmob::Ipv4Address> {
  std::size_t operator()(const vmnmob::Ipv4Address& a) const noexcept {
    std::uint64_t x = a.value * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(x ^ (x >> 29));
  }
};
