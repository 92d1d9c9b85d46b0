// A custom mobility policy: what a lab deployment might change, in one class.
//
//  - Only QEMU/KVM guests (MAC prefix 52:54:00) on ports named "tap*" are VMNs.
//  - A VMN gets the MoA whose offset in the site's pool equals its HoA's host number, when that
//    address is free, so operators can read the HoA off a MoA; otherwise the next free one.
//  - Only the hypervisor's RARP or the guest's gratuitous ARP may move a VMN (a plain ARP from
//    a new port is refused and logged as a spoof).
//  - Traffic to non-VMN destinations is translated (SNAT to the MoA) instead of dropped.
#pragma once

#include "vmnmob/mobility/policy.hpp"

namespace lab {

class LabPolicy : public vmnmob::mobility::MobilityPolicy {
 public:
  bool is_vm_port(const vmnmob::mobility::PortRef& port) const override {
    return !port.is_uplink && port.name.starts_with("tap");
  }

  bool is_vmn(const vmnmob::mobility::MobilityConfig& config, const vmnmob::mobility::PortRef& port,
              vmnmob::MacAddress mac, vmnmob::Ipv4Address home_address) const override {
    const bool qemu = mac.octets[0] == 0x52 && mac.octets[1] == 0x54 && mac.octets[2] == 0x00;
    return qemu && MobilityPolicy::is_vmn(config, port, mac, home_address);
  }

  vmnmob::Expected<vmnmob::Ipv4Address, vmnmob::mobility::PoolError> choose_mobile_address(
      vmnmob::MacAddress /*mac*/, vmnmob::Ipv4Address home_address, const vmnmob::mobility::Vmn* /*vmn*/,
      vmnmob::mobility::AddressPool& pool, vmnmob::mobility::TimePoint now) override {
    if (!pool.ranges().empty()) {
      vmnmob::Ipv4Address wanted{pool.ranges().front().first.value + (home_address.value & 0xff)};
      if (pool.reserve(wanted, now)) return wanted;
    }
    return pool.allocate(now);
  }

  bool accept_migration(const vmnmob::mobility::Vmn& vmn, const vmnmob::mobility::PortRef& to,
                        vmnmob::mobility::MoveTrigger trigger) const override {
    return trigger != vmnmob::mobility::MoveTrigger::Arp && MobilityPolicy::accept_migration(vmn, to, trigger);
  }

  vmnmob::mobility::NonVmnTraffic non_vmn_traffic(const vmnmob::mobility::SiteConfig& /*site*/) const override {
    return vmnmob::mobility::NonVmnTraffic::Translate;
  }
};

}  // namespace lab
