#include "plan.hpp"

#include <bit>

#include <fmt/format.h>

namespace vmnbench {

namespace {
constexpr std::uint32_t kPoolBase = (100u << 24) | (64u << 16);  // 100.64.0.0
}

std::optional<std::size_t> NetworkPlan::vm_of_mac(MacAddress mac) const {
  const std::uint64_t v = mac.to_u64();
  if (v < 0x525400000001 || v - 0x525400000001 >= vm_count()) return std::nullopt;
  return static_cast<std::size_t>(v - 0x525400000001);
}

std::uint32_t NetworkPlan::pool_stride() const {
  // A site's own VMs, as many arrivals, and the addresses in their hold time; migrations in
  // vmnbench spread evenly over the sites, so this does not grow with the switch count.
  const std::uint64_t need = std::max<std::uint64_t>(8192, 4 * std::uint64_t{vms_per_switch} + 4096);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(std::bit_ceil(need), 1u << 30));
}

Ipv4Address NetworkPlan::site_gateway(std::size_t sw) const {
  return Ipv4Address{kPoolBase + static_cast<std::uint32_t>(sw) * pool_stride()};
}

vmnmob::Expected<void, std::string> NetworkPlan::check() const {
  if (switches == 0) return vmnmob::unexpected(std::string("at least one switch is needed"));
  if (vm_count() >= (15u << 20)) return vmnmob::unexpected(std::string("more VMs than 10.1.0.0-10.255.255.255 holds"));
  if (std::uint64_t{kPoolBase} + std::uint64_t{pool_stride()} * switches >= (224ull << 24))
    return vmnmob::unexpected(fmt::format("{} pools of {} addresses do not fit below 224.0.0.0", switches, pool_stride()));
  return {};
}

nlohmann::json controller_config(const NetworkPlan& plan, const std::string& listen, double hold_s) {
  nlohmann::json sites = nlohmann::json::array();
  for (std::size_t sw = 0; sw < plan.switches; ++sw) {
    sites.push_back({
        {"name", fmt::format("site-{}", sw + 1)},
        {"dpid", fmt::format("{:#018x}", NetworkPlan::datapath_id(sw))},
        {"uplink", kUplinkPort},
        {"gateway", plan.site_gateway(sw).to_string()},
        {"gateway_mac", NetworkPlan::site_gateway_mac(sw).to_string()},
        {"mobile_pool", {fmt::format("{}-{}", plan.pool_first(sw).to_string(), plan.pool_last(sw).to_string())}},
    });
  }
  return {
      {"openflow", {{"listen", listen}}},
      {"home",
       {{"prefix", NetworkPlan::home_prefix().to_string()},
        {"gateway", NetworkPlan::home_gateway().to_string()},
        {"virtual_gateway_mac", NetworkPlan::virtual_gateway_mac().to_string()}}},
      {"sites", sites},
      // A load generator moves the same VMs again and again: duplicate-move detection would
      // (rightly) freeze them and the answers would no longer be migrations.
      {"mobility", {{"moa_hold_s", hold_s}, {"move_freeze", {{"moves", 0}}}}},
      // A load tool measures what the controller can do, not its protection: one address opens
      // up to 1000 switch connections and each switch asks at full speed, so the limits are off
      // (tests/bench/abuse.sh measures them).
      {"limits",
       {{"connections_per_address", 0},
        {"connections_total", 0},
        {"packet_in_per_switch", {{"rate", 0}, {"burst", 0}}},
        {"packet_in_per_port", {{"rate", 0}, {"burst", 0}}},
        {"announce_per_switch", {{"rate", 0}, {"burst", 0}}}}},
      {"log", {{"level", "warn"}, {"format", "text"}}},
  };
}

}  // namespace vmnbench
