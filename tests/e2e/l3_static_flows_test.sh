#!/usr/bin/env bash
# The paper's HoA<->MoA translation written by hand (ctest labels e2e, ovs): no controller; the
# test itself plays it with ovs-ofctl, to show that the three-site testbed carries what the
# controller will install, including a migration to another site with a new MoA.
#
#   vmn1 (HoA 10.10.0.1) at site a, MoA 192.168.1.100; vmn2 (HoA 10.10.0.2) at site b,
#   MoA 192.168.2.100. vmn2 probes vmn1 (ping -D, vmn-probe 1 ms) and streams TCP to it.
#   vmn1 moves to site c, announces itself, and the "controller" (this script) takes MoA
#   192.168.3.100: new flows on br-c and on the correspondent's br-b, old flows off br-a.
#
# Stand-ins for what the controller does with packet-ins here: proxy ARP (static neighbour
# entries in the VMNs) and answering the router's ARP for a MoA (static neighbours in the
# router). The downtime printed is that of this scripted reprogramming (a few ovs-ofctl
# calls), not the controller's; what is asserted is that traffic survives the MoA change.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/testbed.sh
source "$here/lib/testbed.sh"

fail() { echo "FAIL: $*" >&2; ovs_sandbox_dump_logs; exit 1; }

TB_PREFIX=tbs-
TB_BRIDGE_PREFIX=tbs-br-
tb_init
tb_sites_up
vmn1=${TB_PREFIX}vmn1
vmn2=${TB_PREFIX}vmn2
tb_vmn_add "$vmn1" 1 a
tb_vmn_add "$vmn2" 2 b
router=$(tb_router_ns)

# Proxy ARP stand-in: each VMN resolves the other's HoA to the other's MAC.
ip -n "$vmn1" neigh replace 10.10.0.2 lladdr "$(tb_vmn_mac 2)" dev eth0 nud permanent
ip -n "$vmn2" neigh replace 10.10.0.1 lladdr "$(tb_vmn_mac 1)" dev eth0 nud permanent

# Flows of VMN INDEX (cookie INDEX) at SITE with MoA for its correspondent PEER (index, MoA):
# egress rewrites HoA->MoA on both addresses and sends to the site router; ingress rewrites
# back and delivers to the VMN's port. Written as one batch per bridge.
flows_for() {
  local index=$1 site=$2 moa=$3 peer=$4 peer_moa=$5
  local port hoa peer_hoa
  port=$(tb_vmn_port "$index")
  hoa=$(tb_vmn_hoa "$index")
  peer_hoa=$(tb_vmn_hoa "$peer")
  cat <<EOF
cookie=$index,priority=100,in_port=$port,ip,nw_src=$hoa,nw_dst=$peer_hoa,actions=set_field:$moa->ip_src,set_field:$peer_moa->ip_dst,set_field:$(tb_router_mac "$site")->eth_dst,output:$TB_UPLINK_PORT
cookie=$index,priority=100,in_port=$TB_UPLINK_PORT,ip,nw_src=$peer_moa,nw_dst=$moa,actions=set_field:$peer_hoa->ip_src,set_field:$hoa->ip_dst,set_field:$(tb_vmn_mac "$index")->eth_dst,output:$port
EOF
}
program() {
  local site=$1
  shift
  "$@" | ovs-ofctl -O OpenFlow13 add-flows "$(tb_bridge "$site")" - || fail "flows on $site"
}
# The router reaches a MoA through the site bridge's uplink (the controller would answer its ARP).
router_knows() {
  local moa=$1 index=$2 site=$3
  ip -n "$router" neigh replace "$moa" lladdr "$(tb_vmn_mac "$index")" dev "site-$site" nud permanent
}

moa1=192.168.1.100
moa2=192.168.2.100
program a flows_for 1 a "$moa1" 2 "$moa2"
program b flows_for 2 b "$moa2" 1 "$moa1"
router_knows "$moa1" 1 a
router_knows "$moa2" 2 b

tb_spawn "$vmn1" "$VMN_PROBE" echo --listen 10.10.0.1:7000
tb_wait_ping "$vmn2" 10.10.0.1 10 || fail "vmn2 cannot reach vmn1 through the translation"
# The router saw MoAs, never HoAs: the HoA subnet has no route there.
[[ -z "$(ip -n "$router" route show 10.10.0.0/24)" ]] || fail "router must not know the home subnet"

tb_tcp_stream_start stream "$vmn2" "$vmn1" 10.10.0.1 7001 $((2 * 1024 * 1024)) 5
tb_ping_start ping "$vmn2" 10.10.0.1 6
tb_probe_start probe "$vmn2" 10.10.0.1:7000 6
sleep 2

# Migration a -> c, and what the controller does on the announce: new MoA at c, the
# correspondent's site b rewritten for it, the old site's flows removed by cookie.
moa1_new=192.168.3.100
tb_vmn_migrate "$vmn1" c
announce=$TB_LAST_PID
program c flows_for 1 c "$moa1_new" 2 "$moa2"
router_knows "$moa1_new" 1 c
program b flows_for 2 b "$moa2" 1 "$moa1_new"
ovs-ofctl -O OpenFlow13 del-flows "$(tb_bridge a)" "cookie=1/-1" || fail "remove old flows"
# The correspondent's old ingress flow (from the old MoA) is gone: replaced flows keep only
# matches for the new MoA.
ovs-ofctl -O OpenFlow13 del-flows "$(tb_bridge b)" "cookie=2/-1,ip,nw_src=$moa1" || fail "remove stale"

probe=$(tb_probe_result probe)
ping=$(tb_ping_result ping)
wait "$announce" || fail "vmn-announce failed"
echo "vmn-probe $probe"
echo "ping $ping"

probe_ms=$(tb_json_field "$probe" downtime_ms)
ping_ms=$(tb_json_field "$ping" downtime_ms)
[[ $(tb_json_field "$ping" resumed) == True ]] || fail "ping never answered again: $ping"
[[ -n "$probe_ms" && -n "$ping_ms" ]] || fail "a probe got no answers"
python3 -c "import sys; p, q = map(float, sys.argv[1:]); sys.exit(0 if p < 3000 and q < 3000 else 1)" \
  "$probe_ms" "$ping_ms" || fail "downtime out of range"
after=$(ip netns exec "$vmn2" "$VMN_PROBE" probe --to 10.10.0.1:7000 --duration-s 1 --json || true)
(($(tb_json_field "$after" answered) >= 900)) || fail "traffic did not resume ($after)"
tb_tcp_stream_check stream 20 || fail "TCP stream across the MoA change broken: $TB_RESULT"
echo "tcp $TB_RESULT"
# Traffic now really goes through site c with the new MoA, and nothing of vmn1 is left at a.
n_c=$(ovs-ofctl -O OpenFlow13 dump-flows "$(tb_bridge c)" "in_port=1,ip,nw_dst=$moa1_new" \
  | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p')
((n_c > 100)) || fail "no traffic on the new MoA at site c (n_packets=$n_c)"
[[ -z "$(ovs-ofctl -O OpenFlow13 dump-flows "$(tb_bridge a)" "cookie=1/-1" | grep cookie || true)" ]] \
  || fail "vmn1's flows left on br-a"
echo "PASS: HoA<->MoA translation by static flows carries UDP, ICMP and TCP across a site change"
