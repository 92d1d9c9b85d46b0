// examples/own_io: the mobility engine and the delivery with an I/O loop of their own (see
// own_io_controller.hpp). Two sites, as in docs/TESTBED.md's first two; point each bridge at
// it: ovs-vsctl set-controller BR tcp:127.0.0.1:PORT.
//
// usage: example_own_io [PORT] [switch|network]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "own_io_controller.hpp"

int main(int argc, char** argv) {
  using vmnmob::Ipv4Address;
  using vmnmob::Ipv4Prefix;
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 6653);
  vmnmob::delivery::DeliveryOptions options;
  if (argc > 2 && std::string_view(argv[2]) == "network") options.order = vmnmob::delivery::BreakOrder::Network;

  vmnmob::mobility::MobilityConfig config;
  config.home_prefix = *Ipv4Prefix::parse("10.10.0.0/24");
  config.home_gateway = *Ipv4Address::parse("10.10.0.254");
  for (std::uint64_t dp = 1; dp <= 2; ++dp) {
    vmnmob::mobility::SiteConfig site;
    site.datapath_id = dp;
    site.uplink_name = "up";
    site.gateway_ip = Ipv4Address{Ipv4Address::parse("192.168.0.1")->value + static_cast<std::uint32_t>(dp << 8)};
    site.pool_prefixes.push_back(Ipv4Prefix{Ipv4Address{Ipv4Address::parse("192.168.0.128")->value + static_cast<std::uint32_t>(dp << 8)}, 25});
    config.sites.push_back(site);
  }

  own_io::Controller controller(config, options);
  const auto bound = controller.listen(port);
  if (!bound) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1:%u\n", port);
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u, make-before-break per %s\n", *bound,
              std::string(vmnmob::delivery::to_string(options.order)).c_str());
  for (;;) {
    controller.poll_once(250);
    for (const auto& r : controller.take_reports())
      std::printf("delivery: %s (batch %llu, dp %llu)\n", std::string(vmnmob::delivery::to_string(r.kind)).c_str(),
                  static_cast<unsigned long long>(r.batch), static_cast<unsigned long long>(r.datapath_id));
    std::fflush(stdout);
  }
}
