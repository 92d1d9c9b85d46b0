// The mobility engine: the paper's controller logic, without I/O.
//
// The host (vmnctl-ofc, or any other controller) feeds it events — switch up/down with ports,
// port status, ARP/RARP packet-ins, flow-removed, timer ticks — each with `now`, and sends the
// messages it returns to the named datapaths. Nothing here reads a clock or a socket, so every
// scenario is a deterministic test.
//
// Output is a Batch, filled in send order:
//   1. flow-mods that add the new state (on every switch involved; at switch-up preceded by
//      the reconcile delete of all this engine's flows on that switch),
//   2. packet-outs (ARP replies, the announce of a new MoA to the site gateway, probes),
//   3. one BARRIER_REQUEST per switch that got flow-mods in 1, if deletions follow,
//   4. from Batch::break_at: flow-mods that delete the old state, by exact cookie (or, for a
//      single flow that must go while its group stays, DELETE_STRICT).
// Sending the batch in order on each switch's connection gives make-before-break per switch;
// a host that waits for every BarrierReply of a batch before sending messages[break_at..]
// gets it across switches too (a correspondent's switch has the new MoA before the old
// location's flows go).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/mobility/address_pool.hpp"
#include "vmnmob/mobility/arp_frame.hpp"
#include "vmnmob/mobility/config.hpp"
#include "vmnmob/mobility/flow_builder.hpp"
#include "vmnmob/mobility/policy.hpp"
#include "vmnmob/mobility/registry.hpp"
#include "vmnmob/mobility/state_changes.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::mobility {

/// Something the host may log or count.
struct Event {
  enum class Kind : std::uint8_t {
    SwitchUp,
    SwitchDown,
    UnknownSwitch,      // a datapath that is not in the configuration; ignored
    GatewayResolved,    // site gateway MAC learned (moa = gateway IP, peer_mac = its MAC)
    VmnDetected,        // mac, home_address, to
    MoaAssigned,        // mac, mobile_address, to
    MoaReleased,        // mac, old_mobile_address (its hold time starts)
    Migrated,           // mac, from/old_mobile_address -> to/mobile_address
    PoolExhausted,      // to.datapath_id: a VMN could not get a MoA there
    SpoofRefused,       // mac claimed at `to`, the VMN stays at `from`
    AddressConflict,    // an ARP claims a registered HoA with another MAC, or a new HoA
    CorrespondentsLinked,  // mac and peer_mac
    ProbeSent,          // home_address of an unknown peer is being probed
    ProbeExpired,       // nobody answered for home_address
    FlowRestored,       // a flow of ours was removed by someone else and was added back
    // Limits and hygiene (docs/MOBILITY.md, "Limits and hygiene"):
    VmnLimit,           // a new VMN (mac, home_address) refused at `to`: its port holds
                        // max_vmns_per_port; `count` refusals there since the last such event
    SiteVmnLimit,       // the same for the site (to.datapath_id) at max_vmns_per_site
    VmnExpired,         // mac, home_address, old_mobile_address (now held), from: idle for vmn_idle
    MoveFrozen,         // mac moved move_freeze.moves times within the window: frozen at `to`
                        // until the freeze ends (RFC 7432 section 15)
    FrozenMoveRefused,  // an announce of a frozen mac at `to` refused, it stays at `from`;
                        // `count` refusals since the last such event (at most one per window)
    MoveUnfrozen,       // the freeze of mac ended; it may move again
    MetersUnusable,     // to.datapath_id: switch_meters are configured but the switch cannot
                        // run them (`reason`); its packet-in flows go without meters
  };
  Kind kind = Kind::SwitchUp;
  TimePoint at{};
  MacAddress mac;
  MacAddress peer_mac;
  Ipv4Address home_address;
  Ipv4Address mobile_address;
  Ipv4Address old_mobile_address;
  Location from;
  Location to;
  /// For the rate-limited kinds (VmnLimit, SiteVmnLimit, FrozenMoveRefused): how many refusals
  /// this event stands for (itself and those not evented since the previous one).
  std::uint64_t count = 0;
  /// MetersUnusable: why (a string with static storage).
  std::string_view reason;
};
std::string_view to_string(Event::Kind kind);

/// What a switch said in its handshake beyond what OpenFlow 1.3 requires of every switch.
struct SwitchAbilities {
  /// Whether the host asked for METER_FEATURES. When it did not, MobilityConfig::switch_meters
  /// are used as configured (the operator vouches for the switch).
  bool meters_probed = false;
  /// The METER_FEATURES reply; nothing when the switch refused the request (no meters).
  std::optional<ofp::MeterFeaturesReply> meters;
};

/// Totals since the engine was built (not part of a snapshot), for a host's metrics.
struct EngineCounters {
  std::uint64_t port_limit_refusals = 0;
  std::uint64_t site_limit_refusals = 0;
  std::uint64_t vmns_expired = 0;
  std::uint64_t moves_frozen = 0;
  std::uint64_t frozen_moves_refused = 0;
  /// Local flows that idled out while their VMN was still seen, and were added back.
  std::uint64_t idle_flows_restored = 0;
};
/// One log line, e.g. "migrated 52:54:00:00:00:01 hoa 10.0.0.1 from dp 1 port 3 moa ... to ...".
std::string to_string(const Event& e);

struct Outgoing {
  std::uint64_t datapath_id = 0;
  ofp::Message message;
};

struct Batch {
  std::vector<Outgoing> messages;
  /// messages[break_at..] delete old state (see the header comment).
  std::size_t break_at = 0;
  std::vector<Event> events;
  /// What this batch's call changed in the saved state (state_changes.hpp).
  StateChanges changes;
  /// Keeps the capacity, so a host that reuses one Batch stops allocating.
  void clear() {
    messages.clear();
    events.clear();
    changes.clear();
    break_at = 0;
  }
};

class MobilityEngine {
 public:
  /// `config` must pass validate() (config.hpp): the engine relies on disjoint pools outside
  /// the home prefix and on bounded times. create() checks it first.
  explicit MobilityEngine(MobilityConfig config, std::unique_ptr<MobilityPolicy> policy = nullptr);
  /// The engine, or every problem of `config` as "path: reason" (validate()).
  static Expected<MobilityEngine, std::vector<std::string>> create(MobilityConfig config,
                                                                   std::unique_ptr<MobilityPolicy> policy = nullptr);
  ~MobilityEngine();
  MobilityEngine(MobilityEngine&&) noexcept;
  MobilityEngine& operator=(MobilityEngine&&) noexcept;

  // ---- Events. Each appends to `out` (call out.clear() first to start a new batch). ----

  /// The switch connected (after FEATURES and the port list). Reconciles: deletes every flow
  /// carrying this engine's cookie owner, then adds the base flows and the flows of its VMNs
  /// and their correspondents; probes the site gateway's MAC if it is not configured.
  /// `abilities`: with switch_meters on, the meters and the flows that use them go only to a
  /// switch that can run them (meters_unusable); one that cannot is evented (MetersUnusable).
  void on_switch_up(TimePoint now, std::uint64_t datapath_id, std::span<const ofp::Port> ports,
                    const SwitchAbilities& abilities, Batch& out);
  /// The same with abilities unknown (switch_meters used as configured).
  void on_switch_up(TimePoint now, std::uint64_t datapath_id, std::span<const ofp::Port> ports, Batch& out);
  /// Its VMNs keep their identity and MoAs; nothing is sent to it until it returns.
  void on_switch_down(TimePoint now, std::uint64_t datapath_id, Batch& out);
  void on_port_status(TimePoint now, std::uint64_t datapath_id, const ofp::PortStatus& status, Batch& out);
  /// An ARP or RARP frame that arrived on in_port of the datapath.
  void on_arp(TimePoint now, std::uint64_t datapath_id, std::uint32_t in_port, const ArpFrame& frame, Batch& out);
  /// Convenience: parses the packet-in's frame and calls on_arp; other frames are ignored.
  void on_packet_in(TimePoint now, std::uint64_t datapath_id, const ofp::PacketIn& packet_in, Batch& out);
  /// A flow carrying this engine's cookie that the engine still wants is added back. With
  /// MobilityConfig::vmn_idle set, a VMN's local flows carry that idle timeout: when they have
  /// all idled out (within a few seconds of each other) and the VMN has not ARPed for vmn_idle,
  /// it expires (Event::Kind::VmnExpired); otherwise the flows are added back.
  void on_flow_removed(TimePoint now, std::uint64_t datapath_id, const ofp::FlowRemoved& removed, Batch& out);
  /// Expires held MoAs, unanswered probes and move freezes, re-probes unresolved gateways.
  void on_tick(TimePoint now, Batch& out);

  /// The operator's corrective action of RFC 7432 section 15: ends the freeze of the VMN with
  /// this MAC at once (Event::Kind::MoveUnfrozen) instead of at the end of move_freeze.freeze.
  /// Returns whether it was frozen. Sends nothing: the VMN's next announce elsewhere moves it.
  bool unfreeze(TimePoint now, MacAddress mac, Batch& out);

  // ---- Configuration changes while running ----

  /// Grows the MoA pool of a configured switch live (vmnctl-ofc does it on SIGHUP). `ranges`
  /// and `prefixes` are the site's whole new pool, as in SiteConfig; it must contain every
  /// address of the current pool (a pool never shrinks while running: an address in use or in
  /// its hold time must stay out of every other hand) and overlap no other site's pool nor the
  /// home prefix. On success config() shows the new pool and the addresses added are returned;
  /// on error (which names the first offending address) nothing changed. Nothing needs to be
  /// sent: a pool only decides future MoAs. A snapshot taken afterwards carries the grown pool.
  Expected<std::uint64_t, std::string> grow_pool(std::uint64_t datapath_id, std::vector<AddressRange> ranges,
                                                 std::vector<Ipv4Prefix> prefixes);

  // ---- State ----
  const MobilityConfig& config() const;
  const VmnRegistry& registry() const;
  const AddressPool* pool(std::uint64_t datapath_id) const;
  bool connected(std::uint64_t datapath_id) const;
  std::optional<MacAddress> gateway_mac(std::uint64_t datapath_id) const;
  std::optional<std::uint32_t> uplink_port(std::uint64_t datapath_id) const;
  /// The flows the engine believes a connected switch holds (command Add, in no particular
  /// order); compare with build_switch_flows(flow_context(dp), registry(), dp, ...).
  std::vector<ofp::FlowMod> installed_flows(std::uint64_t datapath_id) const;
  SwitchFlowContext flow_context(std::uint64_t datapath_id) const;
  std::uint32_t base_generation(std::uint64_t datapath_id) const;
  std::size_t pending_probes() const;
  const EngineCounters& counters() const;
  /// Whether the VMN with this MAC is frozen by duplicate-move detection at `now`.
  bool frozen(MacAddress mac, TimePoint now) const;

  /// Registry, pools (held addresses included, with the hold time left), learned gateway MACs
  /// and uplink ports. Connection state is not part of it: after a restore every switch is
  /// reconciled when it connects.
  nlohmann::json snapshot(TimePoint now) const;
  /// Replaces the state with a snapshot; on error the engine is unchanged. Switches that are
  /// connected are reconciled at once (their messages go to `out`). The snapshot is checked
  /// against the running configuration first: every switch a configured datapath (once), each
  /// pool inside that site's configured pool (a snapshot with pools swapped between sites, or of
  /// a pool since shrunk, is refused: its addresses would be handed out by a site that does not
  /// own them), every VMN's HoA inside the home prefix and neither its network, broadcast nor
  /// gateway address, its port from 1 to OFPP_MAX, its MoA in use in its site's pool, every time
  /// from 0 to ten years. A pool is grown to the configured pool when the configuration has more
  /// addresses (a restart with a grown pool). Errors name their JSON path ("vmns[2].port: ...").
  Expected<void, std::string> restore(const nlohmann::json& snapshot, TimePoint now, Batch& out);
  /// The current value of every key in `changes` as one record for merge_state_changes
  /// (vmnmob/mobility/state_changes.hpp): O(size of the change), not of the registry. Call it
  /// right after the call that filled `changes` (a later call may change the keys again; the
  /// record then holds their newer value, which is still right to save).
  nlohmann::json changes_record(const StateChanges& changes, TimePoint now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmnmob::mobility
