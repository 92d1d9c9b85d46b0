#!/usr/bin/env bash
# A real QEMU live migration in the L2 baseline (ctest labels e2e, ovs, qemu, slow).
# Two QEMU processes (TCG, 128 MiB, virtio-net on taps of the two bridges of one segment, same
# guest MAC); the running one migrates to the waiting one over loopback via QMP, then back,
# and so on. A correspondent on bridge l2a probes the guest with `ping -D -i 0.01` and with
# vmn-probe at 1 ms (the guest runs `vmn-probe echo`). Asserted per migration: it completes,
# the destination runs, the destination QEMU's announce reaches its bridge as five RARPs, both
# probes see a finite downtime, and traffic resumes. Reported: QEMU's pause (its "downtime"
# stat), total migration time, and the downtime each probe saw.
#
#   QEMU_RUNS=N (default 2)   migrations, alternating l2a -> l2b -> l2a ...
#   QEMU_GAP_S=S (default 10) seconds between migrations (OVS MAC learning, SYSTEM.md)
#   QEMU_RESULTS=FILE         append one JSON line per migration
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"
# shellcheck source=lib/qemu.sh
source "$here/lib/qemu.sh"

fail() { qv_fail "$@"; }
runs=${QEMU_RUNS:-2}
gap_s=${QEMU_GAP_S:-10}
probe_s=8
migrate_at_s=2
limit_ms=3000
port=${QEMU_MIGRATION_PORT:-47444}
mac=52:54:00:0a:00:01
hoa=10.10.0.1

# n_packets of the RARP counting flow for port 11 on BRIDGE.
rarps() {
  ovs-ofctl -O OpenFlow13 dump-flows "$1" "in_port=11,dl_type=0x8035" \
    | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | head -n1
}

TB_PREFIX=tbq-
TB_BRIDGE_PREFIX=tbq-br-
tb_init
qv_build_guest
tb_l2_up
cn=${TB_PREFIX}cn
tb_vmn_add "$cn" 100 l2a
declare -A tap=([l2a]=${TB_PREFIX}tap-a [l2b]=${TB_PREFIX}tap-b)
for site in l2a l2b; do
  tb_tap_add "${tap[$site]}" "$site" 11
  # Counts the destination's announces on the guest's port without changing forwarding.
  ovs-ofctl -O OpenFlow13 add-flow "$(tb_bridge "$site")" \
    "priority=100,in_port=11,dl_type=0x8035,actions=NORMAL"
done
[[ -n "$(ss -Hltn "sport = :$port")" ]] && fail "migration port $port is in use"

site=l2a
guest=g0
qv_start "$guest" "${tap[$site]}" "$mac" "$hoa"
qv_wait_ready "$guest" 180 || fail "guest did not boot"
tb_wait_ping "$cn" "$hoa" 30 || fail "correspondent cannot reach the guest"
warm=$(ip netns exec "$cn" "$VMN_PROBE" probe --to "$hoa:$QV_ECHO_PORT" --duration-s 1 --json)
(($(tb_json_field "$warm" answered) > 0)) || fail "guest's vmn-probe echo does not answer: $warm"
echo "guest up: $(grep -o 'VMN-READY.*' "$(qv_console "$guest")")"

summary=()
last=0
for ((run = 1; run <= runs; run++)); do
  to=$([[ $site == l2a ]] && echo l2b || echo l2a)
  next=g$run
  wait_s=$((last + gap_s - SECONDS))
  ((wait_s > 0)) && sleep "$wait_s"
  before=$(rarps "$(tb_bridge "$to")")
  qv_measured_migration "$guest" "$next" "${tap[$to]}" "$mac" "$hoa" "$port" "$cn" "$probe_s" "$migrate_at_s" \
    || fail "run $run: migration failed"
  last=$SECONDS
  stats=$QV_STATS probe=$QV_PROBE ping=$QV_PING
  announces=$(($(rarps "$(tb_bridge "$to")") - before))
  echo "run $run ($site->$to): qemu $stats"
  echo "run $run: vmn-probe $probe"
  echo "run $run: ping $ping"
  echo "run $run: RARP announces on the destination port: $announces"
  ((announces == 5)) || fail "run $run: expected QEMU's 5 RARP announces, saw $announces"
  qv_check_recovery "$run" "$limit_ms" "$cn" "$hoa"
  probe_ms=$QV_PROBE_MS ping_ms=$QV_PING_MS
  line=$(printf '{"case":"l2-qemu","run":%d,"to":"%s","qemu_pause_ms":%s,"qemu_total_ms":%s,"probe_downtime_ms":%s,"ping_downtime_ms":%s,"ping_interval_ms":%s,"announces":%d}' \
    "$run" "$to" "$(tb_json_field "$stats" downtime)" "$(tb_json_field "$stats" total-time)" \
    "$probe_ms" "$ping_ms" "$(tb_json_field "$ping" interval_ms)" "$announces")
  summary+=("$line")
  [[ -n "${QEMU_RESULTS:-}" ]] && echo "$line" >>"$QEMU_RESULTS"
  guest=$next
  site=$to
done

printf '%s\n' "${summary[@]}" | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin]
for key in ("qemu_pause_ms", "qemu_total_ms", "probe_downtime_ms", "ping_downtime_ms"):
    v = [float(r[key]) for r in rows]
    print(f"{key}: median {statistics.median(v):.1f} mean {statistics.mean(v):.1f} "
          f"min {min(v):.1f} max {max(v):.1f} (n={len(v)})")
'
echo "PASS: QEMU L2 migration, $runs migrations"
