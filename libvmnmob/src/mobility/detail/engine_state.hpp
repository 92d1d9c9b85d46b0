// The engine's state: what the other parts of the engine share. The configuration and the
// policy, the VMN registry, one SwitchState per configured switch (its MoA pool, its ports, its
// gateway, and the flows this engine has installed there) and the probes still unanswered.
// The parts that act on it: arp_decisions (ARP -> registry and pools), flow_sync (wanted
// versus installed flows -> flow-mods), hygiene (limits, move freeze, expiry), snapshot (to and
// from JSON), engine.cpp (the events).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vmnmob/mobility/engine.hpp"

namespace vmnmob::mobility::detail {

/// The base flows as installed on a switch.
struct InstalledBase {
  std::uint32_t generation = 0;
  std::optional<std::uint32_t> uplink;
  NonVmnTraffic non_vmn = NonVmnTraffic::Drop;
  friend bool operator==(const InstalledBase&, const InstalledBase&) = default;
};

/// The flows of a VMN attached to the switch, as installed.
struct InstalledLocal {
  LocalFlowParams params;
  std::optional<MacAddress> gateway_mac;
  std::optional<std::uint32_t> uplink;
  /// When each local flow (by table offset: egress, ingress, egress by source) last reported
  /// an idle-timeout removal (MobilityConfig::vmn_idle); not part of what is installed.
  std::array<std::optional<TimePoint>, 3> idle_at{};
  friend bool operator==(const InstalledLocal& a, const InstalledLocal& b) {
    return a.params == b.params && a.gateway_mac == b.gateway_mac && a.uplink == b.uplink;
  }
};

/// Rate of the events for refusals at one place (a port, a site): at most one per
/// MobilityConfig::limit_event_interval, the refusals in between counted in the next one.
struct RefusalNotice {
  std::optional<TimePoint> last_event;
  std::uint64_t unreported = 0;
};

/// A VMN attached elsewhere that is the correspondent of VMNs attached to this switch.
struct RemoteEntry {
  /// How many VMNs attached to this switch have the VMN as correspondent; its remote flows are
  /// wanted here exactly while this is positive (and it is attached elsewhere).
  std::uint32_t refs = 0;
  bool installed = false;
  RemoteFlowParams params;
};

struct SwitchState {
  const SiteConfig* site = nullptr;  // points into EngineState::config.sites
  AddressPool pool;
  bool connected = false;
  bool meters = false;  // the packet-in meters are in use on it (switch_meters and its abilities)
  std::unordered_map<std::uint32_t, std::string> port_names;
  std::optional<std::uint32_t> uplink;
  std::optional<MacAddress> gateway_mac;
  TimePoint last_gateway_probe{};
  std::uint32_t base_generation = 0;
  // What this engine has sent to the switch since it connected.
  std::optional<InstalledBase> base;
  std::unordered_map<VmnId, InstalledLocal> local;
  /// Per VMN attached elsewhere that matters here: one lookup gives both the reason for its
  /// remote flows and what was installed. An entry lives while either part is non-empty.
  std::unordered_map<VmnId, RemoteEntry> remote;
  /// VMN limit refusals: per port (only ports that were at their limit; pruned on tick) and
  /// for the site.
  std::unordered_map<std::uint32_t, RefusalNotice> port_refusals;
  RefusalNotice site_refusals;

  /// The switch went away or reconnected: nothing of ours is known to be on it any more.
  void forget_installed();
};

/// An ARP request for a HoA that no VMN has announced yet, asked by `asker`.
struct PendingProbe {
  Ipv4Address home_address;
  VmnId asker = 0;
  TimePoint expires{};
};

inline Event make_event(Event::Kind kind) {
  Event e;
  e.kind = kind;
  return e;
}

struct EngineState {
  EngineState(MobilityConfig c, std::unique_ptr<MobilityPolicy> p);
  // SwitchState::site points into config: the state stays where it was built.
  EngineState(const EngineState&) = delete;
  EngineState& operator=(const EngineState&) = delete;

  MobilityConfig config;
  std::unique_ptr<MobilityPolicy> policy;
  VmnRegistry registry;
  std::unordered_map<std::uint64_t, SwitchState> switches;
  std::vector<PendingProbe> pending;
  EngineCounters counters;
  /// VMNs frozen by duplicate-move detection, and the rate of their refusal events.
  std::unordered_map<VmnId, RefusalNotice> frozen;

  SwitchState* find(std::uint64_t datapath_id);
  const SwitchState* find(std::uint64_t datapath_id) const;
  bool connected(std::uint64_t datapath_id) const;

  /// What the flow builder needs to know of the switch now.
  SwitchFlowContext context(const SwitchState& st) const;
  std::uint64_t cookie(FlowKind kind, std::uint32_t generation, VmnId id) const {
    return Cookie::make(config.cookie_owner, kind, generation, id);
  }
  /// The port as the policy sees it.
  PortRef port_ref(const SwitchState& st, std::uint32_t port) const;
  /// The uplink from the configuration: a port number, or a name looked up in the port list.
  static void resolve_uplink(SwitchState& st);

  /// MobilityEngine::grow_pool.
  Expected<std::uint64_t, std::string> grow_pool(std::uint64_t datapath_id, std::vector<AddressRange> ranges,
                                                 std::vector<Ipv4Prefix> prefixes);
};

}  // namespace vmnmob::mobility::detail
