#!/usr/bin/env bash
# Both peers of a conversation migrate (ctest labels e2e, ovs, l3). Skipped (exit 77) without
# VMNCTL_OFC_CMD (see l3_migration_test.sh).
#
# vmn1 (site a) and vmn2 (site b) talk: vmn2 probes vmn1 at 1 ms (a UDP round trip through
# both of them) and streams TCP to it. Then
#   1. one after the other: vmn1 a -> c, 1.5 s later vmn2 b -> a (onto vmn1's old site);
#   2. at (nearly) the same time: vmn1 c -> b and vmn2 a -> c (each onto a site the other just
#      left or is leaving; the two announces overlap).
# For each: the controller logs both migrations to the expected dp and port; the probe answers
# again (>= 90% of a 1 s probe afterwards, in both directions) and its longest outage is finite
# (< 3 s); the TCP stream that ran across both moves arrived intact (sha256).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

tb_require_controller
fail() { tb_fail "$@"; }
limit_ms=3000

TB_PREFIX=tbp-
TB_BRIDGE_PREFIX=tbp-br-
TB_CONTROLLER_PORT=${TB_CONTROLLER_PORT_PEERS:-6673}
tb_init
tb_sites_up
vmn1=${TB_PREFIX}vmn1 vmn2=${TB_PREFIX}vmn2
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 b
tb_controller_start "$VMNCTL_OFC_CMD" || fail "bridges did not connect to the controller"
log=$(tb_controller_log)
mac1=$(tb_vmn_mac 1) mac2=$(tb_vmn_mac 2)

tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_spawn "$vmn2" "$VMN_PROBE" echo --listen 10.10.0.2:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1"
tb_wait_ping "$vmn1" 10.10.0.2 10 || fail "vmn1 cannot reach vmn2"

# migrated_to MAC SITE N: the controller logged at least N migrations of MAC onto SITE's bridge
# (its VMN's own port there), within 5 s.
migrated_to() {
  local mac=$1 site=$2 n=$3 index i
  index=$((16#${mac##*:}))
  for ((i = 0; i < 50; i++)); do
    (($(grep -c "migrated $mac .* to dp 0x$(printf %x $((0xa + $(tb_site_number "$site") - 1))) port $(tb_vmn_port "$index")" "$log" || true) >= n)) \
      && return 0
    sleep 0.1
  done
  return 1
}

# check RUN: after both moves of run RUN, traffic resumed both ways and the stream is intact.
check() {
  local run=$1 probe after back
  probe=$(tb_probe_result "probe$run")
  echo "run $run: probe $probe"
  after=$(ip netns exec "$vmn2" "$VMN_PROBE" probe --to 10.10.0.1:7000 --duration-s 1 --json || true)
  back=$(ip netns exec "$vmn1" "$VMN_PROBE" probe --to 10.10.0.2:7000 --duration-s 1 --json || true)
  (($(tb_json_field "$after" answered) >= 900)) || fail "run $run: vmn2 -> vmn1 did not resume ($after)"
  (($(tb_json_field "$back" answered) >= 900)) || fail "run $run: vmn1 -> vmn2 did not resume ($back)"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" \
    "$(tb_json_field "$probe" downtime_ms)" "$limit_ms" || fail "run $run: outage out of range ($probe)"
  tb_tcp_stream_check "stream$run" 20 || fail "run $run: TCP stream broken: $TB_RESULT"
  echo "run $run: tcp $TB_RESULT"
}

# 1. One after the other.
tb_tcp_stream_start stream1 "$vmn2" "$vmn1" 10.10.0.1 7101 $((1024 * 1024)) 5
tb_probe_start probe1 "$vmn2" 10.10.0.1:7000 6
sleep 1.5
tb_vmn_migrate "$vmn1" c
a1=$TB_LAST_PID
sleep 1.5
tb_vmn_migrate "$vmn2" a
a2=$TB_LAST_PID
wait "$a1" || fail "run 1: vmn1's announce failed"
wait "$a2" || fail "run 1: vmn2's announce failed"
migrated_to "$mac1" c 1 || fail "run 1: vmn1's move to c not logged"
migrated_to "$mac2" a 1 || fail "run 1: vmn2's move to a not logged"
check 1

# 2. At the same time.
sleep 1
tb_tcp_stream_start stream2 "$vmn2" "$vmn1" 10.10.0.1 7102 $((1024 * 1024)) 5
tb_probe_start probe2 "$vmn2" 10.10.0.1:7000 6
sleep 2
tb_vmn_migrate "$vmn1" b
a1=$TB_LAST_PID
tb_vmn_migrate "$vmn2" c
a2=$TB_LAST_PID
wait "$a1" || fail "run 2: vmn1's announce failed"
wait "$a2" || fail "run 2: vmn2's announce failed"
migrated_to "$mac1" b 1 || fail "run 2: vmn1's move to b not logged"
migrated_to "$mac2" c 1 || fail "run 2: vmn2's move to c not logged"
check 2

if grep -E "spoof-refused|pool-exhausted|address-conflict" "$log"; then fail "the controller refused something"; fi
ovs_sandbox_alive "$TB_CONTROLLER_PID" || fail "the controller exited"
echo "PASS: both peers migrating, one after the other and at the same time"
