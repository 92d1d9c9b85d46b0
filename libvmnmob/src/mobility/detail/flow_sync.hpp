// Flow synchronisation: for each switch, the flows the engine wants (from the registry) against
// the flows it has installed (SwitchState), turned into flow-mods; and the assembly of one
// event's Batch in send order (adds, packet-outs, barriers, then from break_at the deletes).
#pragma once

#include <cstdint>
#include <vector>

#include "mobility/detail/engine_state.hpp"

namespace vmnmob::mobility::detail {

/// One event's output. Adds go straight into the batch (they come first); packet-outs and
/// deletes wait here until finish() puts them behind the adds and the barriers.
class BatchAssembly {
 public:
  void begin(TimePoint now, Batch& out);
  void finish();
  TimePoint now() const { return now_; }
  void event(Event e);
  /// What the call changes in the saved state (Batch::changes).
  void changed_vmn(MacAddress mac) { out_->changes.vmns.push_back(mac); }
  void changed_address(std::uint64_t datapath_id, Ipv4Address address) {
    out_->changes.addresses.emplace_back(datapath_id, address);
  }
  void changed_switch(std::uint64_t datapath_id) { out_->changes.switches.push_back(datapath_id); }

  /// Into the first part of the batch, in call order (adds, and the reconcile delete).
  void add(std::uint64_t datapath_id, ofp::FlowMod flow_mod);
  /// Into the first part too (METER_MOD before the flows that use the meter).
  void add_message(std::uint64_t datapath_id, ofp::MessageBody body);
  /// Into the last part, after the barriers.
  void delete_after_barrier(std::uint64_t datapath_id, ofp::FlowMod flow_mod);
  void packet_out(std::uint64_t datapath_id, std::uint32_t port, const ArpFrame& frame);

 private:
  Batch* out_ = nullptr;
  TimePoint now_{};
  std::size_t adds_begin_ = 0;
  // Reused across events so that steady-state handling does not allocate vectors.
  std::vector<Outgoing> packet_outs_;
  std::vector<Outgoing> deletes_;
  std::vector<std::uint64_t> barrier_scratch_;
};

class FlowSync {
 public:
  FlowSync(EngineState& state, BatchAssembly& batch) : s_(state), batch_(batch) {}

  /// At switch-up: deletes every flow of ours (by the cookie owner), then adds the base flows,
  /// those of its VMNs and of their correspondents.
  void reconcile(std::uint64_t dp, SwitchState& st);
  void sync_base(std::uint64_t dp, SwitchState& st);
  /// The flows of v at dp: wanted there while v is attached there.
  void sync_local(std::uint64_t dp, const Vmn& v);
  void sync_all_local(std::uint64_t dp);
  /// The remote flows for v at dp: wanted while a VMN attached at dp has v as correspondent.
  void sync_remote(std::uint64_t dp, const Vmn& v);
  void sync_remote(std::uint64_t dp, SwitchState& st, const Vmn& v);

  /// The reference counts behind the remote flows (RemoteEntry::refs).
  void add_ref(std::uint64_t dp, VmnId peer);
  void drop_ref(std::uint64_t dp, VmnId peer);
  void rebuild_refs();
  /// The VMN is leaving the registry: deletes its local flows, its remote flows on every
  /// switch, and the remote flows of its correspondents that only it wanted at its switch.
  void forget_vmn(const Vmn& v);

  /// A flow with this cookie was removed by someone else: adds its group back if it is still
  /// wanted; returns whether it did.
  bool restore_removed(std::uint64_t dp, const SwitchState& st, std::uint64_t cookie);
  /// MobilityEngine::installed_flows.
  std::vector<ofp::FlowMod> installed(const SwitchState& st) const;

 private:
  void emit_adds(std::uint64_t dp);
  void emit_delete(std::uint64_t dp, std::uint64_t cookie);
  void emit_delete_egress(std::uint64_t dp, const SwitchState& st, const InstalledLocal& l);

  EngineState& s_;
  BatchAssembly& batch_;
  std::vector<ofp::FlowMod> scratch_;  // the flows being built, emptied by emit_adds
};

}  // namespace vmnmob::mobility::detail
