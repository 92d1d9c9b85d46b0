#!/usr/bin/env bash
# A spoofed announce does not move a VMN (ctest labels e2e, ovs, l3). Skipped (exit 77)
# without VMNCTL_OFC_CMD (see l3_migration_test.sh).
#
# vmn1 (site a) is probed at 1 ms by its correspondent vmn2 (site b); vmn3 (site c, a VMN the
# controller knows) sends QEMU's five-round RARP announce carrying vmn1's MAC from its own port,
# then a gratuitous ARP for vmn1's HoA with vmn1's MAC. Asserted:
#   - the controller logs a spoof-refused line for vmn1's MAC claimed at vmn3's port (dp 0xc
#     port 13), staying at dp 0xa port 11, and no migration;
#   - vmn1 keeps talking to vmn2: the probe running across the spoof loses nothing worth a
#     migration (< 50 ms), and a probe afterwards answers >= 90%;
#   - no bridge's flows changed (cookie, table, priority, match, actions).
# Then vmn1 really migrates a -> c (a port of its own): the spoof defence does not stop it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

tb_require_controller
fail() { tb_fail "$@"; }

TB_PREFIX=tbf-
TB_BRIDGE_PREFIX=tbf-br-
TB_CONTROLLER_PORT=${TB_CONTROLLER_PORT_SPOOF:-6672}
tb_init
tb_sites_up
vmn1=${TB_PREFIX}vmn1 vmn2=${TB_PREFIX}vmn2 vmn3=${TB_PREFIX}vmn3
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 b
tb_vmn_add "$vmn3" 3 c
tb_controller_start "$VMNCTL_OFC_CMD" || fail "bridges did not connect to the controller"
log=$(tb_controller_log)

tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1"
tb_wait_ping "$vmn3" 10.10.0.2 10 || fail "vmn3 cannot reach vmn2"  # vmn3 is a registered VMN
grep -q "vmn-detected $(tb_vmn_mac 3) .* at dp 0xc port 13" "$log" || fail "vmn3 not detected at dp 0xc port 13"
declare -A flows_before
for site in a b c; do flows_before[$site]=$(tb_flows "$site"); done

mac1=$(tb_vmn_mac 1)
tb_probe_start probe "$vmn2" 10.10.0.1:7000 4
sleep 1
tb_vmn_announce "$vmn3" --spoof-mac "$mac1"
wait "$TB_LAST_PID" || fail "the spoofed vmn-announce failed"
# The guest-style announce too: a gratuitous ARP for vmn1's HoA from vmn1's MAC, sent from
# vmn3's port (a raw frame: vmn3's own stack would put its own MAC and address in it).
ip netns exec "$vmn3" python3 - "$mac1" <<'PY' || fail "gratuitous ARP not sent"
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
hoa = socket.inet_aton("10.10.0.1")
frame = b"\xff" * 6 + mac + struct.pack("!H", 0x0806) + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) \
    + mac + hoa + b"\x00" * 6 + hoa
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(3):
    s.send(frame)
PY
probe=$(tb_probe_result probe)
echo "probe across the spoof: $probe"

for ((i = 0; i < 20; i++)); do
  (($(grep -c "spoof-refused $mac1 claimed at dp 0xc port 13, stays at dp 0xa port 11" "$log" || true) >= 6)) && break
  sleep 0.1
done
refused=$(grep -c "spoof-refused $mac1 claimed at dp 0xc port 13, stays at dp 0xa port 11" "$log" || true)
echo "spoof-refused lines: $refused"
((refused >= 6)) || fail "expected the 5 RARPs and the gratuitous ARPs refused, got $refused refusals"
if grep "migrated $mac1" "$log"; then fail "vmn1 moved"; fi
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 50 else 1)" "$(tb_json_field "$probe" downtime_ms)" \
  || fail "vmn1's traffic was disturbed by the spoof ($probe)"
after=$(ip netns exec "$vmn2" "$VMN_PROBE" probe --to 10.10.0.1:7000 --duration-s 1 --json || true)
echo "probe after the spoof: $after"
(($(tb_json_field "$after" answered) >= 900)) || fail "vmn2 lost vmn1 ($after)"
for site in a b c; do
  if [[ "$(tb_flows "$site")" != "${flows_before[$site]}" ]]; then
    diff <(echo "${flows_before[$site]}") <(tb_flows "$site") >&2 || true
    fail "site $site: the spoof changed flows"
  fi
done

# A real migration of vmn1 to site c (its own port 11 there) is still accepted.
tb_vmn_migrate "$vmn1" c
wait "$TB_LAST_PID" || fail "vmn-announce failed"
grep -q "migrated $mac1 hoa 10.10.0.1 from dp 0xa port 11 .* to dp 0xc port 11" "$log" || fail "the real migration was refused"
tb_wait_ping "$vmn2" 10.10.0.1 5 || fail "vmn2 cannot reach vmn1 after its real migration"
ovs_sandbox_alive "$TB_CONTROLLER_PID" || fail "the controller exited"
echo "PASS: a spoofed announce does not move a VMN; a real migration still does"
