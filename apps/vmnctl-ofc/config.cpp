#include "config.hpp"

#include <algorithm>
#include <cctype>
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

/// Where the parsed sites and their pool entries are in the file, so the library's validation
/// (vmnmob::mobility::check_config) names them by their JSON paths.
struct SitePlaces {
  std::size_t index = 0;                 // sites[index]
  std::vector<std::size_t> range_entry;  // pool_ranges[k] is mobile_pool[range_entry[k]]
  std::vector<std::size_t> prefix_entry;
};

void parse_site(Checker& c, const json& j, const std::string& path, ControllerConfig& out, SitePlaces& places) {
  if (!c.object(j, path, {"name", "dpid", "uplink", "gateway", "gateway_mac", "mobile_pool", "vm_ports",
                          "certificate", "allowed_peers"}))
    return;
  SiteConfig site;
  SiteAccess access;
  if (auto cert = c.string(c.field(j, "certificate", path, false), Checker::join(path, "certificate"))) {
    std::string cpath = Checker::join(path, "certificate");
    access.certificate = *cert;
    std::string_view v = *cert;
    if (v.starts_with("sha256:")) {
      for (char ch : v.substr(7)) {
        if (ch == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(ch))) {
          access.fingerprint.clear();
          break;
        }
        access.fingerprint += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      if (access.fingerprint.size() != 64)
        c.error(cpath, "not a SHA-256 fingerprint (\"sha256:\" and 64 hex digits, colons optional)");
    } else if (v.starts_with("subject:")) {
      std::string_view rest = v.substr(8);
      while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string_view part = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        auto eq = part.find('=');
        if (eq == 0 || eq == std::string_view::npos || eq + 1 == part.size()) {
          access.subject.clear();
          break;
        }
        access.subject.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
      }
      if (access.subject.empty())
        c.error(cpath, "not a subject (\"subject:\" and KEY=VALUE parts separated by commas, e.g. \"subject:CN=site-a\")");
    } else {
      c.error(cpath, "must be \"sha256:<fingerprint>\" or \"subject:<KEY=VALUE,...>\"");
    }
  }
  if (const json* peers = c.field(j, "allowed_peers", path, false)) {
    std::string ppath = Checker::join(path, "allowed_peers");
    if (!peers->is_array()) {
      c.error(ppath, "must be an array of IPv4/IPv6 networks (\"10.0.0.0/8\", \"fd00::/8\")");
    } else {
      for (std::size_t i = 0; i < peers->size(); ++i)
        if (auto n = c.parsed<PeerNetwork>(&(*peers)[i], Checker::index(ppath, i), parse_peer_network,
                                           "an IPv4 or IPv6 network (ADDR/LENGTH or ADDR)")) {
          access.allowed_peers.push_back(*n);
          access.allowed_peers_text.push_back((*peers)[i].get<std::string>());
        }
    }
  }
  auto name = c.string(c.field(j, "name", path, true), Checker::join(path, "name"));
  if (auto dpid = c.parsed<std::uint64_t>(c.field(j, "dpid", path, true), Checker::join(path, "dpid"),
                                          parse_datapath_id, "a datapath id (0x-hex, colon-separated hex or decimal)"))
    site.datapath_id = *dpid;
  if (const json* up = c.field(j, "uplink", path, true)) {
    const std::string upath = Checker::join(path, "uplink");
    auto digits_only = [](const std::string& v) {
      return std::all_of(v.begin(), v.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; });
    };
    if (up->is_number_unsigned() && up->get<std::uint64_t>() > 0 && up->get<std::uint64_t>() <= 0xffffff00)
      site.uplink_port = up->get<std::uint32_t>();
    else if (up->is_string() && digits_only(up->get<std::string>()) && !up->get<std::string>().empty())
      // "70000": a number in quotes, or a port named so? Neither guess is safe.
      c.error(upath, fmt::format("\"{}\" is a port name of digits only: write a port number as a JSON number "
                                 "(1..0xffffff00)", up->get<std::string>()));
    else if (up->is_string() && !up->get<std::string>().empty() && up->get<std::string>().size() < 16)
      site.uplink_name = up->get<std::string>();
    else
      c.error(upath, "must be a port number (1..0xffffff00) or a port name of 1-15 characters");
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
        // Overlaps (with the home prefix, its gateway, the site gateway, other sites' pools) are
        // the library's validation's (parse_config).
        if (auto r = parse_range(*s)) {
          site.pool_ranges.push_back(*r);
          places.range_entry.push_back(i);
        } else if (auto p = Ipv4Prefix::parse(*s)) {
          site.pool_prefixes.push_back(*p);
          places.prefix_entry.push_back(i);
        } else {
          c.error(epath, fmt::format("not an address range or prefix: \"{}\"", *s));
        }
      }
    }
  }
  out.site_names.push_back(name.value_or(""));
  out.site_access.push_back(std::move(access));
  out.mobility.sites.push_back(std::move(site));
}

void parse_rate(Checker& c, const json& limits, std::string_view key, vmnmob::mobility::Rate& out) {
  const std::string path = Checker::join("limits", key);
  const json* j = c.field(limits, key, "limits", false);
  if (!j || !c.object(*j, path, {"rate", "burst"})) return;
  auto rate = c.number(c.field(*j, "rate", path, true), Checker::join(path, "rate"), 0, 1e7);
  auto burst = c.number(c.field(*j, "burst", path, true), Checker::join(path, "burst"), 0, 1e7);
  if (!rate || !burst) return;
  if (*rate > 0 && *burst < 1) {
    c.error(Checker::join(path, "burst"), "must be at least 1 when rate is set (0 rate: no limit)");
    return;
  }
  out = {*rate, *burst};
}

void parse_limits(Checker& c, const json& j, LimitsConfig& out) {
  if (!c.object(j, "limits",
                {"connections_per_address", "connections_total", "handshake_timeout_s", "packet_in_per_switch",
                 "packet_in_per_port", "announce_per_switch", "switch_meters"}))
    return;
  if (auto n = c.number(c.field(j, "connections_per_address", "limits", false), "limits.connections_per_address", 0, 1e6)) {
    if (*n != static_cast<double>(static_cast<std::size_t>(*n))) c.error("limits.connections_per_address", "must be a whole number");
    else out.connections_per_address = static_cast<std::size_t>(*n);
  }
  if (auto n = c.number(c.field(j, "connections_total", "limits", false), "limits.connections_total", 0, 1e6)) {
    if (*n != static_cast<double>(static_cast<std::size_t>(*n))) c.error("limits.connections_total", "must be a whole number");
    else out.connections_total = static_cast<std::size_t>(*n);
  }
  if (auto t = c.number(c.field(j, "handshake_timeout_s", "limits", false), "limits.handshake_timeout_s", 0.1, 3600))
    out.handshake_timeout = std::chrono::duration_cast<vmnmob::Duration>(std::chrono::duration<double>(*t));
  parse_rate(c, j, "packet_in_per_switch", out.packet_in.per_switch);
  parse_rate(c, j, "packet_in_per_port", out.packet_in.per_port);
  parse_rate(c, j, "announce_per_switch", out.packet_in.announce_per_switch);
  if (const json* m = c.field(j, "switch_meters", "limits", false)) {
    if (!m->is_boolean()) c.error("limits.switch_meters", "must be true or false");
    else out.switch_meters = m->get<bool>();
  }
  if (out.switch_meters && (out.packet_in.per_switch.per_second < 1 || out.packet_in.announce_per_switch.per_second < 1))
    c.error("limits.switch_meters",
            "needs limits.packet_in_per_switch.rate and limits.announce_per_switch.rate of at least 1 (the meters' rates)");
}

/// mobility.vmn_idle_s, max_vmns_per_port, max_vmns_per_site and move_freeze (docs/MOBILITY.md,
/// "Limits and hygiene").
void parse_mobility_limits(Checker& c, const json& mob, vmnmob::mobility::MobilityConfig& out) {
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

/// The library's validation of the engine's configuration (overlapping pools, a home prefix of
/// 0.0.0.0/0, dpid 0, ...), named by the file's keys. A problem about a field that did not parse
/// (so holds a default, e.g. dpid 0) is left out: the parse error already names that field.
void check_mobility(Checker& c, const vmnmob::mobility::MobilityConfig& mobility, const std::vector<SitePlaces>& places) {
  using vmnmob::mobility::ConfigField;
  using Kind = ConfigField::Kind;
  auto name = [&places](const ConfigField& f) -> std::string {
    const std::size_t site = f.site < places.size() ? places[f.site].index : f.site;
    const std::string s = Checker::index("sites", site);
    switch (f.kind) {
      case Kind::HomePrefix: return "home.prefix";
      case Kind::HomeGateway: return "home.gateway";
      case Kind::DatapathId: return s + ".dpid";
      case Kind::Uplink: return s + ".uplink";
      case Kind::SiteGateway: return s + ".gateway";
      case Kind::Pool: return s + ".mobile_pool";
      case Kind::PoolRange:
      case Kind::PoolPrefix: {
        if (f.site >= places.size()) break;
        const auto& entries = f.kind == Kind::PoolRange ? places[f.site].range_entry : places[f.site].prefix_entry;
        if (f.entry < entries.size()) return Checker::index(s + ".mobile_pool", entries[f.entry]);
        break;
      }
      case Kind::HoldTime: return "mobility.moa_hold_s";
      case Kind::ProbeTimeout: return "mobility.probe_timeout_s";
      case Kind::VmnIdle: return "mobility.vmn_idle_s";
      case Kind::MoveFreeze: return "mobility.move_freeze";
      case Kind::SwitchMeters: return "limits.switch_meters";
      default: break;
    }
    return vmnmob::mobility::to_string(f);
  };
  std::set<std::string> unparsed;  // the paths that already have an error
  for (const std::string& e : c.errors) unparsed.insert(e.substr(0, e.find(": ")));
  for (const auto& problem : vmnmob::mobility::check_config(mobility, name)) {
    const bool follows = std::any_of(problem.fields.begin(), problem.fields.end(), [&](const ConfigField& f) {
      const std::string path = name(f);
      // A field, or a whole section, that did not parse ("home.prefix", "home", "sites[1]").
      for (const std::string& u : unparsed)
        if (path == u || path.starts_with(u + ".") || path.starts_with(u + "[")) return true;
      return false;
    });
    if (!follows) c.errors.push_back(problem.message);
  }
}

}  // namespace

std::optional<NorthboundConfig> parse_northbound(const json& j, std::vector<std::string>& errors) {
  const auto before = errors.size();
  if (!j.is_object()) {
    errors.push_back("northbound: must be an object");
    return std::nullopt;
  }
  for (const auto& [key, value] : j.items())
    if (key != "listen" && key != "token") errors.push_back(fmt::format("northbound.{}: unknown key", key));
  NorthboundConfig out;
  if (auto it = j.find("listen"); it != j.end()) {
    const auto e = it->is_string() ? parse_endpoint(it->get<std::string>()) : std::nullopt;
    if (!it->is_string())
      errors.push_back("northbound.listen: must be a string");
    else if (!e)
      errors.push_back(fmt::format("northbound.listen: not an ADDR:PORT endpoint (IPv6 as [ADDR]:PORT): \"{}\"",
                                   it->get<std::string>()));
    else if (e->transport != Transport::Tcp)
      errors.push_back("northbound.listen: TLS is not available for the API yet; use a loopback address");
    else {
      out.host = e->host;
      out.port = e->port;
    }
  }
  if (auto it = j.find("token"); it != j.end()) {
    if (!it->is_string()) errors.push_back("northbound.token: must be a string");
    else if (it->get<std::string>().size() < 16) errors.push_back("northbound.token: must be at least 16 characters");
    else if (it->get<std::string>().find_first_of(" \t\r\n") != std::string::npos)
      errors.push_back("northbound.token: must not contain white space");
    else out.token = it->get<std::string>();
  }
  if (errors.size() != before) return std::nullopt;
  return out;
}

std::string Endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}:{}{}{}:{}", vmnmob::connection::to_string(transport), v6 ? "[" : "", host, v6 ? "]" : "", port);
}

bool PeerNetwork::contains(const boost::asio::ip::address& a) const {
  if (a.is_v4() != network.is_v4()) return false;
  auto compare = [&](const auto& x, const auto& y) {
    unsigned bits = prefix_length;
    for (std::size_t i = 0; i < x.size() && bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
      unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
      if ((x[i] & mask) != (y[i] & mask)) return false;
    }
    return true;
  };
  return a.is_v4() ? compare(a.to_v4().to_bytes(), network.to_v4().to_bytes())
                   : compare(a.to_v6().to_bytes(), network.to_v6().to_bytes());
}

std::optional<PeerNetwork> parse_peer_network(std::string_view s) {
  auto slash = s.find('/');
  boost::system::error_code ec;
  PeerNetwork n;
  n.network = boost::asio::ip::make_address(std::string(s.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  const unsigned max = n.network.is_v4() ? 32 : 128;
  n.prefix_length = max;
  if (slash != std::string_view::npos) {
    auto digits = s.substr(slash + 1);
    auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n.prefix_length);
    if (err != std::errc{} || p != digits.data() + digits.size() || digits.empty() || n.prefix_length > max)
      return std::nullopt;
  }
  return n;
}

vmnmob::connection::Admission admit_switch(const ControllerConfig& config,
                                           const vmnmob::connection::AdmissionRequest& request) {
  using vmnmob::connection::Admission;
  const auto& sites = config.mobility.sites;
  auto it = std::find_if(sites.begin(), sites.end(),
                         [&](const SiteConfig& s) { return s.datapath_id == request.datapath_id; });
  if (it == sites.end()) return Admission::refuse("unknown datapath id (no site has it)");
  const std::size_t i = static_cast<std::size_t>(it - sites.begin());
  const SiteAccess& access = config.site_access[i];
  const std::string site = fmt::format("sites[{}] ({})", i, config.site_names[i]);
  if (!access.allowed_peers.empty()) {
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(request.peer_address, ec);
    bool allowed = !ec && std::any_of(access.allowed_peers.begin(), access.allowed_peers.end(),
                                      [&](const PeerNetwork& n) { return n.contains(address); });
    if (!allowed)
      return Admission::refuse(fmt::format("peer address {} is not in {}.allowed_peers", request.peer_address, site));
  }
  if (access.certificate.empty()) return Admission::accept();
  if (request.certificate == nullptr)
    return Admission::refuse(fmt::format("{}.certificate is set but the connection is plain TCP", site));
  const auto& cert = *request.certificate;
  if (!access.fingerprint.empty()) {
    std::string got;
    for (char ch : cert.sha256_fingerprint)
      if (ch != ':') got += ch;
    if (got != access.fingerprint)
      return Admission::refuse(fmt::format("certificate sha256:{} (subject {}) is not {}.certificate", cert.sha256_fingerprint,
                                           cert.subject, site));
    return Admission::accept();
  }
  // Subject: every KEY=VALUE of the binding must be a part of the certificate's RFC 2253 subject.
  std::vector<std::pair<std::string, std::string>> parts;
  std::string_view rest = cert.subject;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos) parts.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
  }
  auto same_key = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
           });
  };
  for (const auto& binding : access.subject) {  // no structured binding: clang 14 cannot capture one
    bool found = std::any_of(parts.begin(), parts.end(), [&](const auto& p) {
      return same_key(p.first, binding.first) && p.second == binding.second;
    });
    if (!found)
      return Admission::refuse(fmt::format("certificate subject \"{}\" does not match {}.certificate", cert.subject, site));
  }
  return Admission::accept();
}

std::optional<Endpoint> parse_endpoint(std::string_view s) {
  Endpoint e;
  if (s.starts_with("ssl:")) {
    e.transport = Transport::Tls;
    s.remove_prefix(4);
  } else if (s.starts_with("tcp:")) {
    s.remove_prefix(4);
  }
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
  if (!c.object(doc, "", {"openflow", "home", "sites", "mobility", "limits", "state_file", "log", "northbound"}))
    return vmnmob::unexpected(c.errors);

  if (const json* of = c.field(doc, "openflow", "", false);
      of && c.object(*of, "openflow", {"listen", "connect", "tls"})) {
    if (auto l = c.parsed<Endpoint>(c.field(*of, "listen", "openflow", false), "openflow.listen",
                                    parse_endpoint, "an ADDR:PORT endpoint"))
      out.listen = *l;
    if (const json* tls = c.field(*of, "tls", "openflow", false);
        tls && c.object(*tls, "openflow.tls", {"certificate", "private_key", "ca_certificate"})) {
      vmnmob::connection::TlsOptions t;
      auto cert = c.string(c.field(*tls, "certificate", "openflow.tls", true), "openflow.tls.certificate");
      auto key = c.string(c.field(*tls, "private_key", "openflow.tls", true), "openflow.tls.private_key");
      auto ca = c.string(c.field(*tls, "ca_certificate", "openflow.tls", true), "openflow.tls.ca_certificate");
      if (cert && key && ca) {
        t = {*cert, *key, *ca};
        // The files are loaded now, so --check-config and a reload catch what start would.
        if (auto loaded = vmnmob::connection::check_tls(t); !loaded) c.errors.push_back("openflow.tls." + loaded.error());
        out.tls = t;
      }
    }
    if (const json* conn = c.field(*of, "connect", "openflow", false)) {
      if (!conn->is_array()) c.error("openflow.connect", "must be an array of ADDR:PORT endpoints");
      else
        for (std::size_t i = 0; i < conn->size(); ++i)
          if (auto e = c.parsed<Endpoint>(&(*conn)[i], Checker::index("openflow.connect", i), parse_endpoint,
                                          "an ADDR:PORT endpoint"))
            out.connect.push_back(*e);
    }
    if (!out.tls && out.listen.transport == Transport::Tls && !c.field(*of, "tls", "openflow", false))
      c.error("openflow.listen", "ssl: needs openflow.tls");
    for (std::size_t i = 0; i < out.connect.size(); ++i)
      if (!out.tls && out.connect[i].transport == Transport::Tls && !c.field(*of, "tls", "openflow", false))
        c.error(Checker::index("openflow.connect", i), "ssl: needs openflow.tls");
  }

  if (const json* home = c.field(doc, "home", "", true);
      home && c.object(*home, "home", {"prefix", "gateway", "virtual_gateway_mac"})) {
    if (auto p = c.parsed<Ipv4Prefix>(c.field(*home, "prefix", "home", true), "home.prefix", Ipv4Prefix::parse,
                                      "an IPv4 prefix"))
      out.mobility.home_prefix = *p;
    if (auto g = c.parsed<Ipv4Address>(c.field(*home, "gateway", "home", true), "home.gateway",
                                       Ipv4Address::parse, "an IPv4 address"))
      out.mobility.home_gateway = *g;
    if (const json* vmac = c.field(*home, "virtual_gateway_mac", "home", false))
      if (auto m = c.parsed<MacAddress>(vmac, "home.virtual_gateway_mac", MacAddress::parse, "a MAC address"))
        out.mobility.virtual_gateway_mac = *m;
  }

  std::vector<SitePlaces> places;  // parallel to out.mobility.sites
  if (const json* sites = c.field(doc, "sites", "", true)) {
    if (!sites->is_array() || sites->empty()) {
      c.error("sites", "must be a non-empty array");
    } else {
      for (std::size_t i = 0; i < sites->size(); ++i) {
        SitePlaces at{i, {}, {}};
        const std::size_t before = out.mobility.sites.size();
        parse_site(c, (*sites)[i], Checker::index("sites", i), out, at);
        if (out.mobility.sites.size() > before) places.push_back(std::move(at));
      }
      std::set<std::string> names;
      for (std::size_t i = 0; i < out.mobility.sites.size(); ++i) {
        if (!out.site_names[i].empty() && !names.insert(out.site_names[i]).second)
          c.error(Checker::index("sites", places[i].index) + ".name",
                  fmt::format("duplicate site name \"{}\"", out.site_names[i]));
      }
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
    parse_mobility_limits(c, *mob, out.mobility);
  }

  if (const json* limits = c.field(doc, "limits", "", false)) parse_limits(c, *limits, out.limits);
  if (out.limits.switch_meters) {
    // The switch's meters take the controller's per-switch rates (packets per second, rounded).
    auto& m = out.mobility.switch_meters;
    const auto& p = out.limits.packet_in;
    m.enabled = true;
    m.arp_rate = static_cast<std::uint32_t>(p.per_switch.per_second + 0.5);
    m.arp_burst = static_cast<std::uint32_t>(p.per_switch.burst + 0.5);
    m.announce_rate = static_cast<std::uint32_t>(p.announce_per_switch.per_second + 0.5);
    m.announce_burst = static_cast<std::uint32_t>(p.announce_per_switch.burst + 0.5);
  }

  if (const json* sf = c.field(doc, "state_file", "", false))
    if (auto s = c.string(sf, "state_file")) {
      if (s->empty()) c.error("state_file", "must not be empty");
      else out.state_file = *s;
    }

  if (const json* log = c.field(doc, "log", "", false); log && c.object(*log, "log", {"level", "format", "lines_per_second"})) {
    if (auto l = c.parsed<LogLevel>(c.field(*log, "level", "log", false), "log.level", parse_log_level,
                                    "one of debug, info, warn, error"))
      out.log_level = *l;
    if (auto f = c.string(c.field(*log, "format", "log", false), "log.format")) {
      if (*f == "text") out.log_format = LogFormat::Text;
      else if (*f == "json") out.log_format = LogFormat::Json;
      else c.error("log.format", "must be \"text\" or \"json\"");
    }
    if (auto n = c.number(c.field(*log, "lines_per_second", "log", false), "log.lines_per_second", 0, 1e6)) {
      if (*n != static_cast<double>(static_cast<std::uint32_t>(*n))) c.error("log.lines_per_second", "must be a whole number");
      else out.log_lines_per_second = static_cast<std::uint32_t>(*n);
    }
  }

  check_mobility(c, out.mobility, places);
  if (const json* nb = c.field(doc, "northbound", "", false)) out.northbound = parse_northbound(*nb, c.errors);
  if (!c.errors.empty()) return vmnmob::unexpected(c.errors);
  out.document = std::make_shared<const json>(doc);
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
