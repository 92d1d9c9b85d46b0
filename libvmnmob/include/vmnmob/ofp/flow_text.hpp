// A flow as one canonical line of text, for comparing what a controller believes a switch
// holds with what the switch reports (`ovs-ofctl -O OpenFlow13 --no-stats dump-flows`, turned
// into the same form by tests/e2e/lib/flow_canon.py).
//
//   table=1 priority=300 cookie=0xa702000100000001 idle_timeout=0 hard_timeout=0 flags=-
//     match=eth_type=0x0800,ipv4_dst=10.10.0.1 actions=set_field:eth_dst=52:54:00:0a:00:01,output:11
//
// (one line). Only what a flow keeps on the switch is printed: no counters, ages, buffer id,
// out_port or command. Match fields are sorted by name (a switch reports them in its own
// order); a mask of all ones is no mask and a field masked with all zeros is no field, as a
// switch stores them (OF 1.3 section 7.2.3.5). IPv4 and IPv6 masks that are prefixes print as
// /N. Instructions print in the order the switch executes them (section 5.9): meter, apply
// actions (inline), clear_actions, write_actions(...), write_metadata, goto_table; no
// instruction at all is "drop". Reserved ports print by name (output:CONTROLLER:65535 with
// its max_len, in_port=LOCAL). Fields and actions outside OpenFlow 1.3's basic set print as
// hex and compare only with themselves.
#pragma once

#include <string>

#include "vmnmob/ofp/message.hpp"

namespace vmnmob::ofp {

/// The flow a FlowMod (any command) would leave on a switch.
std::string flow_text(const FlowMod& flow_mod);
/// A flow as a switch reports it (OFPMP_FLOW reply entry).
std::string flow_text(const FlowStats& flow);

}  // namespace vmnmob::ofp
