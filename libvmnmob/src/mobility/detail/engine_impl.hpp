// MobilityEngine's private part: the state and the parts that act on it, wired together once.
// engine.cpp (the events and accessors) and snapshot.cpp (snapshot and restore) use it.
#pragma once

#include "mobility/detail/arp_decisions.hpp"
#include "mobility/detail/engine_state.hpp"
#include "mobility/detail/flow_sync.hpp"
#include "mobility/detail/hygiene.hpp"

namespace vmnmob::mobility {

struct MobilityEngine::Impl {
  Impl(MobilityConfig config, std::unique_ptr<MobilityPolicy> policy)
      : state(std::move(config), std::move(policy)) {}
  // The parts hold references to each other: an Impl stays where it was built.
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  /// The switch's state, or nullptr after an UnknownSwitch event for the datapath.
  detail::SwitchState* known_switch(std::uint64_t datapath_id, std::uint32_t port) {
    detail::SwitchState* st = state.find(datapath_id);
    if (st == nullptr) {
      Event e = detail::make_event(Event::Kind::UnknownSwitch);
      e.to = {datapath_id, port};
      batch.event(e);
    }
    return st;
  }

  detail::EngineState state;
  detail::BatchAssembly batch;
  detail::FlowSync flows{state, batch};
  detail::Hygiene hygiene{state, batch, flows};
  detail::ArpDecisions arp{state, batch, flows, hygiene};
};

}  // namespace vmnmob::mobility
