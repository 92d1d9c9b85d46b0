#include "config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmnctl {

using nlohmann::json;
using vmnmob::Ipv4Address;
using vmnmob::Ipv4Prefix;
using vmnmob::MacAddress;
using vmnmob::mobility::AddressRange;
using vmnmob::mobility::SiteConfig;

namespace {

/// Collects errors while walking the document; each helper reports and returns nullopt.
class Checker {
 public:
  ConfigErrors errors;

  void error(const std::string& path, std::string_view reason) {
    errors.push_back(fmt::format("{}: {}", path, reason));
  }

  /// Requires an object and reports keys outside `allowed`.
  bool object(const json& j, const std::string& path, std::initializer_list<std::string_view> allowed) {
    if (!j.is_object()) {
      error(path, "must be an object");
      return false;
    }
    for (const auto& [key, value] : j.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        error(join(path, key), "unknown key");
    }
    return true;
  }

  const json* field(const json& j, std::string_view key, const std::string& path, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) error(join(path, key), "is required");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> string(const json* j, const std::string& path) {
    if (!j) return std::nullopt;
    if (!j->is_string()) {
      error(path, "must be a string");
      return std::nullopt;
    }
    return j->get<std::string>();
  }

  template <class T, class Parse>
  std::optional<T> parsed(const json* j, const std::string& path, Parse parse, std::string_view what) {
    auto s = string(j, path);
    if (!s) return std::nullopt;
    auto v = parse(*s);
    if (!v) error(path, fmt::format("not {}: \"{}\"", what, *s));
    return v;
  }

  std::optional<double> number(const json* j, const std::string& path, double min, double max) {
    if (!j) return std::nullopt;
    if (!j->is_number()) {
      error(path, "must be a number");
      return std::nullopt;
    }
    double v = j->get<double>();
    if (v < min || v > max) {
      error(path, fmt::format("must be between {} and {}", min, max));
      return std::nullopt;
    }
    return v;
  }

  /// A whole number in [min, max].
  std::optional<std::uint64_t> whole(const json* j, const std::string& path, std::uint64_t min, std::uint64_t max) {
    if (!j) return std::nullopt;
    if (!j->is_number_unsigned() && !j->is_number_integer() && !j->is_number_float()) {
      error(path, "must be a number");
      return std::nullopt;
    }
    const double v = j->get<double>();
    if (v < static_cast<double>(min) || v > static_cast<double>(max) || v != static_cast<double>(static_cast<std::uint64_t>(v))) {
      error(path, fmt::format("must be a whole number from {} to {}", min, max));
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(v);
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }
  static std::string index(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }
};

std::optional<AddressRange> parse_range(std::string_view s) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  auto first = Ipv4Address::parse(trim(s.substr(0, dash)));
  auto last = Ipv4Address::parse(trim(s.substr(dash + 1)));
  if (!first || !last || last->value < first->value) return std::nullopt;
  return AddressRange{*first, *last};
}

/// [first, last] of a pool entry, for overlap checks.
std::pair<std::uint32_t, std::uint32_t> span_of(const AddressRange& r) { return {r.first.value, r.last.value}; }
std::pair<std::uint32_t, std::uint32_t> span_of(const Ipv4Prefix& p) {
  std::uint32_t lo = p.network.value & p.mask();
  return {lo, lo | ~p.mask()};
}

struct PoolSpan {
  std::uint32_t lo, hi;
  std::string path;
};

void parse_site(Checker& c, const json& j, const std::string& path, ControllerConfig& out,
                std::vector<PoolSpan>& pools) {
  if (!c.object(j, path, {"name", "dpid", "uplink", "gateway", "gateway_mac", "mobile_pool", "vm_ports"}))
    return;
  SiteConfig site;
  auto name = c.string(c.field(j, "name", path, true), Checker::join(path, "name"));
  if (auto dpid = c.parsed<std::uint64_t>(c.field(j, "dpid", path, true), Checker::join(path, "dpid"),
                                          parse_datapath_id, "a datapath id (0x-hex, colon-separated hex or decimal)"))
    site.datapath_id = *dpid;
  if (const json* up = c.field(j, "uplink", path, true)) {
    if (up->is_number_unsigned() && up->get<std::uint64_t>() > 0 && up->get<std::uint64_t>() < 0xffffff00)
      site.uplink_port = up->get<std::uint32_t>();
    else if (up->is_string() && !up->get<std::string>().empty() && up->get<std::string>().size() < 16)
      site.uplink_name = up->get<std::string>();
    else
      c.error(Checker::join(path, "uplink"), "must be a port number (1..0xfffffeff) or a port name of 1-15 characters");
  }
  if (auto gw = c.parsed<Ipv4Address>(c.field(j, "gateway", path, true), Checker::join(path, "gateway"),
                                      Ipv4Address::parse, "an IPv4 address"))
    site.gateway_ip = *gw;
  if (const json* mac = c.field(j, "gateway_mac", path, false))
    site.gateway_mac = c.parsed<MacAddress>(mac, Checker::join(path, "gateway_mac"), MacAddress::parse, "a MAC address");
  if (const json* ports = c.field(j, "vm_ports", path, false)) {
    std::string ppath = Checker::join(path, "vm_ports");
    if (!ports->is_array()) {
      c.error(ppath, "must be an array of port-name prefixes");
    } else {
      for (std::size_t i = 0; i < ports->size(); ++i)
        if (auto p = c.string(&(*ports)[i], Checker::index(ppath, i))) site.vm_port_prefixes.push_back(*p);
    }
  }
  std::string pool_path = Checker::join(path, "mobile_pool");
  if (const json* pool = c.field(j, "mobile_pool", path, true)) {
    if (!pool->is_array() || pool->empty()) {
      c.error(pool_path, "must be a non-empty array of ranges (\"a.b.c.d-e.f.g.h\") or prefixes (\"a.b.c.d/n\")");
    } else {
      for (std::size_t i = 0; i < pool->size(); ++i) {
        std::string epath = Checker::index(pool_path, i);
        auto s = c.string(&(*pool)[i], epath);
        if (!s) continue;
        std::pair<std::uint32_t, std::uint32_t> sp;
        if (auto r = parse_range(*s)) {
          site.pool_ranges.push_back(*r);
          sp = span_of(*r);
        } else if (auto p = Ipv4Prefix::parse(*s)) {
          site.pool_prefixes.push_back(*p);
          sp = span_of(*p);
        } else {
          c.error(epath, fmt::format("not an address range or prefix: \"{}\"", *s));
          continue;
        }
        if (site.gateway_ip.value >= sp.first && site.gateway_ip.value <= sp.second)
          c.error(epath, "contains the site gateway address");
        if (out.mobility.home_prefix.length > 0 &&
            (out.mobility.home_prefix.contains(Ipv4Address{sp.first}) ||
             out.mobility.home_prefix.contains(Ipv4Address{sp.second})))
          c.error(epath, "overlaps the home prefix");
        pools.push_back({sp.first, sp.second, epath});
      }
    }
  }
  out.site_names.push_back(name.value_or(""));
  out.mobility.sites.push_back(std::move(site));
}

/// mobility.vmn_idle_s, max_vmns_per_port, max_vmns_per_site and move_freeze (docs/MOBILITY.md,
/// "Limits and hygiene").
void parse_limits(Checker& c, const json& mob, vmnmob::mobility::MobilityConfig& out) {
  using std::chrono::seconds;
  // The idle timeout of a flow is 16 bits of seconds (OF 1.3 section 7.3.4.1).
  if (auto idle = c.whole(c.field(mob, "vmn_idle_s", "mobility", false), "mobility.vmn_idle_s", 0, 65535))
    out.vmn_idle = seconds(*idle);
  if (auto n = c.whole(c.field(mob, "max_vmns_per_port", "mobility", false), "mobility.max_vmns_per_port", 0, 65535))
    out.max_vmns_per_port = static_cast<std::uint32_t>(*n);
  if (auto n = c.whole(c.field(mob, "max_vmns_per_site", "mobility", false), "mobility.max_vmns_per_site", 0,
                       0xffffffffu))
    out.max_vmns_per_site = static_cast<std::uint32_t>(*n);
  const json* freeze = c.field(mob, "move_freeze", "mobility", false);
  if (freeze == nullptr || !c.object(*freeze, "mobility.move_freeze", {"moves", "window_s", "freeze_s"})) return;
  const std::string path = "mobility.move_freeze";
  if (auto n = c.whole(c.field(*freeze, "moves", path, false), path + ".moves", 0,
                       vmnmob::mobility::MoveFreeze::kMaxMoves))
    out.move_freeze.moves = static_cast<std::uint32_t>(*n);
  std::optional<std::uint64_t> window = c.whole(c.field(*freeze, "window_s", path, false), path + ".window_s", 1, 86400);
  if (window) out.move_freeze.window = seconds(*window);
  // Unfreezing: RFC 7432 section 15 leaves it to the operator; here a timer, 3 windows unless set.
  if (auto f = c.whole(c.field(*freeze, "freeze_s", path, false), path + ".freeze_s", 1, 7 * 86400))
    out.move_freeze.freeze = seconds(*f);
  else if (window && c.field(*freeze, "freeze_s", path, false) == nullptr)
    out.move_freeze.freeze = 3 * out.move_freeze.window;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view s) {
  Endpoint e;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {  // [::1]:6653
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    e.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) return std::nullopt;
    e.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
    if (!Ipv4Address::parse(e.host)) return std::nullopt;
  }
  if (e.host.empty()) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc{} || p != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
  e.port = static_cast<std::uint16_t>(v);
  return e;
}

std::optional<std::uint64_t> parse_datapath_id(std::string_view s) {
  std::uint64_t v = 0;
  auto whole = [&](std::string_view digits, int base) {
    if (digits.empty()) return false;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    return ec == std::errc{} && p == digits.data() + digits.size();
  };
  if (s.starts_with("0x") || s.starts_with("0X")) return whole(s.substr(2), 16) && s.size() <= 18 ? std::optional(v) : std::nullopt;
  if (s.find(':') != std::string_view::npos) {  // OVS style: 00:00:00:00:00:00:00:0a
    if (s.size() != 23) return std::nullopt;
    std::string hex;
    for (std::size_t i = 0; i < 8; ++i) {
      if (i < 7 && s[i * 3 + 2] != ':') return std::nullopt;
      hex += s.substr(i * 3, 2);
    }
    return whole(hex, 16) ? std::optional(v) : std::nullopt;
  }
  return whole(s, 10) ? std::optional(v) : std::nullopt;
}

std::optional<LogLevel> parse_log_level(std::string_view s) {
  if (s == "debug") return LogLevel::Debug;
  if (s == "info") return LogLevel::Info;
  if (s == "warn" || s == "warning") return LogLevel::Warn;
  if (s == "error") return LogLevel::Error;
  return std::nullopt;
}

vmnmob::Expected<ControllerConfig, ConfigErrors> parse_config(const json& doc) {
  Checker c;
  ControllerConfig out;
  if (!c.object(doc, "", {"openflow", "home", "sites", "mobility", "state_file", "log"}))
    return vmnmob::unexpected(c.errors);

  if (const json* of = c.field(doc, "openflow", "", false); of && c.object(*of, "openflow", {"listen", "connect"})) {
    if (auto l = c.parsed<Endpoint>(c.field(*of, "listen", "openflow", false), "openflow.listen",
                                    parse_endpoint, "an ADDR:PORT endpoint"))
      out.listen = *l;
    if (const json* conn = c.field(*of, "connect", "openflow", false)) {
      if (!conn->is_array()) c.error("openflow.connect", "must be an array of ADDR:PORT endpoints");
      else
        for (std::size_t i = 0; i < conn->size(); ++i)
          if (auto e = c.parsed<Endpoint>(&(*conn)[i], Checker::index("openflow.connect", i), parse_endpoint,
                                          "an ADDR:PORT endpoint"))
            out.connect.push_back(*e);
    }
  }

  if (const json* home = c.field(doc, "home", "", true);
      home && c.object(*home, "home", {"prefix", "gateway", "virtual_gateway_mac"})) {
    if (auto p = c.parsed<Ipv4Prefix>(c.field(*home, "prefix", "home", true), "home.prefix", Ipv4Prefix::parse,
                                      "an IPv4 prefix"))
      out.mobility.home_prefix = *p;
    if (auto g = c.parsed<Ipv4Address>(c.field(*home, "gateway", "home", true), "home.gateway",
                                       Ipv4Address::parse, "an IPv4 address")) {
      out.mobility.home_gateway = *g;
      if (out.mobility.home_prefix.length > 0 && !out.mobility.home_prefix.contains(*g))
        c.error("home.gateway", "is not inside home.prefix");
    }
    if (const json* vmac = c.field(*home, "virtual_gateway_mac", "home", false))
      if (auto m = c.parsed<MacAddress>(vmac, "home.virtual_gateway_mac", MacAddress::parse, "a MAC address"))
        out.mobility.virtual_gateway_mac = *m;
  }

  std::vector<PoolSpan> pools;
  if (const json* sites = c.field(doc, "sites", "", true)) {
    if (!sites->is_array() || sites->empty()) {
      c.error("sites", "must be a non-empty array");
    } else {
      for (std::size_t i = 0; i < sites->size(); ++i) parse_site(c, (*sites)[i], Checker::index("sites", i), out, pools);
      std::set<std::string> names;
      std::set<std::uint64_t> dpids;
      for (std::size_t i = 0; i < out.mobility.sites.size(); ++i) {
        if (!out.site_names[i].empty() && !names.insert(out.site_names[i]).second)
          c.error(Checker::index("sites", i) + ".name", fmt::format("duplicate site name \"{}\"", out.site_names[i]));
        if (out.mobility.sites[i].datapath_id != 0 && !dpids.insert(out.mobility.sites[i].datapath_id).second)
          c.error(Checker::index("sites", i) + ".dpid", "duplicate datapath id");
      }
      std::sort(pools.begin(), pools.end(), [](const PoolSpan& a, const PoolSpan& b) { return a.lo < b.lo; });
      for (std::size_t i = 1; i < pools.size(); ++i)
        if (pools[i].lo <= pools[i - 1].hi) c.error(pools[i].path, fmt::format("overlaps {}", pools[i - 1].path));
    }
  }

  // vmnctl-ofc expires idle VMNs by default (the library's default is never): a deployment
  // deletes VMs without telling the controller, and each would keep its MoA forever.
  out.mobility.vmn_idle = std::chrono::seconds(3600);
  if (const json* mob = c.field(doc, "mobility", "", false);
      mob && c.object(*mob, "mobility", {"moa_hold_s", "probe_timeout_s", "make_before_break", "vmn_idle_s",
                                         "max_vmns_per_port", "max_vmns_per_site", "move_freeze"})) {
    if (auto h = c.number(c.field(*mob, "moa_hold_s", "mobility", false), "mobility.moa_hold_s", 0, 86400))
      out.mobility.hold_time = std::chrono::duration_cast<vmnmob::Duration>(std::chrono::duration<double>(*h));
    if (auto t = c.number(c.field(*mob, "probe_timeout_s", "mobility", false), "mobility.probe_timeout_s", 0.01, 3600))
      out.mobility.probe_timeout = std::chrono::duration_cast<vmnmob::Duration>(std::chrono::duration<double>(*t));
    if (const json* order = c.field(*mob, "make_before_break", "mobility", false)) {
      if (*order == "switch")
        out.make_before_break = BreakOrder::Switch;
      else if (*order == "network")
        out.make_before_break = BreakOrder::Network;
      else
        c.error("mobility.make_before_break", "must be \"switch\" or \"network\"");
    }
    parse_limits(c, *mob, out.mobility);
  }

  if (const json* sf = c.field(doc, "state_file", "", false))
    if (auto s = c.string(sf, "state_file")) {
      if (s->empty()) c.error("state_file", "must not be empty");
      else out.state_file = *s;
    }

  if (const json* log = c.field(doc, "log", "", false); log && c.object(*log, "log", {"level", "format"})) {
    if (auto l = c.parsed<LogLevel>(c.field(*log, "level", "log", false), "log.level", parse_log_level,
                                    "one of debug, info, warn, error"))
      out.log_level = *l;
    if (auto f = c.string(c.field(*log, "format", "log", false), "log.format")) {
      if (*f == "text") out.log_format = LogFormat::Text;
      else if (*f == "json") out.log_format = LogFormat::Json;
      else c.error("log.format", "must be \"text\" or \"json\"");
    }
  }

  if (!c.errors.empty()) return vmnmob::unexpected(c.errors);
  return out;
}

vmnmob::Expected<ControllerConfig, ConfigErrors> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return vmnmob::unexpected(ConfigErrors{fmt::format("{}: cannot open", path)});
  std::stringstream ss;
  ss << in.rdbuf();
  json doc;
  try {  // configuration is not the wire path: nlohmann's exception carries the position
    doc = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    return vmnmob::unexpected(ConfigErrors{fmt::format("{}: invalid JSON at byte {}: {}", path, e.byte, e.what())});
  }
  return parse_config(doc);
}

}  // namespace vmnctl
