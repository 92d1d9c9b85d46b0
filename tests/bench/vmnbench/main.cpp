// vmnbench: an OpenFlow 1.3 switch emulator that loads a controller with ARP and RARP
// packet-ins from emulated VMs and checks what comes back (cbench for OpenFlow 1.3 and the
// mobility use case). See docs/BENCHMARKS.md and tests/bench/run.sh.
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "bench.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: vmnbench MODE [options]
       vmnbench --write-config FILE [MODE] [options]

Emulates N OpenFlow 1.3 switches with VMs behind them and loads a controller with ARP requests
(from VMs for the home gateway or for another VMN) and RARP announces (migrations), checking
every answer.

modes:
  throughput   W questions outstanding per switch; answers/s per second (median), like cbench -t
  latency      one switch, one question outstanding; round trip p50/p99/p999 in us
  migration    VM 0 with C correspondents over S switches moves; time from its RARP leaving the
               switch to the last FLOW_MOD on any switch (decided by quiescence: --quiet-ms)
  scale        K switches at once (time to all up), then V VMNs registered by ARP; with
               --controller-pid the controller's VmRSS per switch and per VMN
  reconnect    the first switch, with its VMs registered, disconnects and reconnects: time
               until the controller's flow-mods stop

options:
  --controller HOST:PORT   controller address (127.0.0.1:6653)
  --target NAME            label for the output (controller)
  --switches N             emulated switches (16; latency: 1)
  --vms-per-switch V       VMs behind each switch (100)
  --window W               questions outstanding per switch (64; latency: 1)
  --duration S             measured seconds (10)     --warmup S   unmeasured seconds first (1)
  --mix arp=A,peer=P,rarp=R  question kinds in percent (arp=100)
  --expect any-packet-out  count any PACKET_OUT as the answer (baselines that do not compute ARP)
  --packet-in-reason R     action (default: the controllers' ARP flows) or no-match (table-miss;
                           ovs-testcontroller ignores every other reason)
  --timeout-ms MS          a question unanswered this long is a timeout, not wrong (1000)
  --quiet-ms MS            a phase ends after this long without a FLOW_MOD (30)
  --correspondents C --spread S --trials R   migration (10, 1, 10; reconnect uses --trials too)
  --vmns V                 scale: VMNs to register (100000)
  --controller-pid PID     read the controller's VmRSS and CPU time from /proc
  --json                   print one JSON object instead of the summary
  --write-config FILE      write a vmnctl-ofc configuration matching these options and exit
)";

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    try {
      std::size_t used = 0;
      out = static_cast<T>(std::stod(std::string(s), &used));
      return used == s.size();
    } catch (...) {
      return false;
    }
  } else {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
  }
}

}  // namespace

int main(int argc, char** argv) {
  vmnbench::Options o;
  std::optional<std::string> write_config;
  bool switches_given = false, window_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto need = [&]() -> std::optional<std::string_view> {
      if (!value) {
        fmt::print(stderr, "vmnbench: {} needs a value\n", a);
        return std::nullopt;
      }
      ++i;
      return std::string_view(value);
    };
    auto number = [&](auto& into) {
      auto v = need();
      if (!v) return false;
      if (!parse_number(*v, into)) {
        fmt::print(stderr, "vmnbench: {}: not a number: {}\n", a, *v);
        return false;
      }
      return true;
    };
    bool ok = true;
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "throughput") o.mode = vmnbench::Mode::Throughput;
    else if (a == "latency") o.mode = vmnbench::Mode::Latency;
    else if (a == "migration") o.mode = vmnbench::Mode::Migration;
    else if (a == "scale") o.mode = vmnbench::Mode::Scale;
    else if (a == "reconnect") o.mode = vmnbench::Mode::Reconnect;
    else if (a == "--controller") {
      auto v = need();
      const auto colon = v ? v->rfind(':') : std::string_view::npos;
      ok = colon != std::string_view::npos && parse_number(v->substr(colon + 1), o.port);
      if (ok) o.host = std::string(v->substr(0, colon));
      else fmt::print(stderr, "vmnbench: --controller: expected HOST:PORT\n");
    } else if (a == "--target") {
      auto v = need();
      ok = v.has_value();
      if (ok) o.target = std::string(*v);
    } else if (a == "--switches") ok = switches_given = number(o.switches);
    else if (a == "--vms-per-switch") ok = number(o.vms_per_switch);
    else if (a == "--window") ok = window_given = number(o.window);
    else if (a == "--duration") ok = number(o.duration_s);
    else if (a == "--warmup") ok = number(o.warmup_s);
    else if (a == "--timeout-ms") ok = number(o.timeout_ms);
    else if (a == "--quiet-ms") ok = number(o.quiet_ms);
    else if (a == "--correspondents") ok = number(o.correspondents);
    else if (a == "--spread") ok = number(o.spread);
    else if (a == "--trials") ok = number(o.trials);
    else if (a == "--vmns") ok = number(o.vmns);
    else if (a == "--controller-pid") ok = number(o.controller_pid);
    else if (a == "--json") o.json = true;
    else if (a == "--packet-in-reason") {
      auto v = need();
      ok = v && (*v == "action" || *v == "no-match");
      if (ok) o.packet_in_no_match = *v == "no-match";
      else fmt::print(stderr, "vmnbench: --packet-in-reason: action or no-match\n");
    }
    else if (a == "--mix") {
      auto v = need();
      auto mix = v ? vmnbench::parse_mix(*v) : vmnmob::unexpected(std::string("missing"));
      if (mix) o.mix = *mix;
      else fmt::print(stderr, "vmnbench: --mix: {}\n", mix.error());
      ok = mix.has_value();
    } else if (a == "--expect") {
      auto v = need();
      ok = v && (*v == "any-packet-out" || *v == "mobility");
      if (ok) o.expect_any_packet_out = *v == "any-packet-out";
      else fmt::print(stderr, "vmnbench: --expect: any-packet-out or mobility\n");
    } else if (a == "--write-config") {
      auto v = need();
      ok = v.has_value();
      if (ok) write_config = std::string(*v);
    } else {
      fmt::print(stderr, "vmnbench: unknown argument '{}' (see --help)\n", a);
      ok = false;
    }
    if (!ok) return 2;
  }
  if (o.mode == vmnbench::Mode::Latency) {
    if (!switches_given) o.switches = 1;
    if (!window_given) o.window = 1;
  }
  if (o.switches == 0 || o.window == 0) {
    fmt::print(stderr, "vmnbench: --switches and --window must be at least 1\n");
    return 2;
  }

  if (write_config) {
    const vmnbench::NetworkPlan plan = vmnbench::plan_for(o);
    if (auto ok = plan.check(); !ok) {
      fmt::print(stderr, "vmnbench: {}\n", ok.error());
      return 2;
    }
    std::ofstream file(*write_config);
    file << vmnbench::controller_config(plan, fmt::format("{}:{}", o.host, o.port)).dump(2) << "\n";
    if (!file) {
      fmt::print(stderr, "vmnbench: cannot write {}\n", *write_config);
      return 1;
    }
    return 0;
  }

  const vmnbench::RunResult r = vmnbench::run_bench(o);
  if (o.json) fmt::print("{}\n", r.json.dump());
  return r.ok ? 0 : 1;
}
