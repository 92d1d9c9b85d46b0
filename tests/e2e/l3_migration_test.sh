#!/usr/bin/env bash
# L3 migration with the controller (ctest labels e2e, ovs, l3): the paper's "local L3
# migration with the system". Skipped (exit 77) until a controller command is given:
#
#   VMNCTL_OFC_CMD='path/to/vmnctl-ofc --config "$TB_CONFIG"'   (a bash command line; the
#       testbed's sites are in $TB_CONFIG (tb_site_config), the bridges dial
#       tcp:127.0.0.1:$TB_CONTROLLER_PORT)
#
# vmn1 (HoA 10.10.0.1) starts at site a, vmn2 (10.10.0.2) at site b; nothing is configured by
# hand: ARP, proxy ARP and the HoA<->MoA flows are the controller's. vmn2 probes vmn1 (ping -D
# and vmn-probe at 1 ms) and streams TCP to it while vmn1 moves a -> c (to a third site),
# c -> b (onto its correspondent's switch), b -> a (off it, back home). Each move must keep
# the TCP stream intact and end in a finite downtime after which traffic resumes.
#
#   L3_GAP_S=S (default 10)   seconds between moves    L3_RESULTS=FILE  one JSON line per move
#   L3_FLOW_DUMP=DIR          each bridge's flows (no counters) before the moves and after each
#                             one, as DIR/SITE-STEP.txt, to compare controllers flow by flow
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

tb_require_controller
fail() { tb_fail "$@"; }
gap_s=${L3_GAP_S:-10}
probe_s=6
move_at_s=2
limit_ms=3000

TB_PREFIX=tb3-
TB_BRIDGE_PREFIX=tb3-br-
tb_init
tb_sites_up
vmn1=${TB_PREFIX}vmn1
vmn2=${TB_PREFIX}vmn2
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 b

# Without a controller a secure bridge forwards nothing: the probes below prove the controller.
ip netns exec "$vmn2" ping -c1 -W1 -q 10.10.0.1 >/dev/null 2>&1 && fail "forwarding without a controller"

tb_controller_start "$VMNCTL_OFC_CMD" || fail "bridges did not connect to the controller"
controller=$TB_CONTROLLER_PID

tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1's HoA"
tb_wait_ping "$vmn1" 10.10.0.2 10 || fail "vmn1 cannot reach vmn2's HoA"
# The routed path carries MoAs only: the router has no route to the home subnet.
[[ -z "$(ip -n "$(tb_router_ns)" route show 10.10.0.0/24)" ]] || fail "router knows the home subnet"

# Flows without counters or durations, sorted: comparable across runs and controllers.
dump_flows() {
  [[ -n "${L3_FLOW_DUMP:-}" ]] || return 0
  mkdir -p "$L3_FLOW_DUMP"
  local site
  for site in "${TB_SITES[@]}"; do
    ovs-ofctl -O OpenFlow13 --no-stats dump-flows "$(tb_bridge "$site")" | sort >"$L3_FLOW_DUMP/$site-$1.txt"
  done
}
dump_flows 0

summary=()
last=0
run=0
for to in c b a; do
  run=$((run + 1))
  from=${TB_VMN_SITE[$vmn1]}
  wait_s=$((last + gap_s - SECONDS))
  ((wait_s > 0)) && sleep "$wait_s"
  tb_tcp_stream_start "stream$run" "$vmn2" "$vmn1" 10.10.0.1 $((7100 + run)) $((2 * 1024 * 1024)) 5
  tb_ping_start "ping$run" "$vmn2" 10.10.0.1 "$probe_s"
  tb_probe_start "probe$run" "$vmn2" 10.10.0.1:7000 "$probe_s"
  sleep "$move_at_s"
  tb_vmn_migrate "$vmn1" "$to"
  announce=$TB_LAST_PID
  last=$SECONDS
  probe=$(tb_probe_result "probe$run")
  ping=$(tb_ping_result "ping$run")
  wait "$announce" || fail "move $run: vmn-announce failed"
  echo "move $run ($from->$to): vmn-probe $probe"
  echo "move $run: ping $ping"
  [[ $(tb_json_field "$ping" resumed) == True ]] || fail "move $run: ping never answered again"
  after=$(ip netns exec "$vmn2" "$VMN_PROBE" probe --to 10.10.0.1:7000 --duration-s 1 --json || true)
  (($(tb_json_field "$after" answered) >= 900)) || fail "move $run: traffic did not resume ($after)"
  tb_tcp_stream_check "stream$run" 20 || fail "move $run: TCP stream broken: $TB_RESULT"
  echo "move $run: tcp $TB_RESULT"
  dump_flows "$run"
  probe_ms=$(tb_json_field "$probe" downtime_ms)
  ping_ms=$(tb_json_field "$ping" downtime_ms)
  python3 -c "import sys; p, q, l = map(float, sys.argv[1:]); sys.exit(0 if p < l and q < l else 1)" \
    "$probe_ms" "$ping_ms" "$limit_ms" || fail "move $run: downtime out of range"
  line=$(printf '{"case":"l3-netns","run":%d,"from":"%s","to":"%s","probe_downtime_ms":%s,"ping_downtime_ms":%s}' \
    "$run" "$from" "$to" "$probe_ms" "$ping_ms")
  summary+=("$line")
  [[ -n "${L3_RESULTS:-}" ]] && echo "$line" >>"$L3_RESULTS"
done
ovs_sandbox_alive "$controller" || fail "the controller exited"

printf '%s\n' "${summary[@]}" | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin]
for key in ("probe_downtime_ms", "ping_downtime_ms"):
    v = [r[key] for r in rows]
    print(f"{key}: median {statistics.median(v):.1f} mean {statistics.mean(v):.1f} "
          f"min {min(v):.1f} max {max(v):.1f} (n={len(v)})")
'
# What the controller itself logs (vmnctl-ofc and the os-ken peer both do; another controller
# may not): per migration, the reaction (packet-in to new flows sent) and when the old flows
# went (after the barriers).
reactions=$(tb_controller_reactions | paste -sd' ' -)
[[ -n "$reactions" ]] && echo "controller reaction us: $reactions"
removed=$(sed -n 's/.*old flows removed \([0-9][0-9]*\) us after the trigger.*/\1/p' "$(tb_controller_log)" | paste -sd' ' - || true)
[[ -n "$removed" ]] && echo "controller old flows removed after us: $removed"
echo "PASS: L3 migration with the controller, 3 moves"
