// vmnbench's modes. See main.cpp for the command line and README-style help.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "plan.hpp"
#include "verify.hpp"

namespace vmnbench {

enum class Mode : std::uint8_t { Throughput, Latency, Migration, Scale, Reconnect };

struct Options {
  Mode mode = Mode::Throughput;
  std::string host = "127.0.0.1";
  std::uint16_t port = 6653;
  std::string target = "controller";  // a label for the output
  std::size_t switches = 16;
  std::size_t vms_per_switch = 100;
  std::size_t window = 64;
  double duration_s = 10;
  double warmup_s = 1;
  Mix mix;
  /// Baselines answer every PACKET_IN with a fixed PACKET_OUT: accept any PACKET_OUT on the
  /// asking switch as the answer to its oldest question (unverified).
  bool expect_any_packet_out = false;
  bool packet_in_no_match = false;  // reason OFPR_NO_MATCH instead of OFPR_ACTION
  double timeout_ms = 1000;
  /// A phase is over when no FLOW_MOD arrived on any switch for this long.
  double quiet_ms = 30;
  // migration
  std::size_t correspondents = 10;
  std::size_t spread = 1;  // switches the correspondents are spread over
  std::size_t trials = 10;
  // scale
  std::size_t vmns = 100000;
  int controller_pid = 0;
  bool json = false;
};

/// The network a run emulates (migration and scale derive it from their own parameters), so
/// `--write-config` with the same arguments describes exactly the switches the run connects.
NetworkPlan plan_for(const Options& o);

/// Runs the mode; returns the result object (also printed) and whether the run is valid
/// (connected, no wrong answers).
struct RunResult {
  nlohmann::json json;
  bool ok = false;
};
RunResult run_bench(const Options& o);

}  // namespace vmnbench
