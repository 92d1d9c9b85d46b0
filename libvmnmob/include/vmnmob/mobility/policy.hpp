// The decisions a deployment may want to change, behind one interface. MobilityPolicy's own
// implementations are the paper's behaviour (the default policy); a custom policy derives
// from it and overrides what it needs (examples/custom_policy shows one).
#pragma once

#include <cstdint>
#include <string_view>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/mobility/address_pool.hpp"
#include "vmnmob/mobility/config.hpp"
#include "vmnmob/mobility/flow_builder.hpp"
#include "vmnmob/mobility/registry.hpp"

namespace vmnmob::mobility {

/// A switch port as the policy sees it.
struct PortRef {
  const SiteConfig& site;
  std::uint32_t port_no = 0;
  std::string_view name;  // empty if the switch never reported the port
  bool is_uplink = false;
  /// How many registered VMNs are at this port now (VmnRegistry::count_at). A VMN asking to
  /// move here is never among them: it is elsewhere.
  std::size_t vmns_here = 0;
};

/// What told the engine that a known VMN is somewhere else.
enum class MoveTrigger : std::uint8_t {
  Rarp,           // the hypervisor's announce after live migration
  GratuitousArp,  // the guest's own announce
  Arp,            // any other ARP from the VMN's MAC at a new place
};

class MobilityPolicy {
 public:
  virtual ~MobilityPolicy() = default;

  /// Whether a port can hold VMNs: detection, announces and probes happen only there.
  /// Default: any port but the uplink and LOCAL; if the site lists vm_port_prefixes, the
  /// port's name must start with one of them.
  virtual bool is_vm_port(const PortRef& port) const;

  /// Whether an ARP sender on a VM port is a VMN. Default: its sender address lies in the
  /// home prefix and is neither 0.0.0.0 nor the home gateway.
  virtual bool is_vmn(const MobilityConfig& config, const PortRef& port, MacAddress mac,
                      Ipv4Address home_address) const;

  /// Picks the MoA for a VMN (mac, home_address) arriving at the pool's switch; `vmn` is its
  /// registry entry, nullptr at detection. Default: the pool's next address. Must return an
  /// address it took from the pool (allocate or reserve), or the pool's error.
  virtual Expected<Ipv4Address, PoolError> choose_mobile_address(MacAddress mac, Ipv4Address home_address,
                                                                 const Vmn* vmn, AddressPool& pool, TimePoint now);

  /// Whether a known VMN may move to `to`. Refusal leaves it where it is and is reported as
  /// Event::Kind::SpoofRefused. Default: a VM port that no other VMN is at (`to.vmns_here ==
  /// 0`): an announce of M's MAC from the port of a live VMN is that VMN (or its host)
  /// claiming M, not M arriving, since a hypervisor gives a migrated VM a port of its own (QEMU's
  /// destination tap is new). A deployment that puts several VMs behind one port and moves
  /// them together overrides this.
  virtual bool accept_migration(const Vmn& vmn, const PortRef& to, MoveTrigger trigger) const;

  /// Traffic from a VMN to a destination that is not a VMN. Default: Drop (paper's scope).
  virtual NonVmnTraffic non_vmn_traffic(const SiteConfig& site) const;
};

}  // namespace vmnmob::mobility
