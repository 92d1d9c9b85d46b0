// Small free functions that turn registry state into OpenFlow 1.3 flow-mods.
//
// Table layout (T = MobilityConfig::first_table; all flows in these five tables):
//
//  T+0 classify
//    1000  eth_type=0x8035 (RARP)             -> output CONTROLLER          [base]
//    1000  eth_type=0x0806 (ARP, any dst MAC) -> output CONTROLLER          [base]
//     100  in_port=uplink                     -> goto T+2                   [base, once known]
//       0  (table-miss)                       -> goto T+1                   [base]
//  T+1 egress, by destination (packets from VM ports)
//     300  ip, ipv4_dst=HoA(W)                -> eth_dst:=MAC(W), output port(W)   [local W]
//     300  ip, ipv4_dst=HoA(P)                -> ipv4_dst:=MoA(P), goto T+3        [remote P]
//          (the same match and priority on purpose: when a VMN moves onto or off this switch,
//          adding its new flow replaces the old one in place (OF 1.3 section 6.4), so the new
//          path is live before the old cookie is deleted)
//     200  ip, ipv4_dst=home prefix           -> drop (unknown VMN)               [base]
//       0  (table-miss)                       -> drop, or goto T+3 when the policy
//                                                translates non-VMN traffic        [base]
//  T+2 ingress, by destination (packets from the uplink)
//     300  ip, ipv4_dst=MoA(V)                -> ipv4_dst:=HoA(V), eth_src:=virtual gateway
//                                                MAC, eth_dst:=MAC(V); write output
//                                                port(V); goto T+4                  [local V]
//       0  (table-miss)                       -> drop                              [base]
//  T+3 egress, by source
//     300  in_port=port(V), ip, ipv4_src=HoA(V)
//                                             -> ipv4_src:=MoA(V), eth_dst:=site gateway
//                                                MAC, output uplink                 [local V,
//                                                only once the gateway MAC is known]
//       0  (table-miss)                       -> drop                              [base]
//  T+4 ingress, by source
//     300  ip, ipv4_src=MoA(P)                -> ipv4_src:=HoA(P)                  [remote P]
//       0  (table-miss)                       -> (no instruction: the action set written in
//                                                T+2 outputs the packet)           [base]
//
// A switch holds 3 flows per local VMN and 2 per remote correspondent of any local VMN
// (a VMN that talks to local VMNs while it is elsewhere), plus 9 base flows: the count
// grows with VMNs and correspondents, never with pairs. Two VMNs on one switch reach each
// other through their T+1 "local" flows, without MoA rewriting and without the router.
//
// Cookies (64 bits): owner (8) | kind (8) | generation (16) | VMN id (32). The owner byte
// is MobilityConfig::cookie_owner; kind is FlowKind; generation is the VMN's (or, for base
// flows, the switch's) generation, so the flows of an old location differ from the new
// ones and are deleted exactly by cookie with a full mask after the new ones are in.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "vmnmob/base/address.hpp"
#include "vmnmob/mobility/config.hpp"
#include "vmnmob/mobility/registry.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::mobility {

enum class FlowKind : std::uint8_t { Base = 1, Local = 2, Remote = 3 };

namespace table {
inline constexpr std::uint8_t kClassify = 0;
inline constexpr std::uint8_t kEgress = 1;
inline constexpr std::uint8_t kIngress = 2;
inline constexpr std::uint8_t kEgressSource = 3;
inline constexpr std::uint8_t kIngressSource = 4;
inline constexpr std::uint8_t kCount = 5;
}  // namespace table

namespace priority {
/// RARP above ARP: the matches cannot overlap, but OVS (and most switches) look up and queue
/// by priority first, and the announce of a migration must never wait behind an ARP flood.
inline constexpr std::uint16_t kAnnounce = 1010;
inline constexpr std::uint16_t kArp = 1000;
inline constexpr std::uint16_t kUplink = 100;
inline constexpr std::uint16_t kLocalDelivery = 300;  // = kTranslate, see the layout
inline constexpr std::uint16_t kTranslate = 300;
inline constexpr std::uint16_t kUnknownHome = 200;
inline constexpr std::uint16_t kMiss = 0;
}  // namespace priority

/// What happens to packets from a VM port whose destination is not a VMN.
enum class NonVmnTraffic : std::uint8_t {
  Drop,       // the paper's scope: VMN-to-VMN only
  Translate,  // source HoA -> MoA and out to the site gateway (SNAT); such sessions cannot
              // survive a migration, since the MoA changes
};

struct Cookie {
  static constexpr std::uint64_t make(std::uint8_t owner, FlowKind kind, std::uint32_t generation,
                                      VmnId id) {
    return std::uint64_t{owner} << 56 | std::uint64_t{static_cast<std::uint8_t>(kind)} << 48 |
           std::uint64_t{generation & 0xffffu} << 32 | id;
  }
  static constexpr std::uint64_t kExact = ~std::uint64_t{0};
  static constexpr std::uint64_t kOwnerMask = std::uint64_t{0xff} << 56;
  /// Every generation of one VMN's flows of one kind.
  static constexpr std::uint64_t kAnyGenerationMask = kExact & ~(std::uint64_t{0xffff} << 32);
  static constexpr std::uint8_t owner(std::uint64_t c) { return static_cast<std::uint8_t>(c >> 56); }
  static constexpr FlowKind kind(std::uint64_t c) { return static_cast<FlowKind>((c >> 48) & 0xff); }
  static constexpr std::uint16_t generation(std::uint64_t c) { return static_cast<std::uint16_t>(c >> 32); }
  static constexpr VmnId vmn(std::uint64_t c) { return static_cast<VmnId>(c); }
};

/// What the flows of one switch depend on besides the VMNs.
struct SwitchFlowContext {
  std::uint8_t first_table = 0;
  std::uint8_t cookie_owner = 0xa7;
  Ipv4Prefix home_prefix;
  MacAddress virtual_gateway_mac;
  std::optional<std::uint32_t> uplink_port;
  std::optional<MacAddress> gateway_mac;
  NonVmnTraffic non_vmn = NonVmnTraffic::Drop;
  /// Meter ids for the ARP and RARP packet-in flows (MobilityConfig::switch_meters), if on.
  std::optional<std::uint32_t> arp_meter;
  std::optional<std::uint32_t> announce_meter;
  /// Seconds; when non-zero the local flows carry this idle timeout with SEND_FLOW_REM and
  /// RESET_COUNTS, so the engine hears when a VMN's traffic stops (MobilityConfig::vmn_idle).
  std::uint16_t local_idle_timeout = 0;
};

/// Parameters of the flows for a VMN attached to this switch.
struct LocalFlowParams {
  VmnId id = 0;
  std::uint32_t generation = 0;
  MacAddress mac;
  Ipv4Address home_address;
  Ipv4Address mobile_address;
  std::uint32_t port = 0;
  friend bool operator==(const LocalFlowParams&, const LocalFlowParams&) = default;
};
/// Parameters of the flows for a correspondent attached elsewhere.
struct RemoteFlowParams {
  VmnId id = 0;
  std::uint32_t generation = 0;
  Ipv4Address home_address;
  Ipv4Address mobile_address;
  friend bool operator==(const RemoteFlowParams&, const RemoteFlowParams&) = default;
};

LocalFlowParams local_params(const Vmn& v);
RemoteFlowParams remote_params(const Vmn& v);

/// Appends flow-mods (command Add) to `out`.
void build_base_flows(const SwitchFlowContext& ctx, std::uint32_t generation, std::vector<ofp::FlowMod>& out);
void build_local_flows(const SwitchFlowContext& ctx, const LocalFlowParams& p, std::vector<ofp::FlowMod>& out);
void build_remote_flows(const SwitchFlowContext& ctx, const RemoteFlowParams& p, std::vector<ofp::FlowMod>& out);

/// METER_MOD delete then add of the packet-in meters (pktps, burst, one drop band each), sent
/// before the base flows that use them. Empty when meters are off.
std::vector<ofp::MeterMod> build_packet_in_meters(const SwitchMeters& meters);
/// Why a switch whose METER_FEATURES reply is `features` cannot run the packet-in meters, or
/// nothing when it can: they need the DROP band, the PKTPS, BURST and STATS flags, one band,
/// and both meter ids within max_meter (Open vSwitch numbers its meters 1..max_meter).
std::optional<std::string_view> meters_unusable(const SwitchMeters& meters, const ofp::MeterFeaturesReply& features);

/// Deletes every flow whose cookie matches under `mask`, in all tables (OFPTT_ALL).
ofp::FlowMod delete_by_cookie(std::uint64_t cookie, std::uint64_t mask);

/// Every flow the switch should hold according to the registry alone (a fresh build, used to
/// check the engine's incremental updates): base flows, local VMNs, and remote VMNs that have a
/// correspondent on this switch. Base flows use generation `base_generation`.
std::vector<ofp::FlowMod> build_switch_flows(const SwitchFlowContext& ctx, const VmnRegistry& registry,
                                             std::uint64_t datapath_id, std::uint32_t base_generation);

}  // namespace vmnmob::mobility
