#!/usr/bin/env bash
# Registry hygiene with real Open vSwitch (ctest labels e2e, ovs, l3): idle VMNs expire through
# OVS's own idle timeouts, and a MAC that two ports fight over is frozen (RFC 7432 s15).
# Skipped (exit 77) without VMNCTL_OFC_CMD (see l3_migration_test.sh).
#
# mobility.vmn_idle_s is 2 and move_freeze {moves 4, window 60 s, freeze 600 s}. vmn2 (site b)
# probes vmn1 (site a) at 1 ms all along; vmn3 (site c) talks to vmn2 once, then is silent.
# Asserted:
#   expiry: OVS idles out vmn3's local flows (idle_timeout 2, send_flow_rem) and its
#     FLOW_REMOVED makes the controller log vmn-expired for vmn3, and for nobody else: vmn1
#     and vmn2 carry traffic, so their flows never idle; afterwards no bridge holds a flow
#     naming vmn3's MAC, HoA or old MoA, and tb_check_invariants holds (every bridge's flows
#     are the engine's belief, no MoA twice); vmn3 comes back by its next ARP (vmn-detected
#     again) and reaches vmn2.
#   freeze: "twin", a namespace with vmn1's MAC on a VM port of site b (port 30), and vmn1
#     announce in turn (QEMU's RARP): moves 1-4 happen (migrated lines), the 4th freezes vmn1
#     at its own port (move-frozen); the twin's next announce is refused (frozen-move-refused)
#     and changes no flow on any bridge; vmn2 reaches vmn1 (probe >= 90%) after the fight;
#     tb_check_invariants holds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

tb_require_controller
fail() { tb_fail "$@"; }

TB_PREFIX=tbh-
TB_BRIDGE_PREFIX=tbh-br-
TB_CONTROLLER_PORT=${TB_CONTROLLER_PORT_HYGIENE:-6674}
TB_MOBILITY_EXTRA='"vmn_idle_s": 2, "move_freeze": {"moves": 4, "window_s": 60, "freeze_s": 600}'
tb_init
tb_sites_up
vmn1=${TB_PREFIX}vmn1 vmn2=${TB_PREFIX}vmn2 vmn3=${TB_PREFIX}vmn3
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 b
tb_vmn_add "$vmn3" 3 c
TB_CONFIG_EXTRA="\"state_file\": \"$TB_WORK/state.json\""  # for tb_check_invariants
tb_controller_start "$VMNCTL_OFC_CMD" || fail "bridges did not connect to the controller"
log=$(tb_controller_log)
mac1=$(tb_vmn_mac 1) mac2=$(tb_vmn_mac 2) mac3=$(tb_vmn_mac 3)

# Waits up to S seconds for a line of the controller's log matching the extended regex RE.
wait_log() {
  local re=$1 limit=${2:-10} i
  for ((i = 0; i < limit * 10; i++)); do
    grep -Eq -- "$re" "$log" && return 0
    sleep 0.1
  done
  return 1
}
count_log() { grep -Ec -- "$1" "$log" || true; }
all_flows() { for site in a b c; do tb_flows "$site"; done; }

tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1"
tb_probe_start keepalive "$vmn2" 10.10.0.1:7000 60  # traffic all along: vmn1, vmn2 never idle
tb_wait_ping "$vmn3" 10.10.0.2 10 || fail "vmn3 cannot reach vmn2"
moa3=$(sed -nE "s/.*moa-assigned $mac3 hoa [0-9.]+ moa ([0-9.]+).*/\1/p" "$log" | tail -n1)
[[ -n "$moa3" ]] || fail "no moa-assigned line for vmn3"
grep -Eq "idle_timeout=2\b.*$mac3|$mac3.*idle_timeout=2\b" <(tb_flows c) ||
  fail "vmn3's local flows on site c carry no idle_timeout=2: $(tb_flows c)"

# --- expiry ----------------------------------------------------------------------------------
# OVS checks idle timeouts about once a second; allow for a loaded machine.
wait_log "vmn-expired $mac3 hoa 10.10.0.3 at dp 0xc port 13 moa $moa3 \(held\): idle" 30 ||
  fail "vmn3 did not expire (log above)"
for mac in "$mac1" "$mac2"; do
  if grep -E "vmn-expired $mac" "$log"; then fail "$mac expired although it carries traffic"; fi
done
# The deletes are sent with the expiry; give them a moment to land, then no flow names vmn3.
for ((i = 0; i < 50; i++)); do
  all_flows | grep -Eq "$mac3|10\.10\.0\.3\b|${moa3//./\\.}\b" || break
  sleep 0.1
done
if all_flows | grep -E "$mac3|10\.10\.0\.3\b|${moa3//./\\.}\b"; then
  fail "flows of the expired vmn3 are left (above)"
fi
tb_check_invariants || fail "invariants after the expiry: $(cat "$TB_WORK/invariants.txt")"
echo "expiry: vmn3 expired (moa $moa3 held), vmn1 and vmn2 kept"

detected_before=$(count_log "vmn-detected $mac3 ")
# A guest idle for vmn_idle_s (an hour by default) has let its neighbour entries go; here 2 s
# are too short for that, so they are flushed: vmn3 ARPs for vmn2 as it would.
ip -n "$vmn3" neigh flush dev eth0
tb_wait_ping "$vmn3" 10.10.0.2 10 || fail "the expired vmn3 cannot come back"
(($(count_log "vmn-detected $mac3 ") > detected_before)) || fail "vmn3 came back without a vmn-detected line"
echo "expiry: vmn3 came back by its ARP and reaches vmn2"

# --- freeze ----------------------------------------------------------------------------------
twin=${TB_PREFIX}twin
tb_netns "$twin"
tb_veth "${TB_PREFIX}vtwin" "$twin" eth0  # a VM port by name (vm_ports: "tbh-v")
ip -n "$twin" link set eth0 address "$mac1"
ovs-vsctl --timeout=10 add-port "$(tb_bridge b)" "${TB_PREFIX}vtwin" \
  -- set interface "${TB_PREFIX}vtwin" ofport_request=30 || fail "attach the twin"

announce() {  # NS: QEMU's RARP announce from NS's eth0, waited for
  tb_spawn "$1" "$VMN_ANNOUNCE" --interface eth0 --quiet
  wait "$TB_LAST_PID" || fail "vmn-announce in $1 failed"
}
twin_at="dp 0xb port 30" own_at="dp 0xa port 11"
# Only the announces may move vmn1: its stack's own ARPs (a neighbour revalidation) would be
# moves too, so its neighbour entries are pinned for the fight.
while read -r addr lladdr; do
  ip -n "$vmn1" neigh replace "$addr" dev eth0 lladdr "$lladdr" nud permanent
done < <(ip -n "$vmn1" neigh show dev eth0 | awk '$2 == "lladdr" {print $1, $3}')
for k in 1 2 3 4; do
  if ((k % 2)); then who=$twin to=$twin_at; else who=$vmn1 to=$own_at; fi
  announce "$who"
  for ((i = 0; i < 100; i++)); do
    (($(count_log "migrated $mac1 ") >= k)) && break
    sleep 0.1
  done
  (($(count_log "migrated $mac1 ") == k)) || fail "after announce $k: $(count_log "migrated $mac1 ") migrations"
  grep -E "migrated $mac1 " "$log" | tail -n1 | grep -q "to $to " || fail "move $k did not go to $to"
done
wait_log "move-frozen $mac1 hoa 10.10.0.1 moved 4 times within the window: frozen at $own_at" 5 ||
  fail "vmn1 was not frozen at its own port after 4 moves"
flows_frozen=$(all_flows)
announce "$twin"
wait_log "frozen-move-refused $mac1 claimed at $twin_at, frozen at $own_at" 10 ||
  fail "the twin's announce after the freeze was not refused"
(($(count_log "migrated $mac1 ") == 4)) || fail "vmn1 moved after the freeze"
if [[ "$(all_flows)" != "$flows_frozen" ]]; then
  diff <(echo "$flows_frozen") <(all_flows) >&2 || true
  fail "the refused announce changed flows"
fi
after=$(ip netns exec "$vmn2" "$VMN_PROBE" probe --to 10.10.0.1:7000 --duration-s 1 --json || true)
echo "probe after the fight: $after"
(($(tb_json_field "$after" answered) >= 900)) || fail "vmn2 lost vmn1 after the freeze ($after)"
tb_check_invariants || fail "invariants after the freeze: $(cat "$TB_WORK/invariants.txt")"
ovs_sandbox_alive "$TB_CONTROLLER_PID" || fail "the controller exited"
echo "PASS: an idle VMN expires through OVS idle timeouts; a MAC two ports fight over is frozen"
