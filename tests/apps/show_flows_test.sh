#!/usr/bin/env bash
# vmnctl-ofc --show-flows and tests/e2e/lib/flow_canon.py against captures from a real Open
# vSwitch 3.1 (no privileges; ctest label unit):
#   1. flow_canon.py reads ovs-ofctl's text of flows-rich.txt (fixtures/flow-text/dump-flows-text.txt)
#      as exactly the canonical lines the C++ printer makes of the same flows' wire bytes
#      (fixtures/flow-text/dump-flows-canonical.txt; tests/ofp/flow_text_test.cpp checks that side),
#      and marks the one flow with Nicira extensions unmapped;
#   2. --show-flows with the configuration and state file of an e2e run
#      (fixtures/show-flows/) equals, site by site, the bridges' dump-flows captured at that
#      moment;
#   3. the comparison fails, naming the flow, when a dump lacks a flow, when a flow carries
#      another MoA, and when the engine has no state (base flows only).
# Usage: show_flows_test.sh VMNCTL_OFC
set -euo pipefail
vmnctl=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
canon="$repo/tests/e2e/lib/flow_canon.py"
fx="$repo/tests/fixtures/show-flows"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The text side of the rich fixture.
python3 "$canon" "$repo/tests/fixtures/flow-text/dump-flows-text.txt" >"$work/rich.txt"
grep -v '^#' "$repo/tests/fixtures/flow-text/dump-flows-canonical.txt" >"$work/rich-expected.txt"
grep -v '^unmapped: ' "$work/rich.txt" | diff -u "$work/rich-expected.txt" - \
  || fail "flow_canon.py reads dump-flows-text.txt differently from the canonical fixture"
[[ $(grep -c '^unmapped: .*cookie=0x100f' "$work/rich.txt") == 1 && $(grep -c '^unmapped: ' "$work/rich.txt") == 1 ]] \
  || fail "exactly the Nicira flow (0x100f) should be unmapped"

# 2. The engine's belief from a real run's state file equals the bridges' flows of that moment.
config="$work/vmnctl-ofc.json"
with_state() {  # FILE: the fixture configuration with state_file FILE
  python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["state_file"] = sys.argv[2]; json.dump(c, open(sys.argv[3], "w"))' \
    "$fx/vmnctl-ofc.json" "$1" "$config"
}
with_state "$fx/state.json"
"$vmnctl" --config "$config" --show-flows >"$work/belief.txt" || fail "--show-flows failed"
[[ $(grep -c '^# site-' "$work/belief.txt") == 3 ]] || fail "three sections expected: $(grep '^#' "$work/belief.txt")"
for site in a b c; do
  python3 "$canon" --compare "$fx/dump-$site.txt" "$work/belief.txt" "site-$site" \
    || fail "site $site: --show-flows differs from the captured dump-flows"
done

# 3. Differences are found and named.
grep -v 'nw_dst=192.168.1.100 ' "$fx/dump-a.txt" >"$work/missing.txt"
if python3 "$canon" --compare "$work/missing.txt" "$work/belief.txt" site-a >"$work/diff.txt"; then
  fail "a dump without vmn1's ingress flow compared equal"
fi
grep -q '^-table=2 priority=300 .*ipv4_dst=192.168.1.100 ' "$work/diff.txt" || fail "the missing flow is not named: $(cat "$work/diff.txt")"
sed 's/set_field:192.168.2.100->ip_dst/set_field:192.168.2.101->ip_dst/' "$fx/dump-a.txt" >"$work/moa.txt"
if python3 "$canon" --compare "$work/moa.txt" "$work/belief.txt" site-a >"$work/diff.txt"; then
  fail "a dump with another MoA for vmn2 compared equal"
fi
grep -q '^+table=1 .*set_field:ipv4_dst=192.168.2.101' "$work/diff.txt" || fail "the changed flow is not named"
with_state "$work/absent.json"
"$vmnctl" --config "$config" --show-flows >"$work/empty.txt" || fail "--show-flows without a state file failed"
# 8 base flows per site: the uplink is configured by name, and without a state file (or a switch's
# port list) its number is unknown, so the uplink flow is not among them.
[[ $(grep -vc '^#' "$work/empty.txt") == 24 ]] || fail "without state: 8 base flows per site expected"
if python3 "$canon" --compare "$fx/dump-a.txt" "$work/empty.txt" site-a >/dev/null; then
  fail "an engine without VMNs compared equal to a bridge with VMN flows"
fi
# A state file that does not restore is an error naming the file.
echo '{"format": 1, "vmns": 3}' >"$work/bad.json"
with_state "$work/bad.json"
if "$vmnctl" --config "$config" --show-flows >/dev/null 2>"$work/err.txt"; then
  fail "a broken state file was accepted"
fi
grep -q "$work/bad.json" "$work/err.txt" || fail "the error does not name the state file: $(cat "$work/err.txt")"
echo "PASS: --show-flows and flow_canon.py agree with Open vSwitch's captures"
