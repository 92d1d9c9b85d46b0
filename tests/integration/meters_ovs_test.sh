#!/usr/bin/env bash
# limits.switch_meters against a private Open vSwitch 3.1 (netdev datapath, isolated sandbox):
# vmnctl-ofc programs a pktps meter for ARP->controller and its own for RARP->controller, and
# the two flows carry them (dump-meters, dump-flows); RARP sits above ARP; the METER_FEATURES
# asked in the handshake do not make it give them up. Needs root (label ovs).
#   meters_ovs_test.sh VMNCTL_OFC
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/ovs-sandbox.sh
source "$here/../lib/ovs-sandbox.sh"
ctl=$1
[[ -x "$ctl" ]] || { echo "FAIL: $ctl not executable" >&2; exit 1; }
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: needs root" >&2
  exit 77
fi
export OVS_SANDBOX_ISOLATED=1
ovs_sandbox_start || { echo "FAIL: sandbox did not start" >&2; exit 1; }
work=$(mktemp -d /tmp/vmnmob-meters.XXXXXX)
ctl_pid=""
cleanup_ctl() {
  if [[ -n "$ctl_pid" ]]; then
    kill -TERM "$ctl_pid" 2>/dev/null || true
    ovs_sandbox_kill_pid "$ctl_pid"
    ctl_pid=""
  fi
}
ovs_sandbox_on_exit cleanup_ctl
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/log" ]] && { echo "--- vmnctl-ofc" >&2; cat "$work/log" >&2; }
  [[ -r "$OVS_LOGDIR/ovs-vswitchd.log" ]] && { echo "--- ovs-vswitchd.log (tail)" >&2; tail -n 20 "$OVS_LOGDIR/ovs-vswitchd.log" >&2; }
  exit 1
}
br=brm
ovs_sandbox_add_bridge "$br" 000000000000a701 || fail "bridge"
port=6653
cat >"$work/c.json" <<JSON
{ "openflow": {"listen": "127.0.0.1:$port"},
  "home": {"prefix": "10.10.0.0/24", "gateway": "10.10.0.254"},
  "sites": [ {"name": "m", "dpid": "0xa701", "uplink": "up-m", "gateway": "192.168.9.1",
              "gateway_mac": "02:00:00:00:09:01", "mobile_pool": ["192.168.9.100-192.168.9.109"]} ],
  "limits": {"packet_in_per_switch": {"rate": 1000, "burst": 200},
             "announce_per_switch": {"rate": 200, "burst": 100}, "switch_meters": true},
  "log": {"level": "debug"} }
JSON
ovs_sandbox_exec "$ctl" --config "$work/c.json" >"$work/log" 2>&1 &
ctl_pid=$!
ovs-vsctl set-fail-mode "$br" secure -- set-controller "$br" "tcp:127.0.0.1:$port"
OF=(ovs-ofctl -O OpenFlow13)
for ((i = 0; i < 100; i++)); do
  "${OF[@]}" dump-flows "$br" 2>/dev/null | grep -q "meter:" && break
  sleep 0.1
done
flows=$("${OF[@]}" dump-flows "$br") || fail "dump-flows"
meters=$("${OF[@]}" dump-meters "$br") || fail "dump-meters"
echo "$flows"
echo "$meters"
# 0xa701 = 42753 (ARP), 0xa702 = 42754 (RARP).
grep -Eq "meter=42753 pktps burst stats bands=\s*type=drop rate=1000 burst_size=200" <<<"$(tr '\n' ' ' <<<"$meters")" \
  || fail "no ARP meter 42753 (pktps, drop rate 1000 burst 200)"
grep -Eq "meter=42754 pktps burst stats bands=\s*type=drop rate=200 burst_size=100" <<<"$(tr '\n' ' ' <<<"$meters")" \
  || fail "no RARP meter 42754 (pktps, drop rate 200 burst 100)"
grep -Eq "priority=1000,arp actions=meter:42753,CONTROLLER:65535" <<<"$flows" || fail "ARP flow without its meter"
grep -Eq "priority=1010,rarp actions=meter:42754,CONTROLLER:65535" <<<"$flows" || fail "RARP flow without its own meter and priority"
grep -q "refused" "$work/log" && fail "the switch refused a message"
# The handshake asked OVS what its meters can do (METER_FEATURES) and found them usable.
grep -q "meters-unusable" "$work/log" && fail "OVS's meters were judged unusable"
echo "PASS"
