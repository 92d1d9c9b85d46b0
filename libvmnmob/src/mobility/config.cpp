// Validation of a MobilityConfig (config.hpp): every problem at once, each as "path: reason",
// named by the host's ConfigFieldNames. The engine assumes a configuration that passes: pools
// disjoint from each other and from the home prefix (else a MoA could be another VMN's HoA or
// another site's MoA), times that cannot overflow `now`, ids and ports OpenFlow can carry.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "vmnmob/mobility/config.hpp"
#include "vmnmob/ofp/constants.hpp"

namespace vmnmob::mobility {

namespace {

using Kind = ConfigField::Kind;

/// Inclusive [first, last] in 64 bits (no wrap at 255.255.255.255).
struct Span {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool overlaps(const Span& o) const { return first <= o.last && o.first <= last; }
  std::string to_string() const {
    return fmt::format("{}-{}", Ipv4Address{static_cast<std::uint32_t>(first)}.to_string(),
                       Ipv4Address{static_cast<std::uint32_t>(last)}.to_string());
  }
};

Span whole(const Ipv4Prefix& p) {
  const std::uint32_t network = p.network.value & p.mask();
  return {network, std::uint64_t{network | ~p.mask()}};
}

/// The addresses a pool prefix contributes (AddressPool::site_ranges: no network and broadcast
/// address below /31).
Span hosts(const Ipv4Prefix& p) {
  Span s = whole(p);
  if (p.length < 31) {
    ++s.first;
    --s.last;
  }
  return s;
}

/// Address space that is no unicast host's: "this network", loopback, multicast, reserved and
/// the limited broadcast address (RFC 1122 3.2.1.3, RFC 5771, RFC 1112).
struct Special {
  Span span;
  std::string_view name;
};
constexpr Special kSpecial[] = {
    {{0x00000000u, 0x00ffffffu}, "0.0.0.0/8"},
    {{0x7f000000u, 0x7fffffffu}, "127.0.0.0/8 (loopback)"},
    {{0xe0000000u, 0xffffffffu}, "224.0.0.0 and above (multicast, reserved, broadcast)"},
};

std::optional<std::string_view> special_in(const Span& s) {
  for (const Special& x : kSpecial)
    if (x.span.overlaps(s)) return x.name;
  return std::nullopt;
}

struct PoolEntry {
  ConfigField field;
  Span span;
  std::string text;  // as the entry reads: "a-b" or "a/n"
};

class Checker {
 public:
  Checker(const ConfigFieldNames& names) : names_(names) {}

  std::string name(const ConfigField& f) const { return names_ ? names_(f) : to_string(f); }

  void problem(std::vector<ConfigField> fields, std::string_view reason) {
    std::string message = fmt::format("{}: {}", name(fields.front()), reason);
    problems.push_back({std::move(fields), std::move(message)});
  }

  void time(Kind kind, Duration d, Duration min, Duration max, std::string_view bounds) {
    if (d < min || d > max) problem({{kind}}, fmt::format("must be {}", bounds));
  }

  std::vector<ConfigProblem> problems;

 private:
  const ConfigFieldNames& names_;
};

void check_home(Checker& c, const MobilityConfig& config) {
  const Ipv4Prefix& home = config.home_prefix;
  if (home.length > 32) {
    c.problem({{Kind::HomePrefix}}, fmt::format("/{} is not a prefix length", home.length));
    return;
  }
  if (home.length < kWidestHomePrefix)
    c.problem({{Kind::HomePrefix}}, fmt::format("{} is wider than /{}: a home prefix is one subnet of VMs",
                                                home.to_string(), kWidestHomePrefix));
  else if (home.length > kNarrowestHomePrefix)
    c.problem({{Kind::HomePrefix}}, fmt::format("{} is narrower than /{}: no room for a gateway and a VMN",
                                                home.to_string(), kNarrowestHomePrefix));
  else if (auto special = special_in(whole(home)))
    c.problem({{Kind::HomePrefix}}, fmt::format("{} is in {}, not unicast address space", home.to_string(), *special));
  const Span h = whole(home);
  const std::uint64_t gw = config.home_gateway.value;
  if (!home.contains(config.home_gateway))
    c.problem({{Kind::HomeGateway}, {Kind::HomePrefix}},
              fmt::format("is not inside {} ({})", c.name({Kind::HomePrefix}), home.to_string()));
  else if (home.length <= kNarrowestHomePrefix && (gw == h.first || gw == h.last))
    c.problem({{Kind::HomeGateway}, {Kind::HomePrefix}},
              fmt::format("{} is the {} address of {}", config.home_gateway.to_string(),
                          gw == h.first ? "network" : "broadcast", home.to_string()));
}

void check_site(Checker& c, const MobilityConfig& config, std::size_t i, std::vector<PoolEntry>& entries) {
  const SiteConfig& site = config.sites[i];
  if (site.datapath_id == 0) c.problem({{Kind::DatapathId, i}}, "0 is not a datapath id");
  for (std::size_t j = 0; j < i; ++j)
    if (site.datapath_id != 0 && config.sites[j].datapath_id == site.datapath_id)
      c.problem({{Kind::DatapathId, i}, {Kind::DatapathId, j}},
                fmt::format("{:#x} repeats {}", site.datapath_id, c.name({Kind::DatapathId, j})));
  if (site.uplink_port) {
    if (*site.uplink_port == 0 || *site.uplink_port > ofp::port::kMax)
      c.problem({{Kind::Uplink, i}}, fmt::format("port {} is not from 1 to {:#x} (OFPP_MAX)", *site.uplink_port, ofp::port::kMax));
  } else if (site.uplink_name.empty()) {
    c.problem({{Kind::Uplink, i}}, "neither a port number nor a port name");
  } else if (site.uplink_name.size() > 15) {
    c.problem({{Kind::Uplink, i}}, "a port name is at most 15 characters");
  }
  const Ipv4Address gateway = site.gateway_ip;
  if (gateway.is_unspecified())
    c.problem({{Kind::SiteGateway, i}}, "0.0.0.0 is not a gateway address");
  else if (config.home_prefix.length <= 32 && config.home_prefix.contains(gateway))
    c.problem({{Kind::SiteGateway, i}, {Kind::HomePrefix}},
              fmt::format("{} is inside {} ({}): a site router is not a VMN", gateway.to_string(),
                          c.name({Kind::HomePrefix}), config.home_prefix.to_string()));

  if (site.pool_ranges.empty() && site.pool_prefixes.empty()) c.problem({{Kind::Pool, i}}, "the pool is empty");
  auto entry = [&](ConfigField field, Span span, std::string text) {
    if (auto special = special_in(span))
      c.problem({field}, fmt::format("{} holds addresses of {}, which no VMN may have as MoA", text, *special));
    if (config.home_prefix.length <= 32 && whole(config.home_prefix).overlaps(span))
      c.problem({field, {Kind::HomePrefix}}, fmt::format("{} overlaps the home prefix {} ({})", text,
                                                         config.home_prefix.to_string(), c.name({Kind::HomePrefix})));
    if (!gateway.is_unspecified() && span.first <= gateway.value && gateway.value <= span.last)
      c.problem({field, {Kind::SiteGateway, i}},
                fmt::format("{} contains the site gateway address {}", text, gateway.to_string()));
    entries.push_back({field, span, std::move(text)});
  };
  for (std::size_t k = 0; k < site.pool_ranges.size(); ++k) {
    const AddressRange& r = site.pool_ranges[k];
    const std::string text = fmt::format("{}-{}", r.first.to_string(), r.last.to_string());
    if (r.last < r.first)
      c.problem({{Kind::PoolRange, i, k}}, fmt::format("{}: the last address is before the first", text));
    else
      entry({Kind::PoolRange, i, k}, {r.first.value, r.last.value}, text);
  }
  for (std::size_t k = 0; k < site.pool_prefixes.size(); ++k) {
    const Ipv4Prefix& p = site.pool_prefixes[k];
    if (p.length > 32)
      c.problem({{Kind::PoolPrefix, i, k}}, fmt::format("/{} is not a prefix length", p.length));
    else
      entry({Kind::PoolPrefix, i, k}, hosts(p), p.to_string());
  }
}

void check_times(Checker& c, const MobilityConfig& config) {
  using std::chrono::seconds;
  const Duration zero = Duration::zero();
  const Duration longest = kLongestConfiguredTime;
  c.time(Kind::HoldTime, config.hold_time, zero, longest, "from 0 to 366 days");
  c.time(Kind::ProbeTimeout, config.probe_timeout, Duration{1}, longest, "positive and at most 366 days");
  c.time(Kind::GatewayProbeInterval, config.gateway_probe_interval, Duration{1}, longest,
         "positive and at most 366 days");
  c.time(Kind::LimitEventInterval, config.limit_event_interval, zero, longest, "from 0 to 366 days");
  c.time(Kind::VmnIdle, config.vmn_idle, zero, seconds(65535), "from 0 to 65535 s (a flow's idle timeout)");
  const MoveFreeze& f = config.move_freeze;
  if (f.moves > MoveFreeze::kMaxMoves)
    c.problem({{Kind::MoveFreeze}}, fmt::format("moves: {} is above {}", f.moves, MoveFreeze::kMaxMoves));
  if (f.window < zero || f.window > longest || f.freeze < zero || f.freeze > longest)
    c.problem({{Kind::MoveFreeze}}, "window and freeze must be from 0 to 366 days");
  else if (f.moves != 0 && f.window == zero)
    c.problem({{Kind::MoveFreeze}}, "a window of 0 with moves counted");
}

void check_switch(Checker& c, const MobilityConfig& config) {
  // Five consecutive tables from first_table, all below OFPTT_MAX (254).
  if (config.first_table > 250) c.problem({{Kind::FirstTable}}, fmt::format("{} leaves no room for five tables", config.first_table));
  const SwitchMeters& m = config.switch_meters;
  if (!m.enabled) return;
  constexpr std::uint32_t kMaxMeter = 0xffff0000;  // OFPM_MAX
  if (m.arp_meter_id == 0 || m.arp_meter_id > kMaxMeter || m.announce_meter_id == 0 || m.announce_meter_id > kMaxMeter)
    c.problem({{Kind::SwitchMeters}}, "meter ids must be from 1 to 0xffff0000 (OFPM_MAX)");
  else if (m.arp_meter_id == m.announce_meter_id)
    c.problem({{Kind::SwitchMeters}}, "the ARP and the announce meter need ids of their own");
  if (m.arp_rate == 0 || m.announce_rate == 0) c.problem({{Kind::SwitchMeters}}, "a meter rate of 0 drops everything");
}

}  // namespace

std::string to_string(const ConfigField& f) {
  const std::string site = fmt::format("sites[{}]", f.site);
  switch (f.kind) {
    case Kind::HomePrefix: return "home_prefix";
    case Kind::HomeGateway: return "home_gateway";
    case Kind::Sites: return "sites";
    case Kind::DatapathId: return site + ".datapath_id";
    case Kind::Uplink: return site + ".uplink";
    case Kind::SiteGateway: return site + ".gateway_ip";
    case Kind::Pool: return site + ".pool";
    case Kind::PoolRange: return fmt::format("{}.pool_ranges[{}]", site, f.entry);
    case Kind::PoolPrefix: return fmt::format("{}.pool_prefixes[{}]", site, f.entry);
    case Kind::HoldTime: return "hold_time";
    case Kind::ProbeTimeout: return "probe_timeout";
    case Kind::GatewayProbeInterval: return "gateway_probe_interval";
    case Kind::FirstTable: return "first_table";
    case Kind::SwitchMeters: return "switch_meters";
    case Kind::LimitEventInterval: return "limit_event_interval";
    case Kind::VmnIdle: return "vmn_idle";
    case Kind::MoveFreeze: return "move_freeze";
  }
  return "?";
}

std::vector<ConfigProblem> check_config(const MobilityConfig& config, const ConfigFieldNames& names) {
  Checker c(names);
  check_home(c, config);
  std::vector<PoolEntry> entries;
  for (std::size_t i = 0; i < config.sites.size(); ++i) check_site(c, config, i, entries);
  // Pools of two sites must be disjoint; within a site, overlapping entries merge. Each clash
  // is named once, at the later entry.
  for (std::size_t a = 0; a < entries.size(); ++a)
    for (std::size_t b = 0; b < a; ++b)
      if (entries[a].field.site != entries[b].field.site && entries[a].span.overlaps(entries[b].span))
        c.problem({entries[a].field, entries[b].field},
                  fmt::format("{} overlaps {} ({})", entries[a].text, c.name(entries[b].field), entries[b].text));
  check_times(c, config);
  check_switch(c, config);
  return std::move(c.problems);
}

Expected<void, std::vector<std::string>> validate(const MobilityConfig& config, const ConfigFieldNames& names) {
  std::vector<std::string> messages;
  for (ConfigProblem& p : check_config(config, names)) messages.push_back(std::move(p.message));
  if (!messages.empty()) return unexpected(std::move(messages));
  return {};
}

}  // namespace vmnmob::mobility
