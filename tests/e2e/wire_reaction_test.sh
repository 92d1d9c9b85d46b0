#!/usr/bin/env bash
# The controller's reaction on the wire (ctest labels e2e, ovs, l3), read from a capture of the
# OpenFlow channel: vmn1 (site a) and its correspondent vmn2 (site c) talk; vmn1 moves a -> b
# -> a ... (REACTION_MOVES, default 5) under a 1 ms probe from vmn2, tcpdump recording the
# OpenFlow channel on lo and vmn1's host-side link. tests/e2e/lib/of_timeline.py turns the
# captures into one line per migration: the RARP PACKET_IN, the first and last FLOW_MOD, the
# last BARRIER_REPLY, flow-mods per switch, and on the data path the RARP leaving vmn1 and the
# first probe delivered to it afterwards.
#
# Asserts, per move: the announce's PACKET_IN came from the destination switch; flow-mods went
# to the destination (new local flows) and to the source (old ones deleted) and to vmn2's
# switch (its remote flows for vmn1 re-pointed at the new MoA); every barrier was answered; the
# probe was delivered again after the announce. Times are printed, never asserted.
#
#   VMNCTL_OFC=path (default $TB_BUILD_DIR/apps/vmnctl-ofc/vmnctl-ofc)
#   REACTION_CONTROLLER_CMD='bash command line' another controller instead (TB_CONFIG and
#       TB_CONTROLLER_PORT are set where it runs; e.g. with_osken.sh sets the os-ken peer)
#   REACTION_MOVES=N   REACTION_RESULTS=FILE (one JSON line per move)
#   REACTION_BREAK_ORDER=network  vmnctl-ofc with mobility.make_before_break "network"; then
#       also asserted per move: the last FLOW_MOD (the deletes) follows the last BARRIER_REPLY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

moves=${REACTION_MOVES:-5}
break_order=${REACTION_BREAK_ORDER:-}
[[ -z "$break_order" ]] || TB_MOBILITY_EXTRA="\"make_before_break\": \"$break_order\""
vmnctl=${VMNCTL_OFC:-$TB_BUILD_DIR/apps/vmnctl-ofc/vmnctl-ofc}
controller_cmd=${REACTION_CONTROLLER_CMD:-}
if [[ -z "$controller_cmd" ]]; then
  [[ -x "$vmnctl" ]] || tb_skip "no vmnctl-ofc at $vmnctl"
  controller_cmd="$vmnctl --config \"\$TB_CONFIG\""
fi
command -v tcpdump >/dev/null && command -v tshark >/dev/null || tb_skip "tcpdump and tshark needed"

fail() { tb_fail "$@"; }

TB_PREFIX=tbw-
TB_BRIDGE_PREFIX=tbw-br-
# Not the default port: a controller started by another test or benchmark on loopback must
# neither get these bridges nor appear in the capture.
TB_CONTROLLER_PORT=${REACTION_PORT:-6681}
tb_init
tb_sites_up
vmn1=${TB_PREFIX}vmn1
vmn2=${TB_PREFIX}vmn2
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 c
link1=$(tb_vmn_link 1)

# Captures start before the controller, so the handshakes (FEATURES_REPLY: stream -> dpid) are
# in them. REACTION_TRACE=1 also records vmn2's link and the three uplinks, kept with the work
# directory (TB_KEEP_WORK=1) for a hop-by-hop look at where the time goes.
captures=(of vm)
tb_capture_start of lo "tcp port $TB_CONTROLLER_PORT" || fail "capture"
tb_capture_start vm "$link1" "arp or rarp or udp port 7000" || fail "capture"
if [[ -n "${REACTION_TRACE:-}" ]]; then
  for name in v2 up-a up-b up-c; do
    tb_capture_start "$name" "${TB_PREFIX}$name" "arp or rarp or udp port 7000" || fail "capture"
    captures+=("$name")
  done
fi

tb_controller_start "$controller_cmd" || fail "bridges did not connect to the controller"
tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1's HoA"
tb_wait_ping "$vmn1" 10.10.0.2 10 || fail "vmn1 cannot reach vmn2's HoA"

for ((run = 1; run <= moves; run++)); do
  if ((run % 2)); then to=b; else to=a; fi
  tb_probe_start "probe$run" "$vmn2" 10.10.0.1:7000 4
  sleep 1
  tb_vmn_migrate "$vmn1" "$to"
  announce=$TB_LAST_PID
  probe=$(tb_probe_result "probe$run")
  wait "$announce" || fail "move $run: vmn-announce failed"
  echo "move $run -> $to: vmn-probe downtime $(tb_json_field "$probe" downtime_ms) ms"
done
sleep 0.5
tb_capture_stop "${captures[@]}"

timeline=$(python3 "$TB_LIB_DIR/of_timeline.py" --of "$TB_WORK/of.pcap" --port "$TB_CONTROLLER_PORT" \
  --mac "$(tb_vmn_mac 1)" --data "$TB_WORK/vm.pcap" --probe-port 7000) || fail "of_timeline.py failed"
echo "$timeline" | tee "$TB_WORK/timeline.jsonl"
[[ -n "${REACTION_RESULTS:-}" ]] && echo "$timeline" >>"$REACTION_RESULTS"

# The assertions, per move, on what the capture shows.
python3 - "$TB_WORK/timeline.jsonl" "$moves" "$(tb_dpid a)" "$(tb_dpid b)" "$(tb_dpid c)" "$break_order" <<'EOF' \
  || fail "the capture does not show every migration handled"
import json, sys
moves = int(sys.argv[2])
a, b, c = (f"0x{int(x, 16):x}" for x in sys.argv[3:6])
network_order = sys.argv[6] == "network"
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = len(rows) == moves
if not ok:
    print(f"expected {moves} migrations in the capture, found {len(rows)}")
for n, r in enumerate(rows, 1):
    to, frm = (b, a) if n % 2 else (a, b)
    problems = []
    if r["packet_in_dpid"] != to:
        problems.append(f"announce came from {r['packet_in_dpid']}, not {to}")
    for dp, why in ((to, "new local flows"), (frm, "old flows deleted"), (c, "correspondent re-pointed")):
        if r["flow_mods"].get(dp, 0) == 0:
            problems.append(f"no flow-mod to {dp} ({why})")
    if r["reaction_us"] is None or r["barrier_reply_us"] is None:
        problems.append("no flow-mod or no barrier reply after the announce")
    if r.get("announce_to_delivery_us") is None:
        problems.append("no probe delivered to vmn1 after its announce")
    # Network order holds the deletes back until every switch answered its barrier.
    if network_order and None not in (r["reaction_us"], r["barrier_reply_us"]) \
            and r["reaction_us"] < r["barrier_reply_us"]:
        problems.append(f"a flow-mod (delete) at {r['reaction_us']} us, before the last barrier reply "
                        f"at {r['barrier_reply_us']} us")
    for p in problems:
        print(f"move {n}: {p}")
    ok = ok and not problems
sys.exit(0 if ok else 1)
EOF

python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
for key in ("announce_to_packet_in_us", "first_flow_mod_us", "reaction_us", "barrier_reply_us",
            "announce_to_delivery_us"):
    v = [r[key] for r in rows if r.get(key) is not None]
    print(f"{key}: median {statistics.median(v):.0f} min {min(v):.0f} max {max(v):.0f} (n={len(v)})")
' <<<"$timeline"
echo "controller log (packet-in read -> last flow write):" "$(tb_controller_reactions | tr '\n' ' ')us"
ovs_sandbox_alive "$TB_CONTROLLER_PID" || fail "the controller exited"
echo "PASS: wire reaction of $moves migrations read from the OpenFlow capture"
