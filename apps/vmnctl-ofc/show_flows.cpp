#include "show_flows.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "state_file.hpp"
#include "vmnmob/mobility/engine.hpp"
#include "vmnmob/ofp/flow_text.hpp"

namespace vmnctl {

vmnmob::Expected<void, std::string> show_flows(const ControllerConfig& config, std::FILE* out) {
  vmnmob::mobility::MobilityEngine engine(config.mobility);
  if (config.state_file) {
    // The start's path (App::start): the same loader, the same restore.
    auto state = load_state(*config.state_file);
    if (!state) return vmnmob::unexpected(state.error());
    if (!state->is_null()) {
      vmnmob::mobility::Batch ignored;  // no switch is connected: nothing to send
      if (auto restored = engine.restore(*state, vmnmob::Clock::now(), ignored); !restored)
        return vmnmob::unexpected(fmt::format("{}: {}", *config.state_file, restored.error()));
    }
  }
  for (std::size_t i = 0; i < config.mobility.sites.size(); ++i) {
    const std::uint64_t dp = config.mobility.sites[i].datapath_id;
    std::vector<std::string> lines;
    for (const auto& fm : vmnmob::mobility::build_switch_flows(engine.flow_context(dp), engine.registry(), dp,
                                                               engine.base_generation(dp)))
      lines.push_back(vmnmob::ofp::flow_text(fm));
    std::sort(lines.begin(), lines.end());
    fmt::print(out, "# {} dp {:#018x}\n", config.site_names[i], dp);
    for (const auto& l : lines) fmt::print(out, "{}\n", l);
  }
  return {};
}

}  // namespace vmnctl
