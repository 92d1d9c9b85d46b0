#!/usr/bin/env bash
# A real QEMU live migration across L3 with the controller (ctest labels e2e, ovs, qemu, slow):
# the paper's "local L3 migration with the system" with a real VM. Skipped (77) until
# VMNCTL_OFC_CMD names the controller (as in l3_migration_test.sh).
#
# The busybox guest (HoA 10.10.0.1 in the home subnet, default gateway 10.10.0.254, MAC
# 52:54:00:0a:00:01, runs `vmn-probe echo`) starts on a tap of site a's secure bridge; a second
# QEMU waits on a tap of site b's bridge; the guest migrates a -> b over loopback, then back,
# alternating. The correspondent is a VMN at site c (HoA 10.10.0.2) probing the guest with
# `ping -D -i 0.01` and vmn-probe at 1 ms. Nothing is configured by hand: every flow and ARP
# answer is the controller's. Asserted per migration: it completes and the destination runs;
# QEMU's 5 RARP announces and the guest's gratuitous ARPs leave the destination tap, the
# destination bridge hands the 5 RARPs to the controller (its RARP flow's counter), the
# controller logs exactly one "migrated ... reaction N us"; both probes see a finite downtime
# and traffic resumes. Reported: QEMU's pause, both downtimes, the controller's reaction.
#
#   QEMU_RUNS=N (default 2)   migrations, alternating a -> b -> a ...
#   QEMU_GAP_S=S (default 10) seconds between migrations (SYSTEM.md: OVS stalls otherwise)
#   QEMU_RESULTS=FILE         append one JSON line per migration
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"
# shellcheck source=lib/qemu.sh
source "$here/lib/qemu.sh"

if [[ -z "${VMNCTL_OFC_CMD:-}" ]]; then
  echo "SKIP: VMNCTL_OFC_CMD not set (no controller to test)"
  exit 77
fi
fail() { qv_fail "$@"; }
runs=${QEMU_RUNS:-2}
gap_s=${QEMU_GAP_S:-10}
probe_s=8
migrate_at_s=2
limit_ms=3000
port=${QEMU_MIGRATION_PORT:-47445}
mac=$(tb_vmn_mac 1)
hoa=$(tb_vmn_hoa 1)

# Packets the controller's RARP flow on BRIDGE has sent to the controller so far.
rarps_to_controller() {
  ovs-ofctl -O OpenFlow13 dump-flows "$1" "dl_type=0x8035" \
    | sed -n 's/.*n_packets=\([0-9]*\).*actions=.*CONTROLLER.*/\1/p' | awk '{s += $1} END {print s + 0}'
}

TB_PREFIX=tbq3-
TB_BRIDGE_PREFIX=tbq3-br-
tb_init
qv_build_guest
tb_sites_up
cn=${TB_PREFIX}cn
tb_vmn_add "$cn" 2 c
# The taps' names start with the VM-port prefix tb_site_config gives the controller ("<P>v").
declare -A tap=([a]=${TB_PREFIX}vtap-a [b]=${TB_PREFIX}vtap-b)
for site in a b; do
  tb_tap_add "${tap[$site]}" "$site" "$(tb_vmn_port 1)"
done
[[ -n "$(ss -Hltn "sport = :$port")" ]] && fail "migration port $port is in use"
tb_controller_start "$VMNCTL_OFC_CMD" || fail "bridges did not connect to the controller"

site=a
guest=g0
qv_start "$guest" "${tap[$site]}" "$mac" "$hoa"
qv_wait_ready "$guest" 180 || fail "guest did not boot"
tb_wait_ping "$cn" "$hoa" 30 || fail "correspondent cannot reach the guest's HoA across sites"
warm=$(ip netns exec "$cn" "$VMN_PROBE" probe --to "$hoa:$QV_ECHO_PORT" --duration-s 1 --json)
(($(tb_json_field "$warm" answered) > 0)) || fail "guest's vmn-probe echo does not answer: $warm"
[[ -z "$(ip -n "$(tb_router_ns)" route show "$TB_HOME_PREFIX.0/24")" ]] || fail "router knows the home subnet"
echo "guest up: $(grep -o 'VMN-READY.*' "$(qv_console "$guest")")"

summary=()
last=0
for ((run = 1; run <= runs; run++)); do
  to=$([[ $site == a ]] && echo b || echo a)
  next=g$run
  wait_s=$((last + gap_s - SECONDS))
  ((wait_s > 0)) && sleep "$wait_s"
  reactions_before=$(tb_controller_reactions | wc -l)
  rarps_before=$(rarps_to_controller "$(tb_bridge "$to")")
  capture="$TB_WORK/announce$run.pcap"
  tcpdump -i "${tap[$to]}" -w "$capture" -U -Q in 'rarp or arp' >/dev/null 2>"$capture.err" </dev/null &
  tcpdump_pid=$!
  tb_track_pid "$tcpdump_pid"
  qv_measured_migration "$guest" "$next" "${tap[$to]}" "$mac" "$hoa" "$port" "$cn" "$probe_s" "$migrate_at_s" \
    || fail "run $run: migration $site -> $to failed"
  last=$SECONDS
  kill -TERM "$tcpdump_pid" 2>/dev/null
  wait "$tcpdump_pid" 2>/dev/null || true
  sent_rarps=$(tcpdump -r "$capture" -nn "rarp and ether src $mac" 2>/dev/null | wc -l)
  # A gratuitous ARP: sender protocol address = target protocol address = the HoA.
  sent_garps=$(tcpdump -r "$capture" -nn "arp and ether src $mac and arp[14:4] = arp[24:4]" 2>/dev/null | wc -l)
  rarps=$(($(rarps_to_controller "$(tb_bridge "$to")") - rarps_before))
  mapfile -t reactions < <(tb_controller_reactions | tail -n +"$((reactions_before + 1))")
  echo "run $run ($site->$to): qemu $QV_STATS"
  echo "run $run: vmn-probe $QV_PROBE"
  echo "run $run: ping $QV_PING"
  echo "run $run: from the destination tap: $sent_rarps RARPs, $sent_garps gratuitous ARPs; RARPs to the controller: $rarps; reaction ${reactions[*]:-none} us"
  ((sent_rarps == 5)) || fail "run $run: expected QEMU's 5 RARP announces on the tap, saw $sent_rarps"
  ((sent_garps >= 1)) || fail "run $run: the guest sent no gratuitous ARP"
  ((rarps == 5)) || fail "run $run: expected 5 RARPs sent to the controller by $(tb_bridge "$to"), counted $rarps"
  ((${#reactions[@]} == 1)) || fail "run $run: expected one migrated line in the controller log, saw ${#reactions[@]}"
  qv_check_recovery "$run" "$limit_ms" "$cn" "$hoa"
  probe_ms=$QV_PROBE_MS ping_ms=$QV_PING_MS
  line=$(printf '{"case":"l3-qemu","run":%d,"from":"%s","to":"%s","qemu_pause_ms":%s,"qemu_total_ms":%s,"probe_downtime_ms":%s,"ping_downtime_ms":%s,"ping_interval_ms":%s,"reaction_us":%s,"rarps":%d,"garps":%d}' \
    "$run" "$site" "$to" "$(tb_json_field "$QV_STATS" downtime)" "$(tb_json_field "$QV_STATS" total-time)" \
    "$probe_ms" "$ping_ms" "$(tb_json_field "$QV_PING" interval_ms)" "${reactions[0]}" "$rarps" "$sent_garps")
  summary+=("$line")
  [[ -n "${QEMU_RESULTS:-}" ]] && echo "$line" >>"$QEMU_RESULTS"
  guest=$next
  site=$to
done
ovs_sandbox_alive "$TB_CONTROLLER_PID" || fail "the controller exited"

printf '%s\n' "${summary[@]}" | tb_stats qemu_pause_ms qemu_total_ms probe_downtime_ms ping_downtime_ms reaction_us
echo "PASS: QEMU L3 migration with the controller, $runs migrations"
