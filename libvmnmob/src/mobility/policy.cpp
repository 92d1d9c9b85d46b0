#include "vmnmob/mobility/policy.hpp"

#include "vmnmob/ofp/constants.hpp"

namespace vmnmob::mobility {

bool MobilityPolicy::is_vm_port(const PortRef& port) const {
  if (port.is_uplink || port.port_no == 0 || port.port_no > ofp::port::kMax) return false;
  if (port.site.vm_port_prefixes.empty()) return true;
  for (const std::string& prefix : port.site.vm_port_prefixes)
    if (port.name.starts_with(prefix)) return true;
  return false;
}

bool MobilityPolicy::is_vmn(const MobilityConfig& config, const PortRef& /*port*/, MacAddress mac,
                            Ipv4Address home_address) const {
  return !mac.is_multicast() && !mac.is_zero() && !home_address.is_unspecified() &&
         config.home_prefix.contains(home_address) && home_address != config.home_gateway;
}

Expected<Ipv4Address, PoolError> MobilityPolicy::choose_mobile_address(MacAddress /*mac*/, Ipv4Address /*home_address*/,
                                                                        const Vmn* /*vmn*/, AddressPool& pool,
                                                                        TimePoint now) {
  return pool.allocate(now);
}

bool MobilityPolicy::accept_migration(const Vmn& /*vmn*/, const PortRef& to, MoveTrigger /*trigger*/) const {
  return is_vm_port(to) && to.vmns_here == 0;
}

NonVmnTraffic MobilityPolicy::non_vmn_traffic(const SiteConfig& /*site*/) const { return NonVmnTraffic::Drop; }

}  // namespace vmnmob::mobility
