// Runs the engine with LabPolicy through a short scenario (detection, proxy ARP, migration)
// and prints what a host controller would log and send. No switch is needed.
#include <cstdio>
#include <memory>

#include "lab_policy.hpp"
#include "vmnmob/mobility/engine.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;

int main() {
  MobilityConfig config;
  config.home_prefix = *Ipv4Prefix::parse("10.0.0.0/24");
  config.home_gateway = *Ipv4Address::parse("10.0.0.1");
  for (std::uint64_t dp : {std::uint64_t{1}, std::uint64_t{2}}) {
    SiteConfig site;
    site.datapath_id = dp;
    site.uplink_port = 1;
    site.gateway_ip = Ipv4Address{Ipv4Address::parse("172.16.0.1")->value + static_cast<std::uint32_t>(dp << 8)};
    site.gateway_mac = MacAddress::from_u64(std::uint64_t{0x0a0000000000} + dp);
    site.pool_prefixes.push_back(Ipv4Prefix{Ipv4Address{Ipv4Address::parse("172.16.0.0")->value +
                                                        static_cast<std::uint32_t>(dp << 8)},
                                            24});
    config.sites.push_back(site);
  }
  MobilityEngine engine(config, std::make_unique<lab::LabPolicy>());

  std::vector<ofp::Port> ports(2);
  ports[0].port_no = 1;
  ports[0].name = "eth0";
  ports[1].port_no = 2;
  ports[1].name = "tap0";
  TimePoint now = Clock::now();
  Batch batch;
  auto show = [&](const char* what) {
    std::printf("%s: %zu messages (%zu before the break)\n", what, batch.messages.size(), batch.break_at);
    for (const Event& e : batch.events) std::printf("  %s\n", to_string(e).c_str());
    batch.clear();
  };
  engine.on_switch_up(now, 1, ports, batch);
  engine.on_switch_up(now, 2, ports, batch);
  show("switches up");

  const MacAddress vm1 = *MacAddress::parse("52:54:00:00:00:01");
  const MacAddress vm2 = *MacAddress::parse("52:54:00:00:00:02");
  auto request = [](MacAddress m, const char* from, const char* to) {
    return ArpFrame{MacAddress::broadcast(), m, kEtherTypeArp, arp_op::kRequest, m, *Ipv4Address::parse(from),
                    MacAddress::zero(), *Ipv4Address::parse(to)};
  };
  engine.on_arp(now, 1, 2, request(vm1, "10.0.0.11", "10.0.0.1"), batch);
  engine.on_arp(now, 2, 2, request(vm2, "10.0.0.12", "10.0.0.1"), batch);
  show("two guests detected");
  engine.on_arp(now, 1, 2, request(vm1, "10.0.0.11", "10.0.0.12"), batch);
  show("guest 1 resolves guest 2");
  engine.on_arp(now, 2, 2, ArpFrame{MacAddress::broadcast(), vm1, kEtherTypeRarp, arp_op::kReverseRequest, vm1, {}, vm1, {}},
                batch);
  show("guest 1 migrates to site 2");
  std::printf("guest 1 now has MoA %s\n", engine.registry().find(vm1)->mobile_address.to_string().c_str());
  return 0;
}
