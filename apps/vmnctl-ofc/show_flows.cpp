#include "show_flows.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "saved_state.hpp"
#include "vmnmob/state/file_state_store.hpp"
#include "vmnmob/mobility/engine.hpp"
#include "vmnmob/ofp/flow_text.hpp"

namespace vmnctl {

namespace {

/// An engine with the state a start would restore (App::start: the same loader and restore).
vmnmob::Expected<vmnmob::mobility::MobilityEngine, std::string> restored_engine(const ControllerConfig& config) {
  vmnmob::mobility::MobilityEngine engine(config.mobility);
  if (config.state_file) {
    vmnmob::state::FileStateStore store(*config.state_file);
    auto saved = load_saved_state(store, *config.state_file);
    if (!saved) return vmnmob::unexpected(saved.error());
    if (!saved->absent) {
      vmnmob::mobility::Batch ignored;  // no switch is connected: nothing to send
      if (auto restored = engine.restore(saved->state, vmnmob::Clock::now(), ignored); !restored)
        return vmnmob::unexpected(fmt::format("{}: {}", *config.state_file, restored.error()));
    }
  }
  return engine;
}

}  // namespace

vmnmob::Expected<void, std::string> show_state(const ControllerConfig& config, std::FILE* out) {
  auto engine = restored_engine(config);
  if (!engine) return vmnmob::unexpected(engine.error());
  fmt::print(out, "{}\n", engine->snapshot(vmnmob::Clock::now()).dump());
  return {};
}

vmnmob::Expected<void, std::string> show_flows(const ControllerConfig& config, std::FILE* out) {
  auto restored = restored_engine(config);
  if (!restored) return vmnmob::unexpected(restored.error());
  const vmnmob::mobility::MobilityEngine& engine = *restored;
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
