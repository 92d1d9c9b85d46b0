// Limits and hygiene of the registry (docs/MOBILITY.md, "Limits and hygiene"): how many new
// VMNs a port and a site may register, duplicate-move detection (RFC 7432 section 15) and the
// expiry of VMNs that went silent. Refusals are evented at a bounded rate and counted.
#pragma once

#include <cstdint>

#include "mobility/detail/flow_sync.hpp"

namespace vmnmob::mobility::detail {

class Hygiene {
 public:
  Hygiene(EngineState& state, BatchAssembly& batch, FlowSync& flows) : s_(state), batch_(batch), flows_(flows) {}

  /// Whether a new VMN (mac, hoa) may register at (dp, port): refused (evented at a bounded
  /// rate, counted) when the port or the site holds its limit of VMNs.
  bool admit_new(std::uint64_t dp, std::uint32_t port, SwitchState& st, MacAddress mac, Ipv4Address hoa);
  /// Whether the registered VMN may move to `to` now: not while it is frozen.
  bool admit_move(const Vmn& v, Location to);
  /// After an accepted move: counts it, and freezes the VMN where it now is when it has moved
  /// move_freeze.moves times within the window.
  void moved(VmnId id);

  enum class IdleOutcome : std::uint8_t { NotIdle, Restored, Expired };
  /// A FLOW_REMOVED: if it is one of a VMN's local flows timing out (vmn_idle), either the
  /// VMN expires (every one of its local flows timed out together and it has not ARPed for
  /// vmn_idle) or its flows are added back.
  IdleOutcome on_flow_removed(std::uint64_t dp, SwitchState& st, const ofp::FlowRemoved& removed);
  /// Removes the VMN: its flows everywhere, its probes, its MoA into the hold time.
  void expire(VmnId id);
  /// Ends the freezes whose time is up; forgets old refusal notices.
  void tick();
  /// Ends the VMN's freeze now (MoveUnfrozen) and starts its move history afresh.
  void unfreeze(VmnId id);

 private:
  /// Counts a refusal at one place and events it unless one was evented within `interval`.
  void refused(RefusalNotice& notice, Event e, Duration interval);

  EngineState& s_;
  BatchAssembly& batch_;
  FlowSync& flows_;
};

}  // namespace vmnmob::mobility::detail
