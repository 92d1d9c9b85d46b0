// libFuzzer target: a state file's bytes -> JSON -> MobilityEngine::restore against the fuzz
// pipeline's configuration (controller_pipeline.hpp: three sites, small pools), with one switch
// connected so the restore also reconciles. Nothing may crash or trip a sanitizer (times of
// 1e17 ms or -2^62 ms once overflowed `now - age`). A refused snapshot leaves the engine as it
// was; an accepted one holds the engine's invariants: every HoA a host address of the home
// prefix, every MoA in use in its own site's pool, no address twice, ports 1..OFPP_MAX; its own
// snapshot restores into a fresh engine to the same state, and time passing keeps it sound.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller_pipeline.hpp"
#include "fuzz_check.hpp"
#include "vmnmob/ofp/constants.hpp"

namespace {

using namespace vmnmob;

const TimePoint kNow = TimePoint{} + std::chrono::hours(1);

std::vector<ofp::Port> ports() {
  std::vector<ofp::Port> out;
  for (std::uint32_t p = 1; p <= 5; ++p) {
    ofp::Port port;
    port.port_no = p;
    port.name = p == fuzz::kUplink ? "eth0" : "vnet" + std::to_string(p - 2);
    out.push_back(port);
  }
  return out;
}

void check_invariants(const mobility::MobilityEngine& engine) {
  const mobility::MobilityConfig& c = engine.config();
  const std::uint32_t network = c.home_prefix.network.value & c.home_prefix.mask();
  const std::uint32_t broadcast = network | ~c.home_prefix.mask();
  std::vector<std::uint32_t> hoas, moas;
  for (const mobility::Vmn& v : engine.registry()) {
    VMNMOB_FUZZ_CHECK(c.home_prefix.contains(v.home_address), "a HoA outside the home prefix");
    VMNMOB_FUZZ_CHECK(v.home_address.value != network && v.home_address.value != broadcast &&
                          v.home_address != c.home_gateway,
                      "a HoA that is the network, broadcast or gateway address");
    VMNMOB_FUZZ_CHECK(v.location.port != 0 && v.location.port <= ofp::port::kMax, "a port outside 1..OFPP_MAX");
    const mobility::AddressPool* pool = engine.pool(v.location.datapath_id);
    VMNMOB_FUZZ_CHECK(pool != nullptr, "a VMN at a switch that is not configured");
    VMNMOB_FUZZ_CHECK(pool->in_use(v.mobile_address), "a MoA not in use in its site's pool");
    const mobility::SiteConfig* site = mobility::find_site(c, v.location.datapath_id);
    const mobility::AddressPool configured(mobility::AddressPool::site_ranges(*site), c.hold_time);
    VMNMOB_FUZZ_CHECK(configured.contains(v.mobile_address), "a MoA outside its site's configured pool");
    hoas.push_back(v.home_address.value);
    moas.push_back(v.mobile_address.value);
  }
  for (auto* list : {&hoas, &moas}) {
    std::sort(list->begin(), list->end());
    VMNMOB_FUZZ_CHECK(std::adjacent_find(list->begin(), list->end()) == list->end(), "an address twice");
  }
  for (const mobility::SiteConfig& site : c.sites) {
    const mobility::AddressPool configured(mobility::AddressPool::site_ranges(site), c.hold_time);
    VMNMOB_FUZZ_CHECK(!engine.pool(site.datapath_id)->first_outside(configured.ranges()),
                      "a pool with addresses its site is not configured with");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  mobility::MobilityEngine engine(fuzz::pipeline_config());
  mobility::Batch out;
  engine.on_switch_up(kNow, 1, ports(), out);
  const nlohmann::json before = engine.snapshot(kNow);
  out.clear();
  if (!engine.restore(doc, kNow, out)) {
    VMNMOB_FUZZ_CHECK(engine.snapshot(kNow) == before, "a refused snapshot changed the engine");
    VMNMOB_FUZZ_CHECK(out.messages.empty(), "a refused snapshot sent messages");
    return 0;
  }
  check_invariants(engine);
  const nlohmann::json again = engine.snapshot(kNow);
  mobility::MobilityEngine fresh(fuzz::pipeline_config());
  mobility::Batch none;
  VMNMOB_FUZZ_CHECK(fresh.restore(again, kNow, none).has_value(), "the engine's own snapshot is refused");
  VMNMOB_FUZZ_CHECK(fresh.snapshot(kNow) == again, "a snapshot does not restore to the same state");
  // Hold times, freezes and idle VMNs run out; the pools hand out what they have.
  out.clear();
  engine.on_tick(kNow + std::chrono::hours(24 * 400), out);
  check_invariants(engine);
  return 0;
}
