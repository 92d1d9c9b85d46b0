// vmnctl-ofc --show-flows: what the mobility engine believes each configured switch holds,
// from the configuration and its state_file, with no network: the state is restored as a start
// would restore it, and each switch's flows are built from the registry as the reconcile at its
// switch-up installs them. One section per site, "# NAME dp 0x<16 hex>", then one line per flow
// in the canonical form of vmnmob/ofp/flow_text.hpp, sorted. An uplink configured by name is
// known by number from the state file (the switch's port list is not at hand); without a state
// file its flow is not shown. tests/e2e/lib/flow_canon.py turns
// `ovs-ofctl dump-flows` into the same form to compare (tb_check_invariants in the testbed).
#pragma once

#include <cstdio>
#include <string>

#include "config.hpp"
#include "vmnmob/base/expected.hpp"

namespace vmnctl {

/// Writes the sections to `out`; an error ("FILE: reason") when the state cannot be restored.
vmnmob::Expected<void, std::string> show_flows(const ControllerConfig& config, std::FILE* out);
/// --show-state: the state a start would begin from (the state file with its journal merged,
/// restored and so checked against the configuration) as one snapshot JSON line.
vmnmob::Expected<void, std::string> show_state(const ControllerConfig& config, std::FILE* out);

}  // namespace vmnctl
