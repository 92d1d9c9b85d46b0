// libFuzzer target: vmnctl-ofc's configuration loader (apps/vmnctl-ofc/config.cpp) on arbitrary
// JSON. Nothing may crash or trip a sanitizer; a configuration the loader accepts passes the
// library's validate() and runs an engine (a switch comes up, a VMN appears). openflow.tls is
// dropped first: it names files the loader opens, which is not what this target explores.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/vmnctl-ofc/config.hpp"
#include "fuzz_check.hpp"
#include "vmnmob/mobility/engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vmnmob;
  nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  if (doc.is_object())
    if (auto of = doc.find("openflow"); of != doc.end() && of->is_object()) of->erase("tls");
  auto config = vmnctl::parse_config(doc);
  if (!config) {
    VMNMOB_FUZZ_CHECK(!config.error().empty(), "a refusal without a reason");
    return 0;
  }
  VMNMOB_FUZZ_CHECK(mobility::validate(config->mobility).has_value(), "the loader accepted what validate() refuses");
  auto engine = mobility::MobilityEngine::create(config->mobility);
  VMNMOB_FUZZ_CHECK(engine.has_value(), "create() refused an accepted configuration");
  const TimePoint now = TimePoint{} + std::chrono::hours(1);
  const mobility::SiteConfig& site = config->mobility.sites.front();
  ofp::Port vm;
  vm.port_no = site.uplink_port == 2u ? 3 : 2;
  vm.name = (site.vm_port_prefixes.empty() ? std::string("vnet") : site.vm_port_prefixes.front()) + "0";
  if (!site.uplink_port && site.uplink_name == vm.name) return 0;  // that port is the uplink
  mobility::Batch out;
  engine->on_switch_up(now, site.datapath_id, std::vector<ofp::Port>{vm}, out);
  const Ipv4Prefix& home = config->mobility.home_prefix;
  const std::uint32_t network = home.network.value & home.mask();
  const Ipv4Address hoa{network + 1 == config->mobility.home_gateway.value ? network + 2 : network + 1};
  const MacAddress mac = MacAddress::from_u64(0x525400000001);
  engine->on_arp(now, site.datapath_id, vm.port_no,
                 {MacAddress::broadcast(), mac, mobility::kEtherTypeArp, mobility::arp_op::kRequest, mac, hoa,
                  MacAddress::zero(), config->mobility.home_gateway},
                 out);
  const mobility::Vmn* v = engine->registry().find(mac);
  VMNMOB_FUZZ_CHECK(v != nullptr, "a VMN was not detected in an accepted configuration");
  VMNMOB_FUZZ_CHECK(!home.contains(v->mobile_address), "a MoA inside the home prefix");
  return 0;
}
