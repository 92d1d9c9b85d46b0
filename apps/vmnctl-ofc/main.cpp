// vmnctl-ofc: the bundled mobility controller. Argument handling, signals and wiring only;
// the work is in libvmnmob (connection manager + mobility engine), see app.hpp and vmnmob/controller.
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "config.hpp"
#include "app.hpp"
#include "log.hpp"
#include "northbound.hpp"
#include "show_flows.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: vmnctl-ofc --config FILE [options]
       vmnctl-ofc --check-config FILE
       vmnctl-ofc --config FILE --show-flows
       vmnctl-ofc --config FILE --show-state

OpenFlow 1.3 controller that keeps VM sessions alive across live migration between IP
networks by rewriting home <-> mobile addresses at the edge Open vSwitch.

options:
  --config FILE        run with this JSON configuration (see README.md)
  --check-config FILE  validate FILE, print every problem as "path: reason", exit 0 or 1
  --show-flows         with --config: print the flows the engine believes each switch holds,
                       from the file and its state_file (no network), one "# SITE dp 0x.."
                       section per site, one canonical line per flow (tests compare them with
                       ovs-ofctl dump-flows through tests/e2e/lib/flow_canon.py)
  --show-state         with --config: print the state a start would begin from (state_file
                       with its journal merged, checked against the file) as one JSON line
  --listen [ssl:|tcp:]ADDR:PORT
                       listen for switches here (overrides openflow.listen); ssl: needs
                       openflow.tls in the file; IPv6 as [ADDR]:PORT
  --log-level LEVEL    debug, info, warn or error (overrides log.level)
  --log-format FORMAT  text or json (overrides log.format)
  --version            print the version and exit
  --help               print this help and exit

signals: SIGTERM/SIGINT stop cleanly (the state file is written); SIGHUP reloads the
configuration file: the log level changes and mobile pools grow live; any other change
(a pool losing an address, sites, dpid, uplink, gateway, home, listen, openflow.tls,
sites[].certificate, sites[].allowed_peers, ...) refuses the whole reload with a message
naming it, and nothing changes.

switches: only configured datapath ids are admitted; sites[].certificate binds a site to a
TLS certificate ("sha256:AB:CD:..." or "subject:CN=..."), sites[].allowed_peers to source
networks. A refused switch is closed and logged (switch-refused); it replaces nothing.
)";

int fail_config(const vmnctl::ConfigErrors& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> config_path, check_path, listen, log_level, log_format;
  bool show = false;        // --show-flows
  bool show_saved = false;  // --show-state
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::optional<std::string>& into) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "vmnctl-ofc: %s needs a value\n", argv[i]);
        return false;
      }
      into = argv[++i];
      return true;
    };
    bool ok = true;
    if (a == "--version") {
      std::puts("vmnctl-ofc 0.1.0 (libvmnmob, OpenFlow 1.3)");
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage.data(), stdout);
      return 0;
    } else if (a == "--config") {
      ok = value(config_path);
    } else if (a == "--check-config") {
      ok = value(check_path);
    } else if (a == "--show-flows") {
      show = true;
    } else if (a == "--show-state") {
      show_saved = true;
    } else if (a == "--listen") {
      ok = value(listen);
    } else if (a == "--log-level") {
      ok = value(log_level);
    } else if (a == "--log-format") {
      ok = value(log_format);
    } else {
      std::fprintf(stderr, "vmnctl-ofc: unknown argument '%s' (see --help)\n", argv[i]);
      ok = false;
    }
    if (!ok) return 2;
  }

  if (check_path) {
    auto cfg = vmnctl::load_config(*check_path);
    if (!cfg) return fail_config(cfg.error());
    std::printf("%s: OK (%zu sites)\n", check_path->c_str(), cfg->mobility.sites.size());
    return 0;
  }
  if (!config_path) {
    std::fputs(kUsage.data(), stderr);
    return 2;
  }

  // The command line overrides the file, at start and at every reload (SIGHUP).
  auto apply_overrides = [&](vmnctl::ControllerConfig& config) {
    vmnctl::ConfigErrors errors;
    if (listen) {
      if (auto e = vmnctl::parse_endpoint(*listen)) {
        config.listen = *e;
        if (e->transport == vmnctl::Transport::Tls && !config.tls)
          errors.push_back("--listen: ssl: needs openflow.tls in the configuration file");
      } else {
        errors.push_back(fmt::format("--listen: not an ADDR:PORT endpoint: \"{}\"", *listen));
      }
    }
    if (log_level) {
      if (auto l = vmnctl::parse_log_level(*log_level)) config.log_level = *l;
      else errors.push_back(fmt::format("--log-level: not one of debug, info, warn, error: \"{}\"", *log_level));
    }
    if (log_format) {
      if (*log_format == "text") config.log_format = vmnctl::LogFormat::Text;
      else if (*log_format == "json") config.log_format = vmnctl::LogFormat::Json;
      else errors.push_back(fmt::format("--log-format: not text or json: \"{}\"", *log_format));
    }
    return errors;
  };
  auto loaded = vmnctl::load_config(*config_path);
  if (!loaded) return fail_config(loaded.error());
  vmnctl::ControllerConfig config = std::move(*loaded);
  if (auto errors = apply_overrides(config); !errors.empty()) return fail_config(errors);

  if (show || show_saved) {
    if (auto shown = show ? vmnctl::show_flows(config, stdout) : vmnctl::show_state(config, stdout); !shown) {
      std::fprintf(stderr, "%s\n", shown.error().c_str());
      return 1;
    }
    return 0;
  }

  vmnctl::Logger log(config.log_level, config.log_format);
  log.set_lines_per_second(config.log_lines_per_second);
  boost::asio::io_context io(1);
  vmnctl::App controller(io, config, log);
  // SIGHUP and POST /v1/reload: the same reload of the same file.
  auto reload = [&]() -> vmnmob::northbound::ReloadResult {
    auto next = vmnctl::load_config(*config_path);
    if (!next) {
      for (const auto& e : next.error())
        log.log(vmnctl::LogLevel::Error, "reload-refused", fmt::format("reload refused: {}; nothing changed", e));
      return {false, {}, next.error()};
    }
    (void)apply_overrides(*next);  // checked at start
    return controller.reload(*next);
  };
  std::optional<vmnctl::Northbound> northbound;
  if (config.northbound) {
    northbound.emplace(io, controller, *config.northbound, log, [&] {
      log.log(vmnctl::LogLevel::Info, "reloading", fmt::format("POST /v1/reload: reloading {}", *config_path));
      return reload();
    });
    if (auto listening = northbound->start(); !listening) {
      log.log(vmnctl::LogLevel::Error, "start-failed", listening.error());
      return 1;
    }
  }
  if (auto started = controller.start(); !started) {
    log.log(vmnctl::LogLevel::Error, "start-failed", started.error());
    return 1;
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
          log.log(vmnctl::LogLevel::Info, "reloading", fmt::format("SIGHUP: reloading {}", *config_path));
          (void)reload();
          signals.async_wait(on_signal);
          return;
        }
        log.log(vmnctl::LogLevel::Info, "stopping", fmt::format("signal {}: stopping", signo));
        if (northbound) northbound->stop();
        controller.stop();
        io.stop();
      };
  signals.async_wait(on_signal);
  io.run();
  return 0;
}
