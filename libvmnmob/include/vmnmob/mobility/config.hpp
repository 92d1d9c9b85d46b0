// The mobility engine's configuration: a plain struct the host fills (vmnctl-ofc reads it
// from JSON). Names follow the paper: home prefix and home gateway are shared by every VMN;
// each site (one OFS, by datapath id) has an uplink toward its WAN gateway and a pool of
// mobile addresses (MoA) routable in that site.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/base/time.hpp"

namespace vmnmob::mobility {

/// The engine never reads a clock; every handler takes `now`.
using vmnmob::Clock;
using vmnmob::Duration;
using vmnmob::TimePoint;

/// An inclusive range of IPv4 addresses, e.g. 192.0.2.10 - 192.0.2.200.
struct AddressRange {
  Ipv4Address first;
  Ipv4Address last;
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

struct SiteConfig {
  std::uint64_t datapath_id = 0;
  /// The uplink toward the site LAN and its gateway router, by number or by name (a bridge may
  /// connect before the port exists, so the name is resolved from port lists and port-status).
  std::optional<std::uint32_t> uplink_port;
  std::string uplink_name;
  /// The site's WAN gateway router on the site LAN.
  Ipv4Address gateway_ip;
  /// If absent, resolved by an ARP probe from 0.0.0.0 sent out the uplink.
  std::optional<MacAddress> gateway_mac;
  /// The MoA pool of this OFS: ranges and/or CIDR prefixes (a prefix contributes its host
  /// addresses, i.e. without network and broadcast addresses when shorter than /31).
  std::vector<AddressRange> pool_ranges;
  std::vector<Ipv4Prefix> pool_prefixes;
  /// Port-name prefixes of VM ports (e.g. "vnet", "tap"); empty = every port except the uplink
  /// and LOCAL. Used by the default policy.
  std::vector<std::string> vm_port_prefixes;
};

/// OpenFlow meters (OF 1.3 §7.3.4.5) on the packet-in flows, so the switch itself bounds what it
/// sends to the controller: one meter for ARP->controller, its own for RARP->controller. Off by
/// default; OVS 3.1's userspace datapath supports pktps drop meters (tests/fixtures/ovs/meters.txt).
struct SwitchMeters {
  bool enabled = false;
  std::uint32_t arp_meter_id = 0xa701;
  std::uint32_t announce_meter_id = 0xa702;
  std::uint32_t arp_rate = 1000;  // packets per second
  std::uint32_t arp_burst = 200;
  std::uint32_t announce_rate = 200;
  std::uint32_t announce_burst = 100;
  friend bool operator==(const SwitchMeters&, const SwitchMeters&) = default;
};

/// Duplicate-move detection (RFC 7432 section 15): a MAC that moves `moves` times within
/// `window` is frozen where it is for `freeze`; announces of it from anywhere else are refused
/// meanwhile. RFC 7432 leaves unfreezing to the operator or a timer: this is the timer.
struct MoveFreeze {
  std::uint32_t moves = 5;  // 0 = never freeze
  Duration window = std::chrono::seconds(180);
  Duration freeze = std::chrono::seconds(540);  // 3 windows
  /// Bounds the per-VMN move history (one time point per move counted).
  static constexpr std::uint32_t kMaxMoves = 64;
  friend bool operator==(const MoveFreeze&, const MoveFreeze&) = default;
};

struct MobilityConfig {
  /// The private subnet all VMNs share, and their default gateway there.
  Ipv4Prefix home_prefix;
  Ipv4Address home_gateway;
  /// Answered for the home gateway at every site, so a guest's ARP cache stays valid after
  /// a migration (the paper leaves this open; see docs/MOBILITY.md).
  MacAddress virtual_gateway_mac = MacAddress::from_u64(0x02'00'5e'00'00'01);
  std::vector<SiteConfig> sites;
  /// An old MoA returns to its pool only after this long, so late packets for it cannot reach
  /// a VMN that received it next.
  Duration hold_time = std::chrono::seconds(60);
  /// How long an unanswered probe for an unknown HoA is kept (then the asker is forgotten).
  Duration probe_timeout = std::chrono::seconds(3);
  /// How often an unresolved site gateway MAC is probed again.
  Duration gateway_probe_interval = std::chrono::seconds(2);
  /// The first of the five consecutive tables the engine uses (see flow_builder.hpp).
  std::uint8_t first_table = 0;
  /// Stamped into the top byte of every cookie the engine writes, so several controllers (or
  /// engines) can share a switch and each removes only its own flows.
  std::uint8_t cookie_owner = 0xa7;
  /// Meters on the ARP and RARP packet-in flows, programmed at switch-up.
  SwitchMeters switch_meters;

  // ---- Limits and hygiene (docs/MOBILITY.md, "Limits and hygiene") ----

  /// New VMNs per (datapath, port): a hypervisor port carries one VM, which may own a few
  /// MACs (macvlan containers, bonds); a port beyond this is one VM registering MACs it
  /// makes up, and would drain its site's MoA pool. 0 = no limit. Migrations are not limited.
  std::uint32_t max_vmns_per_port = 8;
  /// New VMNs per site (datapath). 0 = the pool's size (the pool is the only bound).
  std::uint32_t max_vmns_per_site = 0;
  /// The refusal of a new VMN at a port (or site) over its limit is evented at most once per
  /// this interval per port (and per site); refusals in between are counted in the next event
  /// and in MobilityEngine::counters().
  Duration limit_event_interval = std::chrono::seconds(1);
  /// A VMN neither seen (ARP) nor carrying traffic (its local flows carry this idle timeout and
  /// report their removal) for this long is removed and its MoA held. Zero = never (the
  /// paper's behaviour); vmnctl-ofc's default is 3600 s.
  Duration vmn_idle = Duration::zero();
  MoveFreeze move_freeze;
};

const SiteConfig* find_site(const MobilityConfig& config, std::uint64_t datapath_id);

// ---- Validation (config.cpp) ----

/// The widest home prefix a configuration may have: /8 (16 million HoAs). Wider is a typo
/// (0.0.0.0/0 would make every address a HoA, and every pool overlap it).
inline constexpr std::uint8_t kWidestHomePrefix = 8;
/// The narrowest: /30 keeps a gateway and a VMN beside the network and broadcast addresses.
inline constexpr std::uint8_t kNarrowestHomePrefix = 30;
/// The longest hold, freeze or move window a configuration may set (a year): time arithmetic on
/// `now` never overflows, and nobody means more.
inline constexpr Duration kLongestConfiguredTime = std::chrono::hours(24 * 366);

/// A field of MobilityConfig that a validation problem is about.
struct ConfigField {
  enum class Kind : std::uint8_t {
    HomePrefix,
    HomeGateway,
    Sites,
    DatapathId,   // sites[site].datapath_id
    Uplink,       // sites[site].uplink_port / uplink_name
    SiteGateway,  // sites[site].gateway_ip
    Pool,         // sites[site]'s whole pool
    PoolRange,    // sites[site].pool_ranges[entry]
    PoolPrefix,   // sites[site].pool_prefixes[entry]
    HoldTime,
    ProbeTimeout,
    GatewayProbeInterval,
    FirstTable,
    SwitchMeters,
    LimitEventInterval,
    VmnIdle,
    MoveFreeze,
  };
  Kind kind = Kind::HomePrefix;
  std::size_t site = 0;
  std::size_t entry = 0;
  friend bool operator==(const ConfigField&, const ConfigField&) = default;
};
/// The member's name: "home_prefix", "sites[1].datapath_id", "sites[1].pool_ranges[0]".
std::string to_string(const ConfigField& field);
/// How a host names the fields in messages (vmnctl-ofc: its JSON keys, "sites[1].dpid").
using ConfigFieldNames = std::function<std::string(const ConfigField&)>;

struct ConfigProblem {
  /// fields[0] is the one at fault; a clash (an overlap, a duplicate) names the other too.
  std::vector<ConfigField> fields;
  std::string message;  // "path: reason", named by the ConfigFieldNames given
};

/// Every problem of a configuration at once (empty when it is sound): a home prefix wider than
/// /8 or narrower than /30 or outside unicast space; a home gateway outside it or its network or
/// broadcast address; a datapath id 0 or repeated; an uplink port 0 or above OFPP_MAX, a name
/// longer than 15 characters or no uplink; a site gateway 0.0.0.0, inside the home prefix or in
/// a pool; an empty pool, a range whose last address is before its first, a prefix longer than
/// /32, a pool entry that overlaps or straddles the home prefix, holds addresses that are not
/// unicast (0/8, 127/8, 224.0.0.0 and above) or overlaps another site's pool; times negative or
/// longer than kLongestConfiguredTime (vmn_idle: 65535 s, a flow's idle timeout); first_table
/// above 250 (five tables); switch meters with id 0, above OFPM_MAX, equal, or a rate of 0.
/// Pool size is not bounded: a pool is ranges, so its memory does not grow with its size.
std::vector<ConfigProblem> check_config(const MobilityConfig& config, const ConfigFieldNames& names = {});
/// The same, as one "path: reason" string per problem.
Expected<void, std::vector<std::string>> validate(const MobilityConfig& config, const ConfigFieldNames& names = {});

}  // namespace vmnmob::mobility
