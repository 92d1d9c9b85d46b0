// The emulated network vmnbench builds and the vmnctl-ofc configuration that matches it.
//
// Everything is derived from a few numbers, so vmnbench, vmnctl-ofc and the os-ken peer agree
// without exchanging state: switch i (0-based) has datapath id i+1, uplink port 1 and VM ports
// from 2; VM v lives behind switch v % N on port 2 + v / N (striped, so consecutive VMs sit on
// different switches); its MAC and home address (HoA) are functions of v.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"

namespace vmnbench {

using vmnmob::Ipv4Address;
using vmnmob::MacAddress;

inline constexpr std::uint32_t kUplinkPort = 1;
inline constexpr std::uint32_t kFirstVmPort = 2;

struct NetworkPlan {
  std::size_t switches = 16;
  std::size_t vms_per_switch = 100;

  std::size_t vm_count() const { return switches * vms_per_switch; }
  static std::uint64_t datapath_id(std::size_t sw) { return sw + 1; }
  std::size_t home_switch(std::size_t vm) const { return vm % switches; }
  std::uint32_t home_port(std::size_t vm) const { return kFirstVmPort + static_cast<std::uint32_t>(vm / switches); }

  /// 10.0.0.0/8: room for 16M VMNs; 10.0.0.1 is the home gateway, VMs start at 10.1.0.0.
  static vmnmob::Ipv4Prefix home_prefix() { return {Ipv4Address{10u << 24}, 8}; }
  static Ipv4Address home_gateway() { return Ipv4Address{(10u << 24) + 1}; }
  static Ipv4Address home_address(std::size_t vm) { return Ipv4Address{(10u << 24) + (1u << 16) + static_cast<std::uint32_t>(vm)}; }
  static MacAddress virtual_gateway_mac() { return MacAddress::from_u64(0x02005e000001); }
  /// Locally administered, 52:54:00 (QEMU's prefix) + 24 bits of VM index + 1.
  static MacAddress vm_mac(std::size_t vm) { return MacAddress::from_u64(0x525400000001 + vm); }
  /// The VM whose MAC this is, if any (of this plan).
  std::optional<std::size_t> vm_of_mac(MacAddress mac) const;

  /// Each site's MoA pool is a range of `pool_stride()` addresses from 100.64.0.0 on; its
  /// first address is the site gateway router. The pool leaves room for its VMs, as many
  /// arrivals, and a hold-time's worth of migrations.
  std::uint32_t pool_stride() const;
  Ipv4Address site_gateway(std::size_t sw) const;
  static MacAddress site_gateway_mac(std::size_t sw) { return MacAddress::from_u64(0x020000000000 + sw + 1); }
  Ipv4Address pool_first(std::size_t sw) const { return Ipv4Address{site_gateway(sw).value + 1}; }
  Ipv4Address pool_last(std::size_t sw) const { return Ipv4Address{site_gateway(sw).value + pool_stride() - 2}; }
  bool in_pool(std::size_t sw, Ipv4Address a) const { return a >= pool_first(sw) && a <= pool_last(sw); }

  /// Fails if the pools would not fit in the IPv4 space above 100.64.0.0.
  vmnmob::Expected<void, std::string> check() const;
};

/// A vmnctl-ofc configuration (examples/vmnctl-ofc.json's schema) for this plan: gateway MACs
/// given (so no probes), uplink by number, every non-uplink port a VM port, no state file, log
/// level warn (per-VMN info lines would measure the logger), MoA hold time `hold_s`.
nlohmann::json controller_config(const NetworkPlan& plan, const std::string& listen, double hold_s = 1);

}  // namespace vmnbench
