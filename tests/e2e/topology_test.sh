#!/usr/bin/env bash
# The three-site testbed without a controller (ctest labels e2e, ovs): the bridges are built as
# documented (dpid, secure fail mode, controller target, port numbers), the router routes
# between site subnets, a moved VMN keeps its MAC and port number on the new bridge, its
# announce reaches the new bridge with QEMU's five rounds, and the teardown leaves nothing
# behind, also when the script fails half way and when it runs twice.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

fail() { echo "FAIL: $*" >&2; ovs_sandbox_dump_logs; exit 1; }
# grep on captured output: `cmd | grep -q` under pipefail fails when grep exits first.
has() { grep -q -- "$2" <<<"$1"; }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"; }
# n_packets of the flow(s) on BRIDGE matching the ovs-ofctl match in $2. With EXPECTED ($3)
# it waits up to 2 s for that count: the userspace datapath's flow statistics reach
# OpenFlow with a delay.
n_packets() {
  local n i
  for ((i = 0; i < 20; i++)); do
    n=$(ovs-ofctl -O OpenFlow13 dump-flows "$1" "$2" | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | head -n1)
    [[ -z "${3:-}" || "$n" == "$3" ]] && break
    sleep 0.1
  done
  echo "$n"
}

# Nothing of ours may be left: namespaces, links, OVS daemons (by the pids they had).
assert_clean() {
  local what=$1 left
  left=$(ip netns list | awk '{print $1}' | grep "^$TB_PREFIX" || true)
  [[ -z "$left" ]] || fail "$what: namespaces left: $left"
  left=$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^($TB_PREFIX|${TB_BRIDGE_PREFIX}(a|b|c|l2a|l2b)$)" || true)
  [[ -z "$left" ]] || fail "$what: links left: $left"
}

TB_PREFIX=tbt-
TB_BRIDGE_PREFIX=tbt-br-

tb_init
tb_sites_up
tb_vmn_add "${TB_PREFIX}vmn1" 1 a
tb_vmn_add "${TB_PREFIX}vmn2" 2 b
tb_host_add "${TB_PREFIX}h1" 50 a
tb_host_add "${TB_PREFIX}h3" 50 c

# Bridges as documented.
for site in a b c; do
  br=$(tb_bridge "$site")
  expect_eq "$(ovs-vsctl get bridge "$br" datapath_type)" netdev "$br datapath"
  expect_eq "$(ovs-vsctl get bridge "$br" fail_mode)" secure "$br fail_mode"
  expect_eq "$(ovs-vsctl get-controller "$br")" "tcp:127.0.0.1:$TB_CONTROLLER_PORT" "$br controller"
  has "$(ovs-ofctl -O OpenFlow13 show "$br")" "dpid:$(tb_dpid "$site")" || fail "$br dpid"
  expect_eq "$(tb_ofport "${TB_PREFIX}up-$site")" 1 "$br uplink port"
done
expect_eq "$(tb_dpid a)$(tb_dpid b)$(tb_dpid c)" \
  000000000000000a000000000000000b000000000000000c "dpids"
expect_eq "$(tb_ofport "$(tb_vmn_link 1)")" 11 "vmn1 port"
expect_eq "$(tb_ofport "$(tb_vmn_link 2)")" 12 "vmn2 port"
expect_eq "$(ip -n "${TB_PREFIX}vmn1" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*')" \
  "link/ether 52:54:00:0a:00:01" "vmn1 MAC"
has "$(ip -n "${TB_PREFIX}vmn1" route)" "default via 10.10.0.254" || fail "vmn1 gateway"
expect_eq "$(ip -n "$(tb_router_ns)" -o link show site-b | grep -o 'link/ether [0-9a-f:]*')" \
  "link/ether 02:00:00:00:02:01" "router MAC on site b"
# Offload off on every veth end (TCP through userspace OVS needs it).
for link in "${TB_PREFIX}up-a" "$(tb_vmn_link 1)"; do
  has "$(ethtool -k "$link")" '^tx-checksumming: off' || fail "$link offload still on"
done
has "$(ip netns exec "${TB_PREFIX}vmn1" ethtool -k eth0)" '^tx-checksumming: off' || fail "vmn1 eth0 offload"

# Secure fail mode: with no controller, nothing crosses the bridge.
if ip netns exec "${TB_PREFIX}h1" ping -c2 -W1 -q 192.168.1.1 >/dev/null 2>&1; then
  fail "br-a forwarded without a controller"
fi
# With NORMAL flows standing in for a controller: site a host -> router -> site c host.
for site in a c; do
  ovs-ofctl -O OpenFlow13 add-flow "$(tb_bridge "$site")" "priority=0,actions=NORMAL"
done
tb_wait_ping "${TB_PREFIX}h1" 192.168.1.1 5 || fail "host a cannot reach its router"
tb_wait_ping "${TB_PREFIX}h1" 192.168.3.50 5 || fail "router does not route site a -> site c"
tb_wait_ping "${TB_PREFIX}h3" 192.168.1.50 5 || fail "router does not route site c -> site a"
expect_eq "$(ip netns exec "$(tb_router_ns)" sysctl -n net.ipv4.ip_forward)" 1 "ip_forward"
for site in a c; do
  ovs-ofctl -O OpenFlow13 del-flows "$(tb_bridge "$site")"
done

# A move a -> c: same MAC, same port number on br-c, gone from br-a; the announce arrives on
# br-c's port 11 as QEMU sends it: five RARPs, here each followed by a gratuitous ARP.
brc=$(tb_bridge c)
ovs-ofctl -O OpenFlow13 add-flow "$brc" "priority=100,in_port=11,dl_type=0x8035,dl_src=52:54:00:0a:00:01,dl_dst=ff:ff:ff:ff:ff:ff,actions=drop"
ovs-ofctl -O OpenFlow13 add-flow "$brc" "priority=100,in_port=11,arp,arp_spa=10.10.0.1,arp_tpa=10.10.0.1,actions=drop"
tb_vmn_migrate "${TB_PREFIX}vmn1" c --gratuitous-arp 10.10.0.1
announce_pid=$TB_LAST_PID
expect_eq "$(ovs-vsctl port-to-br "$(tb_vmn_link 1)")" "$brc" "vmn1 bridge after move"
expect_eq "$(tb_ofport "$(tb_vmn_link 1)")" 11 "vmn1 port after move"
has "$(ovs-vsctl list-ports "$(tb_bridge a)")" "^$(tb_vmn_link 1)\$" && fail "vmn1 still on br-a"
expect_eq "$(ip -n "${TB_PREFIX}vmn1" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*')" \
  "link/ether 52:54:00:0a:00:01" "vmn1 MAC after move"
wait "$announce_pid" || fail "vmn-announce failed"
sleep 0.2
expect_eq "$(n_packets "$brc" "dl_type=0x8035,in_port=11" 5)" 5 "RARP announces seen by br-c"
expect_eq "$(n_packets "$brc" "arp,in_port=11" 5)" 5 "gratuitous ARPs seen by br-c"
# QEMU's timing on the wire: rounds at +0, 50, 200, 450, 800 ms (announce-initial 50,
# step 100, rounds 5), seen by a capture on the VMN's port.
capture="$TB_WORK/announce.txt"
timeout 10 tcpdump -i "$(tb_vmn_link 1)" -n -tt -c 5 'ether proto 0x8035' >"$capture" 2>/dev/null &
capture_pid=$!
tb_track_pid "$capture_pid"
sleep 1  # tcpdump needs a moment before it captures
tb_vmn_announce "${TB_PREFIX}vmn1"
wait "$TB_LAST_PID" || fail "vmn-announce failed"
wait "$capture_pid" || fail "capture of the announce failed: $(cat "$capture")"
python3 - "$capture" <<'PY' || fail "announce timing is not QEMU's: $(cat "$capture")"
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if "Reverse" in l or "rarp" in l.lower()]
offsets = [round((x - t[0]) * 1000) for x in t]
print("announce offsets ms:", offsets)
expected = [0, 50, 200, 450, 800]
sys.exit(0 if len(t) == 5 and all(abs(o - e) <= 40 for o, e in zip(offsets, expected)) else 1)
PY
# A spoofed announce carries the MAC it is given, from the port it is sent on.
ovs-ofctl -O OpenFlow13 add-flow "$brc" "priority=110,in_port=11,dl_type=0x8035,dl_src=52:54:00:0a:00:02,actions=drop"
tb_vmn_announce "${TB_PREFIX}vmn1" --spoof-mac 52:54:00:0a:00:02 --rounds 2
wait "$TB_LAST_PID" || fail "spoofed vmn-announce failed"
sleep 0.2
expect_eq "$(n_packets "$brc" "dl_type=0x8035,in_port=11,dl_src=52:54:00:0a:00:02" 2)" 2 "spoofed RARPs"
# Moving back restores the original placement.
tb_vmn_move "${TB_PREFIX}vmn1" a
expect_eq "$(ovs-vsctl port-to-br "$(tb_vmn_link 1)")" "$(tb_bridge a)" "vmn1 back on br-a"
expect_eq "$(tb_ofport "$(tb_vmn_link 1)")" 11 "vmn1 port after moving back"

# The L2 baseline topology lives beside it.
tb_l2_up
expect_eq "$(ovs-vsctl get bridge "$(tb_bridge l2a)" fail_mode)" standalone "l2a fail_mode"
expect_eq "$(tb_ofport "${TB_PREFIX}trunk-b")" 1 "l2b trunk port"

# Teardown, twice; then a script that fails half way must clean up through its trap.
tb_teardown
assert_clean "after teardown"
tb_teardown
assert_clean "after second teardown"

rc=0
bash -s "$here/lib/testbed.sh" <<'CHILD' || rc=$?
set -euo pipefail
TB_PREFIX=tbt-
TB_BRIDGE_PREFIX=tbt-br-
source "$1"
tb_init
tb_sites_up
tb_vmn_add "${TB_PREFIX}vmn1" 1 a
tb_spawn "${TB_PREFIX}vmn1" sleep 600
false
CHILD
[[ $rc != 0 ]] || fail "the failing child script succeeded"
assert_clean "after a failing script"
echo "PASS: topology, move, announce, teardown"
