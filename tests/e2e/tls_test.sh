#!/usr/bin/env bash
# Transport security with real OVS (ctest labels e2e, ovs): who may be which switch.
#
# TLS_E2E_MODE=ssl (default): certificates made here (tests/lib/make-test-pki.sh, openssl), the
#   bridges dial ssl: with `ovs-vsctl set-ssl`; site a is bound by subject, b by SHA-256
#   fingerprint, every site's allowed_peers is 127.0.0.1/32. A migration a -> c runs over TLS
#   under probes. Then, while vmn2 probes vmn1: a switch with a certificate from another CA is
#   refused at the TLS handshake; a switch with a certificate of our CA but not the site's,
#   claiming the datapath id of vmn1's switch and announcing vmn1's MAC, is refused by admission;
#   an unknown datapath id is refused.
# TLS_E2E_MODE=tcp: plain TCP on 0.0.0.0 (the controller warns), allowed_peers 127.0.0.1/32; a
#   rogue from a namespace address claims vmn1's switch's datapath id and announces vmn1's MAC:
#   refused; an unknown datapath id from 127.0.0.1 is refused.
# Either way: no rogue ever appears as a switch, no real switch goes down, every bridge's flows
# are unchanged, and the probes lose nothing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

tb_require_controller
fail() { tb_fail "$@"; }
mode=${TLS_E2E_MODE:-ssl}
FAKE_SWITCH=${VMNMOB_FAKE_SWITCH:-$TB_BUILD_DIR/tests/fakes/vmnmob-fake-switch}
[[ -x $FAKE_SWITCH ]] || fail "no $FAKE_SWITCH"

TB_PREFIX=tbs-
TB_BRIDGE_PREFIX=tbs-br-
tb_init
port=$TB_CONTROLLER_PORT
for site in "${TB_SITES[@]}"; do TB_SITE_EXTRA[$site]='"allowed_peers": ["127.0.0.1/32", "::1"]'; done
if [[ $mode == ssl ]]; then
  pki=$TB_WORK/pki
  tb_tls_setup "$pki" impostor rogue@other-ca
  TB_LISTEN="ssl:127.0.0.1:$port"
  fingerprint=$(openssl x509 -in "$pki/ovs-switch.pem" -noout -fingerprint -sha256 | cut -d= -f2)
  TB_SITE_EXTRA[a]+=', "certificate": "subject:CN=ovs-switch,O=vmnmob test"'
  TB_SITE_EXTRA[b]+=", \"certificate\": \"sha256:$fingerprint\""
  TB_SITE_EXTRA[c]+=", \"certificate\": \"sha256:$(tr -d ':' <<<"$fingerprint" | tr 'A-F' 'a-f')\""
else
  TB_LISTEN="0.0.0.0:$port"
  rogue_ns=${TB_PREFIX}rogue
  tb_netns "$rogue_ns"
  tb_veth "${TB_PREFIX}rg" "$rogue_ns" eth0
  ip addr add 10.99.0.1/30 dev "${TB_PREFIX}rg"
  ip link set "${TB_PREFIX}rg" up
  ip -n "$rogue_ns" addr add 10.99.0.2/30 dev eth0
fi
tb_sites_up
vmn1=${TB_PREFIX}vmn1
vmn2=${TB_PREFIX}vmn2
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 b

tb_controller_start "$VMNCTL_OFC_CMD" || fail "bridges did not connect to the controller"
controller=$TB_CONTROLLER_PID
log=$(tb_controller_log)
if [[ $mode == ssl ]]; then
  grep -q "listening for switches on 127.0.0.1:$port over TLS" "$log" || fail "not listening over TLS"
  for site in "${TB_SITES[@]}"; do
    [[ $(ovs-vsctl get controller "$(tb_bridge "$site")" target) == "\"ssl:127.0.0.1:$port\"" ]] \
      || fail "bridge of site $site does not use ssl:"
  done
else
  grep -q "without TLS" "$log" || fail "no warning for plain TCP on 0.0.0.0"
fi
[[ $(grep -c "switch up dp" "$log") -eq 3 ]] || fail "expected 3 switches up"

tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1's HoA"
tb_wait_ping "$vmn1" 10.10.0.2 10 || fail "vmn1 cannot reach vmn2's HoA"

# A migration over this channel (a -> c), measured as l3_migration_test does.
tb_measured_move "$vmn1" c "$vmn2" 10.10.0.1 || fail "migration announce failed"
echo "migration a->c ($mode): ping $TB_PING"
echo "migration a->c ($mode): vmn-probe $TB_PROBE"
[[ $(tb_json_field "$TB_PING" resumed) == True ]] || fail "ping never answered again after the migration"
grep -q "migrated" "$log" || fail "the controller logged no migration"
sleep 1

# The rogues, under probes; flows before and after must be identical.
declare -A before=()
for site in "${TB_SITES[@]}"; do before[$site]=$(tb_flows "$site"); done
tb_ping_start rogue-ping "$vmn2" 10.10.0.1 6
tb_probe_start rogue-probe "$vmn2" 10.10.0.1:7000 6
sleep 1
vmn1_mac=$(tb_vmn_mac 1)
rogue() {  # expected-log-text description fake-switch-args...
  local expect=$1 what=$2 out
  shift 2
  out=$("$@") || fail "$what: the rogue was admitted ($out)"
  echo "$what: $out"
  sleep 0.3
  grep -qF "$expect" "$log" || fail "$what: controller log lacks '$expect'"
}
if [[ $mode == ssl ]]; then
  rogue "certificate verify failed" "certificate from another CA" \
    "$FAKE_SWITCH" --port "$port" --dpid 0xc --tls "$pki/rogue.pem" "$pki/rogue.key" "$pki/ca.pem" --announce "$vmn1_mac"
  rogue "is not sites[2] (site-c).certificate" "our CA's certificate, not site c's, claiming dp 0xc" \
    "$FAKE_SWITCH" --port "$port" --dpid 0xc --tls "$pki/impostor.pem" "$pki/impostor.key" "$pki/ca.pem" --announce "$vmn1_mac"
  rogue "does not match sites[0] (site-a).certificate" "our CA's certificate, not site a's, claiming dp 0xa" \
    "$FAKE_SWITCH" --port "$port" --dpid 0xa --tls "$pki/impostor.pem" "$pki/impostor.key" "$pki/ca.pem" --announce "$vmn1_mac"
  rogue "unknown datapath id" "unknown datapath id over TLS" \
    "$FAKE_SWITCH" --port "$port" --dpid 0x99 --tls "$pki/ovs-switch.pem" "$pki/ovs-switch.key" "$pki/ca.pem"
else
  rogue "peer address 10.99.0.2 is not in sites[2] (site-c).allowed_peers" "plain TCP from 10.99.0.2 claiming dp 0xc" \
    ip netns exec "$rogue_ns" "$FAKE_SWITCH" --host 10.99.0.1 --port "$port" --dpid 0xc --announce "$vmn1_mac"
  rogue "unknown datapath id" "unknown datapath id over plain TCP" \
    "$FAKE_SWITCH" --port "$port" --dpid 0x99
fi
ping=$(tb_ping_result rogue-ping)
probe=$(tb_probe_result rogue-probe)
echo "during the rogues: ping $ping"
echo "during the rogues: vmn-probe $probe"
[[ $(tb_json_field "$ping" lost) == 0 ]] || fail "ping lost probes while rogues connected: $ping"
[[ $(tb_json_field "$ping" unanswered_at_end) == 0 || -z $(tb_json_field "$ping" unanswered_at_end) ]] \
  || fail "ping unanswered at the end: $ping"
for site in "${TB_SITES[@]}"; do
  [[ "$(tb_flows "$site")" == "${before[$site]}" ]] || {
    diff <(echo "${before[$site]}") <(tb_flows "$site") >&2 || true
    fail "flows of site $site changed while rogues connected"
  }
done
[[ $(grep -c "switch up dp" "$log") -eq 3 ]] || fail "a rogue came up as a switch"
grep -q "switch down dp" "$log" && fail "a real switch went down"
grep -q "migrated.*$vmn1_mac\|$vmn1_mac.*migrated" "$log" && [[ $(grep -c "migrated" "$log") -gt 1 ]] \
  && fail "a rogue moved vmn1"
tb_wait_connected 2 || fail "a bridge lost its controller connection"
ovs_sandbox_alive "$controller" || fail "the controller exited"
grep -E "switch-refused|switch refused|handshake" "$log" | tail -n 8
echo "PASS: transport security ($mode): migration over the channel, rogues refused, nothing moved"
