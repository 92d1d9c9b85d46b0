#!/usr/bin/env bash
# Self-test of ovs-sandbox.sh (ctest label `ovs`, needs root): a sandbox with a netdev bridge,
# a fixed datapath id, an internal port and a veth into a namespace; then a child script that
# fails under `set -e` must leave no process, link, namespace or directory behind.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

state=$(mktemp /tmp/ovs-sb-selftest.XXXXXX)
trap 'rm -f "$state"' EXIT
tag="st$$"
bash -s "$here/ovs-sandbox.sh" "$state" "$tag" <<'CHILD' && fail "child should have failed"
set -euo pipefail
source "$1"
state=$2
OVS_SANDBOX_TAG=$3
ovs_sandbox_start
ovs_sandbox_start  # idempotent
br=$(ovs_sandbox_name sb)
ovs_sandbox_add_bridge "$br" 00000000000000a1
ovs_sandbox_netns "${br}ns"
ovs_sandbox_veth "${br}v0" "${br}v1" "${br}ns"
ovs-vsctl add-port "$br" "${br}v0"
ovs-vsctl add-port "$br" "${br}i" -- set interface "${br}i" type=internal
out=$(ovs-ofctl -O OpenFlow13 show "$br")
grep -q 'dpid:00000000000000a1' <<<"$out" || { echo "dpid missing: $out" >&2; exit 3; }
grep -q "(${br}v0)" <<<"$out" || { echo "veth port missing: $out" >&2; exit 3; }
grep -q "(${br}i)" <<<"$out" || { echo "internal port missing: $out" >&2; exit 3; }
[[ $(ovs-vsctl get bridge "$br" datapath_type) == netdev ]] || exit 3
{
  echo "dir='$OVS_SANDBOX_DIR'"
  echo "pids='$OVS_SANDBOX_OVSDB_PID $OVS_SANDBOX_VSWITCHD_PID'"
  echo "br=$br"
} >"$state"
false  # a failing test: the EXIT trap must still clean up
CHILD

# shellcheck disable=SC1090
source "$state"
[[ -n "${dir:-}" ]] || fail "child did not get far enough (no state)"
[[ ! -e "$dir" ]] || fail "sandbox dir $dir left behind"
for pid in $pids; do
  if [[ -r /proc/$pid/stat ]]; then
    st=$(cat /proc/$pid/stat); st=${st##*) }
    [[ ${st:0:1} == Z ]] || fail "process $pid still running"
  fi
done
for link in "$br" "${br}v0" "${br}i"; do
  ! ip link show "$link" >/dev/null 2>&1 || fail "link $link left behind"
done
! ip netns list | grep -qw "${br}ns" || fail "netns ${br}ns left behind"
echo "PASS: ovs-sandbox starts a private OVS and cleans up after a failing script"
