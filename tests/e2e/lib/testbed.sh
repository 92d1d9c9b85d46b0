# shellcheck shell=bash
# testbed.sh: the paper's multi-site topology on one machine (docs/TESTBED.md has the picture).
#
# Source this file (it sources tests/lib/ovs-sandbox.sh), then:
#   tb_init                         private OVS, EXIT trap that tears everything down
#   tb_sites_up                     br-a/br-b/br-c (dpid 0xa/0xb/0xc, secure, controller set),
#                                   each with an uplink (OpenFlow port 1) to one router netns
#   tb_vmn_add NAME INDEX SITE      VMN netns NAME: eth0 MAC 52:54:00:0a:00:II,
#                                   HoA 10.10.0.INDEX/24, default via 10.10.0.254, port 10+INDEX
#   tb_host_add NAME INDEX SITE     a plain (non-VMN) host 192.168.S.INDEX/24 via 192.168.S.1
#   tb_vmn_move NAME SITE           the VMN's port leaves its bridge and joins SITE's (same MAC,
#                                   same OpenFlow port number), as a hypervisor's tap would
#   tb_vmn_announce NAME [ARGS]     vmn-announce in NAME's netns (QEMU timing), in the background
#   tb_vmn_migrate NAME SITE [ARGS] move + announce (armed before, fired right after the move);
#                                   returns right after the move
#   tb_l2_up                        L2 baseline: bridges l2a/l2b (NORMAL, no controller) joined by
#                                   a trunk veth, one segment; VMNs attach with SITE l2a or l2b
#   tb_spawn NS CMD...              a background command inside netns NS (pid in TB_LAST_PID)
#   tb_track_pid PID                a host process to stop at teardown (e.g. QEMU)
#   tb_tap_add NAME SITE OFPORT     a tap for a QEMU guest on SITE's bridge
#   tb_teardown                     kills what was spawned, removes bridges, veths, netns, OVS;
#                                   runs from the EXIT trap too; safe to run twice
#   tb_site_config FILE             the sites as controller configuration (JSON)
#   tb_tls_setup DIR                certificates (tests/lib/make-test-pki.sh) in DIR, OVS's set-ssl,
#                                   bridges dial ssl: and the configuration gets openflow.tls;
#                                   call after tb_init, before tb_sites_up
#   tb_wait_connected [S]           until all three bridges are connected to the controller
#   tb_controller_start CMD [S]     tb_site_config + the controller command line CMD in the
#                                   background (log: tb_controller_log), then tb_wait_connected
#   tb_controller_reactions         the "migrated ... reaction N us" values logged so far (us)
#   tb_relay_start SITE PORT        lib/of_relay.py on 127.0.0.1:PORT in front of the controller,
#                                   and SITE's bridge dials it instead (call before the controller)
#   tb_relay CMD...                 a command to that relay (mode pass|hold-barrier|cut-on-barrier,
#                                   release, cut, status), prints its one-line answer
#   tb_flows SITE                   the site bridge's flows without counters, sorted (to compare)
#   tb_check_invariants [S]         polls (at most S s, default 15) until: no MoA held by two VMNs
#                                   (state file), every bridge's dump-flows equals what the engine
#                                   believes (vmnctl-ofc --show-flows), each MoA delivered on one
#                                   bridge only; prints the differences and fails otherwise
#   tb_measured_move VMN SITE CN ADDR [PROBE_S] [AT_S]
#                                   tb_vmn_migrate under ping -D and vmn-probe from netns CN
#                                   (results in TB_PING, TB_PROBE)
#   tb_stats KEY... <JSONL          median/mean/min/max per KEY over JSON lines, as JSON
#   tb_capture_start NAME IF FILTER / tb_capture_stop NAME...
#                                   tcpdump into $TB_WORK/NAME.pcap (lib/of_timeline.py reads the
#                                   OpenFlow channel's capture: the reaction on the wire)
# Helpers for measurements: tb_ping_downtime, tb_probe_start/tb_probe_result,
# tb_tcp_stream_start/tb_tcp_stream_check, tb_wait_ping.
#
# Names are global on the host (bridges, veths, netns): TB_PREFIX (netns and veth prefix,
# default "tb-") and TB_BRIDGE_PREFIX (default "br-") keep two testbeds apart. Before
# building, leftovers with the same names from a killed run are removed.

if [[ -n "${TB_LIB_LOADED:-}" ]]; then
  return 0
fi
TB_LIB_LOADED=1

TB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_REPO_DIR=$(cd "$TB_LIB_DIR/../../.." && pwd)
# shellcheck source=../../lib/ovs-sandbox.sh
source "$TB_REPO_DIR/tests/lib/ovs-sandbox.sh"

TB_PREFIX=${TB_PREFIX:-tb-}
TB_BRIDGE_PREFIX=${TB_BRIDGE_PREFIX:-br-}
TB_CONTROLLER_PORT=${TB_CONTROLLER_PORT:-6653}
TB_CONTROLLER_TARGET=${TB_CONTROLLER_TARGET:-tcp}  # how the bridges dial: tcp or ssl
TB_LISTEN=${TB_LISTEN:-}                            # openflow.listen (default 127.0.0.1:PORT)
TB_OPENFLOW_EXTRA=${TB_OPENFLOW_EXTRA:-}            # extra members of "openflow" (e.g. "tls")
declare -A TB_SITE_EXTRA=()                         # site -> extra members of its sites[] entry
TB_BUILD_DIR=${TB_BUILD_DIR:-$TB_REPO_DIR/build}
VMN_ANNOUNCE=${VMN_ANNOUNCE:-$TB_BUILD_DIR/apps/vmn-announce/vmn-announce}
VMN_PROBE=${VMN_PROBE:-$TB_BUILD_DIR/apps/vmn-probe/vmn-probe}
TB_WORK=""           # per-run scratch directory (logs, stream files)
TB_SPAWNED=()        # pids of background commands
TB_NETNS=()          # every netns this testbed created
TB_LINKS=()          # every host-side link this testbed created
declare -A TB_VMN_SITE=()   # VMN name -> site it is attached to now
declare -A TB_VMN_INDEX=()  # VMN name -> index (HoA host part, port 10+index)

TB_HOME_PREFIX=10.10.0
TB_HOME_GATEWAY=10.10.0.254
TB_SITES=(a b c)

tb_log() { echo "testbed: $*" >&2; }
tb_die() { tb_log "FAIL: $*"; exit 1; }

# Site letter -> number (a=1: subnet 192.168.1.0/24, dpid 0xa).
tb_site_number() {
  case $1 in
    a) echo 1 ;; b) echo 2 ;; c) echo 3 ;;
    *) tb_die "unknown site '$1'" ;;
  esac
}
tb_bridge() {
  case $1 in
    a | b | c | l2a | l2b) echo "${TB_BRIDGE_PREFIX}$1" ;;
    *) tb_die "unknown site '$1'" ;;
  esac
}
tb_dpid() { printf '%016x' "$((0xa + $(tb_site_number "$1") - 1))"; }
tb_router_ns() { echo "${TB_PREFIX}router"; }
tb_router_mac() { printf '02:00:00:00:%02x:01' "$(tb_site_number "$1")"; }
tb_vmn_mac() { printf '52:54:00:0a:00:%02x' "$1"; }
tb_vmn_hoa() { echo "$TB_HOME_PREFIX.$1"; }
tb_vmn_port() { echo $((10 + $1)); }
tb_vmn_link() { echo "${TB_PREFIX}v$1"; }  # host side of VMN INDEX's veth
TB_UPLINK_PORT=1

# The OpenFlow port number of LINK on its bridge ("" when not attached).
tb_ofport() {
  local n
  n=$(ovs-vsctl --timeout=5 get interface "$1" ofport 2>/dev/null) || return 0
  [[ "$n" =~ ^[0-9]+$ && "$n" != 0 ]] && echo "$n"
  return 0
}

# Missing privileges or system packages skip the test (exit 77, ctest SKIP_RETURN_CODE);
# missing project binaries fail it.
TB_SKIP=77
tb_skip() { echo "SKIP: $*"; exit "$TB_SKIP"; }
tb_check_tools() {
  local t
  [[ $(id -u) == 0 ]] || tb_skip "needs root"
  for t in ip ethtool ovs-vsctl ovs-ofctl ovsdb-server ovs-vswitchd python3 ping socat tcpdump; do
    command -v "$t" >/dev/null 2>&1 || tb_skip "missing tool $t"
  done
  [[ -x "$VMN_ANNOUNCE" ]] || tb_die "vmn-announce not built ($VMN_ANNOUNCE)"
  [[ -x "$VMN_PROBE" ]] || tb_die "vmn-probe not built ($VMN_PROBE)"
}

# Removes leftovers of an earlier run that was killed before its trap ran (same names).
tb_preclean() {
  local -
  set +e
  local ns link
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ "$ns" == "$TB_PREFIX"* ]] || continue
    tb_kill_netns_pids "$ns"
    ip netns del "$ns" 2>/dev/null
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [[ "$link" == "$TB_PREFIX"* ]] && ip link del "$link" 2>/dev/null
  done
  return 0
}

# Processes still inside one of our namespaces were started by this testbed: stop them by pid.
tb_kill_netns_pids() {
  local ns=$1 pid
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    kill -TERM "$pid" 2>/dev/null
  done
  sleep 0.1
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null
  done
  return 0
}

tb_init() {
  tb_check_tools
  # The sandbox's lock first: a run waiting for it must not clean away the names of the run
  # that holds it (two copies of one test share a prefix).
  ovs_sandbox_start || tb_die "OVS sandbox did not start"
  tb_preclean
  TB_WORK=$(mktemp -d /tmp/tb-work.XXXXXX)
  ovs_sandbox_on_exit "tb_teardown_own"
}

# Our own part of the teardown; ovs_sandbox_stop then removes bridges, links and the daemons.
tb_teardown_own() {
  local -
  set +eu
  local pid ns link
  for pid in "${TB_SPAWNED[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${TB_SPAWNED[@]}"; do
    ovs_sandbox_kill_pid "$pid" >/dev/null 2>&1
    wait "$pid" 2>/dev/null
  done
  TB_SPAWNED=()
  for ns in "${TB_NETNS[@]}"; do
    tb_kill_netns_pids "$ns"
    ip netns del "$ns" 2>/dev/null
  done
  TB_NETNS=()
  for link in "${TB_LINKS[@]}"; do
    ip link del "$link" 2>/dev/null
  done
  TB_LINKS=()
  if [[ -n "$TB_WORK" && -d "$TB_WORK" && -z "${TB_KEEP_WORK:-}" ]]; then
    rm -rf "$TB_WORK"
  fi
  TB_WORK=""
  TB_VMN_SITE=()
  TB_VMN_INDEX=()
  return 0
}

tb_teardown() {
  tb_teardown_own
  ovs_sandbox_stop
}

tb_netns() {
  ovs_sandbox_netns "$1" || tb_die "netns $1"
  TB_NETNS+=("$1")
}

# veth A (host) <-> B (in NS, renamed to NAME_IN_NS), offload off on both ends.
tb_veth() {
  local host=$1 ns=$2 inside=$3 peer="${1}p"
  ovs_sandbox_veth "$host" "$peer" "$ns" || tb_die "veth $host"
  TB_LINKS+=("$host")
  ip -n "$ns" link set "$peer" down
  ip -n "$ns" link set "$peer" name "$inside"
  ip -n "$ns" link set "$inside" up
  ip netns exec "$ns" ethtool -K "$inside" tx off >/dev/null 2>&1 || true
}

# --- the paper's three sites ------------------------------------------------------------------

tb_sites_up() {
  local router site n br
  router=$(tb_router_ns)
  tb_netns "$router"
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  for site in "${TB_SITES[@]}"; do
    n=$(tb_site_number "$site")
    br=$(tb_bridge "$site")
    ovs_sandbox_add_bridge "$br" "$(tb_dpid "$site")" || tb_die "bridge $br"
    # Secure: nothing is forwarded until the controller programs the bridge. Out-of-band and
    # a short reconnect backoff so a controller started later is found within a second.
    ovs-vsctl --timeout=10 set bridge "$br" fail_mode=secure other-config:disable-in-band=true \
      -- set-controller "$br" "$TB_CONTROLLER_TARGET:127.0.0.1:$TB_CONTROLLER_PORT" \
      -- set controller "$br" connection-mode=out-of-band max_backoff=1000 \
      || tb_die "configure $br"
    tb_veth "${TB_PREFIX}up-$site" "$router" "site-$site"
    ip -n "$router" link set "site-$site" address "$(tb_router_mac "$site")"
    ip -n "$router" addr add "192.168.$n.1/24" dev "site-$site"
    ovs-vsctl --timeout=10 add-port "$br" "${TB_PREFIX}up-$site" \
      -- set interface "${TB_PREFIX}up-$site" ofport_request="$TB_UPLINK_PORT" \
      || tb_die "uplink of $br"
  done
}

# Site S's pool of mobile addresses (MoA): 192.168.S.100 - 192.168.S.199.
tb_pool_first() { echo "192.168.$(tb_site_number "$1").100"; }
tb_pool_last() { echo "192.168.$(tb_site_number "$1").199"; }

# The testbed's facts as a vmnctl-ofc configuration (README "Configuration") written to FILE.
# Extra top-level JSON members (e.g. '"state_file": "/x"') may be passed as $2.
tb_site_config() {
  local file=$1 extra=${2:-} site n sep=""
  {
    printf '{\n  "openflow": {"listen": "%s"%s},\n' "${TB_LISTEN:-127.0.0.1:$TB_CONTROLLER_PORT}" \
      "${TB_OPENFLOW_EXTRA:+, $TB_OPENFLOW_EXTRA}"
    printf '  "home": {"prefix": "%s.0/24", "gateway": "%s"},\n  "sites": [' \
      "$TB_HOME_PREFIX" "$TB_HOME_GATEWAY"
    for site in "${TB_SITES[@]}"; do
      n=$(tb_site_number "$site")
      printf '%s\n    {"name": "site-%s", "dpid": "0x%s", "uplink": "%s",\n' \
        "$sep" "$site" "$(tb_dpid "$site")" "${TB_PREFIX}up-$site"
      printf '     "gateway": "192.168.%d.1", "gateway_mac": "%s",\n' "$n" "$(tb_router_mac "$site")"
      printf '     "mobile_pool": ["%s-%s"], "vm_ports": ["%sv"]%s}' \
        "$(tb_pool_first "$site")" "$(tb_pool_last "$site")" "$TB_PREFIX" "${TB_SITE_EXTRA[$site]:+, ${TB_SITE_EXTRA[$site]}}"
      sep=","
    done
    printf '\n  ],\n  "mobility": {"moa_hold_s": 30%s},\n  "log": {"level": "debug"}%s\n}\n' \
      "${TB_MOBILITY_EXTRA:+, $TB_MOBILITY_EXTRA}" "${extra:+,
  $extra}"
  } >"$file"
}

# TLS on the OpenFlow channel: a throwaway PKI in DIR (CA "ca" signs "controller", "ovs-switch"
# and any NAME given; "other-ca" signs NAME@other-ca), OVS presents ovs-switch's certificate,
# the bridges dial ssl: and the controller's configuration gets openflow.tls.
tb_tls_setup() {
  local dir=$1
  shift
  bash "$TB_REPO_DIR/tests/lib/make-test-pki.sh" "$dir" controller ovs-switch "$@" || tb_die "test PKI"
  ovs-vsctl --timeout=10 set-ssl "$dir/ovs-switch.key" "$dir/ovs-switch.pem" "$dir/ca.pem" || tb_die "set-ssl"
  TB_CONTROLLER_TARGET=ssl
  TB_OPENFLOW_EXTRA=$(printf '"tls": {"certificate": "%s", "private_key": "%s", "ca_certificate": "%s"}' \
    "$dir/controller.pem" "$dir/controller.key" "$dir/ca.pem")
}

# Waits until every site bridge is connected to the controller (default 15 s).
tb_wait_connected() {
  local limit=${1:-15} i site ok
  for ((i = 0; i < limit * 10; i++)); do
    ok=1
    for site in "${TB_SITES[@]}"; do
      [[ "$(ovs-vsctl --timeout=5 get controller "$(tb_bridge "$site")" is_connected 2>/dev/null)" == true ]] \
        || { ok=0; break; }
    done
    ((ok)) && return 0
    sleep 0.1
  done
  return 1
}

# --- the controller ------------------------------------------------------------------------------

# Tests written against a controller: skipped (77) until VMNCTL_OFC_CMD names one (a bash
# command line; "$TB_CONFIG" is the sites' configuration, the bridges dial $TB_CONTROLLER_PORT).
tb_require_controller() {
  [[ -n "${VMNCTL_OFC_CMD:-}" ]] || tb_skip "VMNCTL_OFC_CMD not set (no controller to test)"
}
# Fails a test with a controller: the tail of its log, then the sandbox's OVS logs.
tb_fail() {
  echo "FAIL: $*" >&2
  [[ -n "$TB_WORK" && -s "$TB_WORK/controller.log" ]] && tail -n 40 "$TB_WORK/controller.log" >&2
  ovs_sandbox_dump_logs
  exit 1
}

# Writes the sites' configuration to $TB_WORK/vmnctl-ofc.json (exported as TB_CONFIG, with
# TB_CONTROLLER_PORT; TB_CONFIG_EXTRA, if set, goes to tb_site_config as its extra members,
# TB_MOBILITY_EXTRA as extra members of "mobility")
# and runs the bash command line CMD (e.g. 'vmnctl-ofc --config "$TB_CONFIG"') in the
# background, its output in tb_controller_log; its pid goes to TB_CONTROLLER_PID. Returns
# non-zero when the bridges are not all connected within S seconds (default 15).
TB_CONTROLLER_PID=""
tb_controller_log() { echo "$TB_WORK/controller.log"; }
tb_controller_start() {
  local cmd=$1 limit=${2:-15}
  TB_CONFIG="$TB_WORK/vmnctl-ofc.json"
  export TB_CONFIG TB_CONTROLLER_PORT
  tb_site_config "$TB_CONFIG" "${TB_CONFIG_EXTRA:-}"
  bash -c "exec $cmd" </dev/null >"$(tb_controller_log)" 2>&1 &
  TB_CONTROLLER_PID=$!
  tb_track_pid "$TB_CONTROLLER_PID"
  tb_wait_connected "$limit"
}

# A scripted OpenFlow relay (lib/of_relay.py) between SITE's bridge and the controller: it can
# hold the switch's BARRIER_REPLYs or cut its connection at one, on command (tb_relay). Its log
# is $TB_WORK/relay.log; the bridge keeps dialling it across controller restarts.
TB_RELAY_CONTROL=""
tb_relay_start() {
  local site=$1 port=$2 br i
  br=$(tb_bridge "$site")
  TB_RELAY_CONTROL="$TB_WORK/relay.sock"
  python3 "$TB_LIB_DIR/of_relay.py" --listen "$port" --to "127.0.0.1:$TB_CONTROLLER_PORT" \
    --control "$TB_RELAY_CONTROL" </dev/null 2>"$TB_WORK/relay.log" &
  tb_track_pid "$!"
  for ((i = 0; i < 50; i++)); do
    [[ -S "$TB_RELAY_CONTROL" ]] && break
    sleep 0.1
  done
  [[ -S "$TB_RELAY_CONTROL" ]] || tb_die "of_relay.py did not start: $(cat "$TB_WORK/relay.log")"
  ovs-vsctl --timeout=10 set-controller "$br" "tcp:127.0.0.1:$port" \
    -- set controller "$br" connection-mode=out-of-band max_backoff=1000 || tb_die "point $br at the relay"
}
tb_relay() {
  echo "$*" | socat -t 5 - "UNIX-CONNECT:$TB_RELAY_CONTROL"
}

# vmnctl-ofc logs each migration it handled as "migrated ... reaction N us" (from the announce's
# packet-in to the last flow write sent): prints every N so far, one per line.
tb_controller_reactions() {
  local log
  log=$(tb_controller_log)
  [[ -f "$log" ]] || return 0
  sed -n 's/.* reaction \([0-9][0-9]*\) us.*/\1/p' "$log"
}

# SITE's bridge's OpenFlow 1.3 flows, one per line, sorted, without counters or ages: cookie,
# table, priority, match and actions, so two dumps compare equal when the same flows are in.
tb_flows() {
  ovs-ofctl --no-stats -O OpenFlow13 dump-flows "$(tb_bridge "$1")" | sed 's/^ *//' | grep -v '^OFPST_FLOW' | sort
}

# The state vmnctl-ofc would start from now (its state_file with the journal merged, restored and
# checked: `vmnctl-ofc --show-state`), as one snapshot JSON in a new file under TB_WORK; prints
# the file's path. Tests read VMNs and pools from it, never from the state file alone.
tb_saved_state() {
  local vmnctl=${TB_VMNCTL_OFC:-$TB_BUILD_DIR/apps/vmnctl-ofc/vmnctl-ofc} out
  out=$(mktemp "$TB_WORK/saved-state.XXXXXX")
  "$vmnctl" --config "$TB_CONFIG" --show-state >"$out" || return 1
  echo "$out"
}

# The invariants after a fault (tb_check_invariants [S]): polled, since the reconcile of a switch
# that comes back, or a state file written a moment later, converges; at the deadline every
# remaining difference is printed and it returns non-zero.
#   - the saved state (`vmnctl-ofc --show-state`: $TB_CONFIG's state_file with its journal
#     merged, as a start reads it): no MoA in use by two VMNs, none both in use and held, every
#     VMN's MoA in use in its switch's pool;
#   - every site bridge: `ovs-ofctl --no-stats dump-flows` (tests/e2e/lib/flow_canon.py) equals
#     the engine's belief, `vmnctl-ofc --config $TB_CONFIG --show-flows` (from the same state
#     file). The base flows (RARP/ARP to the controller, uplink, table-miss flows of all five
#     tables) are the engine's own and compared like the others; the bridges run in secure mode
#     with out-of-band control, so OVS adds no flow of its own and nothing is excluded;
#   - on the data path, each MoA is translated back to a HoA (table 2) on one bridge only.
# TB_VMNCTL_OFC names the binary (default: the build's vmnctl-ofc).
tb_check_invariants() {
  local limit=${1:-15} deadline site report ok
  local vmnctl=${TB_VMNCTL_OFC:-$TB_BUILD_DIR/apps/vmnctl-ofc/vmnctl-ofc}
  [[ -x "$vmnctl" ]] || { tb_log "no vmnctl-ofc at $vmnctl"; return 1; }
  deadline=$((SECONDS + limit))
  while :; do
    ok=1
    report="$TB_WORK/invariants.txt"
    : >"$report"
    # The state as the controller reads it at start: the state file with its journal merged,
    # restored and checked against the configuration (vmnctl-ofc --show-state).
    "$vmnctl" --config "$TB_CONFIG" --show-state >"$TB_WORK/state-now.json" 2>>"$report" || ok=0
    python3 - "$TB_WORK/state-now.json" >>"$report" 2>&1 <<'PY' || ok=0
import json, sys
s = json.load(open(sys.argv[1]))
problems, owner = [], {}
pools = {sw["datapath_id"]: sw["pool"] for sw in s["switches"]}
for v in s["vmns"]:
    moa = v["mobile_address"]
    if moa in owner:
        problems.append(f"MoA {moa} held by {owner[moa]} and {v['mac']}")
    owner[moa] = v["mac"]
    pool = pools.get(v["datapath_id"])
    if pool is not None and moa not in pool["in_use"]:
        problems.append(f"MoA {moa} of {v['mac']} not in use in the pool of dp {v['datapath_id']:#x}")
for dp, pool in pools.items():
    for h in pool["held"]:
        if h["address"] in owner:
            problems.append(f"MoA {h['address']} of {owner[h['address']]} is also held (dp {dp:#x})")
for p in problems:
    print("state:", p)
sys.exit(1 if problems else 0)
PY
    if "$vmnctl" --config "$TB_CONFIG" --show-flows >"$TB_WORK/belief.txt" 2>>"$report"; then
      for site in "${TB_SITES[@]}"; do
        ovs-ofctl -O OpenFlow13 --no-stats dump-flows "$(tb_bridge "$site")" >"$TB_WORK/dump-$site.txt" 2>>"$report" \
          || { ok=0; continue; }
        python3 "$TB_LIB_DIR/flow_canon.py" --compare "$TB_WORK/dump-$site.txt" "$TB_WORK/belief.txt" "site-$site" \
          >>"$report" || ok=0
      done
      python3 - "$TB_WORK" "${TB_SITES[@]}" >>"$report" <<'PY' || ok=0
import re, sys
where = {}
bad = False
for site in sys.argv[2:]:
    for line in open(f"{sys.argv[1]}/dump-{site}.txt"):
        if "table=2," in line and "priority=300" in line:
            m = re.search(r"nw_dst=([0-9.]+)", line)
            if m and m.group(1) in where:
                print(f"MoA {m.group(1)} delivered on bridges of site {where[m.group(1)]} and {site}")
                bad = True
            elif m:
                where[m.group(1)] = site
sys.exit(1 if bad else 0)
PY
    else
      ok=0
    fi
    ((ok)) && return 0
    if ((SECONDS >= deadline)); then
      tb_log "invariants do not hold after ${limit} s:"
      cat "$report" >&2
      return 1
    fi
    sleep 0.3
  done
}

# One emulated migration under both probes: CN starts `ping -D -i 0.01` and vmn-probe (1 ms,
# the VMN must run `vmn-probe echo` on port 7000) at ADDR for PROBE_S seconds (default 6); AT_S
# seconds in (default 2) VMN moves to SITE and announces itself (tb_vmn_migrate). Leaves the
# probes' JSON in TB_PING and TB_PROBE; returns non-zero when the announce failed.
TB_PING="" TB_PROBE=""
tb_measured_move() {
  local vmn=$1 site=$2 cn=$3 addr=$4 probe_s=${5:-6} at_s=${6:-2} announce
  tb_ping_start "ping-move" "$cn" "$addr" "$probe_s"
  tb_probe_start "probe-move" "$cn" "$addr:7000" "$probe_s"
  sleep "$at_s"
  tb_vmn_migrate "$vmn" "$site"
  announce=$TB_LAST_PID
  TB_PROBE=$(tb_probe_result probe-move)
  TB_PING=$(tb_ping_result ping-move)
  wait "$announce"
}

# Summary statistics of numeric fields over JSON lines on stdin: one JSON object per KEY,
# {"key":K,"n":..,"median":..,"mean":..,"min":..,"max":..} (n 0 and nulls when there is none).
tb_stats() {
  python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
for key in sys.argv[1:]:
    v = [float(r[key]) for r in rows if r.get(key) not in (None, "")]
    s = dict(key=key, n=len(v), median=None, mean=None, min=None, max=None)
    if v:
        s.update(median=round(statistics.median(v), 1), mean=round(statistics.mean(v), 1),
                 min=round(min(v), 1), max=round(max(v), 1))
    print(json.dumps(s))
' "$@"
}

# A VMN: its own netns with eth0, HoA 10.10.0.INDEX/24, default gateway 10.10.0.254.
tb_vmn_add() {
  local name=$1 index=$2 site=$3 link
  link=$(tb_vmn_link "$index")
  tb_netns "$name"
  tb_veth "$link" "$name" eth0
  ip -n "$name" link set eth0 address "$(tb_vmn_mac "$index")"
  ip -n "$name" addr add "$(tb_vmn_hoa "$index")/24" dev eth0
  ip -n "$name" route add default via "$TB_HOME_GATEWAY"
  TB_VMN_INDEX[$name]=$index
  tb_attach "$name" "$site"
}

# A plain host of site SITE (not a VMN): 192.168.S.INDEX/24 via the router.
tb_host_add() {
  local name=$1 index=$2 site=$3 n link
  n=$(tb_site_number "$site")
  link="${TB_PREFIX}h$n-$index"
  tb_netns "$name"
  tb_veth "$link" "$name" eth0
  ip -n "$name" addr add "192.168.$n.$index/24" dev eth0
  ip -n "$name" route add default via "192.168.$n.1"
  ovs-vsctl --timeout=10 add-port "$(tb_bridge "$site")" "$link" \
    -- set interface "$link" ofport_request="$((100 + index))" || tb_die "attach $name"
}

tb_attach() {
  local name=$1 site=$2 index link
  index=${TB_VMN_INDEX[$name]:?unknown VMN $name}
  link=$(tb_vmn_link "$index")
  ovs-vsctl --timeout=10 add-port "$(tb_bridge "$site")" "$link" \
    -- set interface "$link" ofport_request="$(tb_vmn_port "$index")" \
    || tb_die "attach $name to $site"
  TB_VMN_SITE[$name]=$site
}

# What a hypervisor does to the VM's port in a migration: it leaves the source bridge and the
# same MAC appears on a port of the destination bridge. With TB_MOVE_PAUSE_MS=0 (default) this
# is one ovs-vsctl transaction, so the port is never on both bridges and the gap is as short
# as OVS makes it. TB_MOVE_PAUSE_MS=N leaves the VMN on no bridge for N ms more (plus the
# time of a second ovs-vsctl call), like the stop-and-copy pause of a real migration (QEMU:
# 16-28 ms for 128 MiB here); frames the VMN sends meanwhile are lost.
TB_MOVE_PAUSE_MS=${TB_MOVE_PAUSE_MS:-0}
tb_vmn_move() {
  local name=$1 site=$2 index link from
  index=${TB_VMN_INDEX[$name]:?unknown VMN $name}
  link=$(tb_vmn_link "$index")
  from=${TB_VMN_SITE[$name]}
  [[ "$from" != "$site" ]] || tb_die "$name is already at $site"
  local join=(add-port "$(tb_bridge "$site")" "$link"
              -- set interface "$link" ofport_request="$(tb_vmn_port "$index")")
  if ((TB_MOVE_PAUSE_MS > 0)); then
    ovs-vsctl --timeout=10 del-port "$(tb_bridge "$from")" "$link" || tb_die "detach $name"
    sleep "$(printf '%d.%03d' $((TB_MOVE_PAUSE_MS / 1000)) $((TB_MOVE_PAUSE_MS % 1000)))"
    ovs-vsctl --timeout=10 "${join[@]}" || tb_die "attach $name to $site"
  else
    ovs-vsctl --timeout=10 del-port "$(tb_bridge "$from")" "$link" -- "${join[@]}" \
      || tb_die "move $name $from -> $site"
  fi
  TB_VMN_SITE[$name]=$site
}

# The hypervisor's RARP announce (QEMU timing unless ARGS change it), sent from inside the
# VMN's namespace, in the background; its pid is in TB_LAST_PID.
tb_vmn_announce() {
  local name=$1
  shift
  tb_spawn "$name" "$VMN_ANNOUNCE" --interface eth0 --quiet "$@"
}

# The announce is armed before the move (vmn-announce --ready-file) and fired by SIGUSR1 right
# after it: like QEMU, which announces the moment the destination resumes, and unlike starting
# a process then, which costs several ms QEMU does not have (a wait for the announce the
# controller always pays, an L2 bridge only when it has to relearn the MAC).
tb_vmn_migrate() {
  local name=$1 site=$2 ready i
  shift 2
  ready="$TB_WORK/announce-ready.$name.$RANDOM"
  tb_vmn_announce "$name" --ready-file "$ready" "$@"
  for ((i = 0; i < 200; i++)); do
    [[ -e "$ready" ]] && break
    ovs_sandbox_alive "$TB_LAST_PID" || tb_die "vmn-announce exited before it was armed"
    sleep 0.01
  done
  [[ -e "$ready" ]] || tb_die "vmn-announce was not armed within 2 s"
  rm -f "$ready"
  tb_vmn_move "$name" "$site"
  kill -USR1 "$TB_LAST_PID" || tb_die "cannot fire the announce of $name"
}

# --- the L2 baseline -----------------------------------------------------------------------------

# Two plain bridges of one segment (OVS NORMAL forwarding, standalone, no controller), joined by
# a trunk veth on OpenFlow port 1 of each.
tb_l2_up() {
  local br site
  for site in l2a l2b; do
    br=$(tb_bridge "$site")
    ovs_sandbox_add_bridge "$br" || tb_die "bridge $br"
    ovs-vsctl --timeout=10 set bridge "$br" fail_mode=standalone || tb_die "configure $br"
  done
  ip link add "${TB_PREFIX}trunk-a" type veth peer name "${TB_PREFIX}trunk-b" || tb_die "trunk"
  TB_LINKS+=("${TB_PREFIX}trunk-a")
  for link in "${TB_PREFIX}trunk-a" "${TB_PREFIX}trunk-b"; do
    ip link set "$link" up
    ethtool -K "$link" tx off >/dev/null 2>&1 || true
  done
  ovs-vsctl --timeout=10 add-port "$(tb_bridge l2a)" "${TB_PREFIX}trunk-a" \
    -- set interface "${TB_PREFIX}trunk-a" ofport_request=1 \
    -- add-port "$(tb_bridge l2b)" "${TB_PREFIX}trunk-b" \
    -- set interface "${TB_PREFIX}trunk-b" ofport_request=1 || tb_die "trunk ports"
}

# --- captures ------------------------------------------------------------------------------------

# tcpdump on interface IF (in the host netns) with FILTER into $TB_WORK/NAME.pcap; returns once
# it is listening. -U writes every packet at once; -B 8 MiB drops nothing in a burst.
tb_capture_start() {
  local name=$1 iface=$2 filter=$3 i
  tcpdump -n -U -B 8192 -s 0 -w "$TB_WORK/$name.pcap" -i "$iface" "$filter" \
    2>"$TB_WORK/$name.tcpdump.err" </dev/null &
  TB_SPAWNED+=("$!")
  echo "$!" >"$TB_WORK/$name.capture.pid"
  for ((i = 0; i < 50; i++)); do
    grep -q "listening on" "$TB_WORK/$name.tcpdump.err" 2>/dev/null && return 0
    sleep 0.1
  done
  tb_log "tcpdump on $iface did not start: $(cat "$TB_WORK/$name.tcpdump.err")"
  return 1
}
# Stops the captures NAME... (SIGINT: tcpdump flushes and closes its file).
tb_capture_stop() {
  local name pid
  for name in "$@"; do
    pid=$(cat "$TB_WORK/$name.capture.pid")
    kill -INT "$pid" 2>/dev/null || true
    tb_wait_exit "$pid"
  done
}

# --- processes -----------------------------------------------------------------------------------

# Runs CMD in netns NS in the background (stdin from /dev/null); its pid goes to TB_LAST_PID
# (not printed: a command substitution would run it in a subshell that forgets the pid).
TB_LAST_PID=""
tb_spawn() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@" </dev/null &
  TB_LAST_PID=$!
  TB_SPAWNED+=("$TB_LAST_PID")
}

# Tracks a background process started by the caller (killed by tb_teardown).
tb_track_pid() {
  TB_SPAWNED+=("$1")
}

# A tap device NAME on SITE's bridge at OpenFlow port OFPORT, for a QEMU guest (offload off).
tb_tap_add() {
  local name=$1 site=$2 ofport=$3
  ip tuntap add dev "$name" mode tap || tb_die "tap $name"
  TB_LINKS+=("$name")
  ip link set "$name" up
  ethtool -K "$name" tx off >/dev/null 2>&1 || true
  ovs-vsctl --timeout=10 add-port "$(tb_bridge "$site")" "$name" \
    -- set interface "$name" ofport_request="$ofport" || tb_die "attach $name to $site"
}

# Waits (at most $2 seconds, default 10) until NS answers a ping to ADDR; fails otherwise.
tb_wait_ping() {
  local ns=$1 addr=$2 limit=${3:-10} i
  for ((i = 0; i < limit * 5; i++)); do
    ip netns exec "$ns" ping -c1 -W1 -q "$addr" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# --- measurements --------------------------------------------------------------------------------

# Downtime from `ping -D` output in FILE, from ping's own timestamps. A reply line carries its
# receive time and its RTT, so receive - RTT is when that probe was sent; the downtime is the
# longest gap between the send times of two consecutive answered probes minus the real send
# interval (the median gap per sequence step: `-i 0.01` really sends every ~15 ms here). Using
# send times, as vmn-probe does, keeps replies that were only delayed from counting as loss.
# Prints one JSON object; longest_rx_gap_ms is the plain gap between receive times; "resumed"
# is false when more than 3 probes at the end went unanswered (an outage that never ended).
tb_ping_downtime() {
  python3 - "$1" <<'PY'
import json, re, statistics, sys
pat = re.compile(r'^\[(\d+\.\d+)\].*icmp_seq=(\d+).*time=([\d.]+) ms')
sent, received = {}, {}
for line in open(sys.argv[1]):
    m = pat.match(line)
    if m and int(m.group(2)) not in sent:
        seq = int(m.group(2))
        received[seq] = float(m.group(1))
        sent[seq] = received[seq] - float(m.group(3)) / 1e3
seqs = sorted(sent)
transmitted = None
for line in open(sys.argv[1]):
    m = re.match(r'^(\d+) packets transmitted', line)
    if m:
        transmitted = int(m.group(1))
out = {"answered": len(seqs), "transmitted": transmitted}
if seqs and transmitted is not None:
    # Probes after the last answer: a gap that never closed is no downtime but an outage.
    out["unanswered_at_end"] = transmitted - seqs[-1]
    out["resumed"] = transmitted - seqs[-1] <= 3
if len(seqs) < 3:
    out.update(downtime_ms=None, lost=None, interval_ms=None)
else:
    pairs = list(zip(seqs, seqs[1:]))
    interval = statistics.median((sent[b] - sent[a]) / (b - a) for a, b in pairs)
    gap, a, b = max((sent[b] - sent[a], a, b) for a, b in pairs)
    rx_gap = max(received[b] - received[a] for a, b in pairs)
    out.update(interval_ms=round(interval * 1e3, 3),
               longest_gap_ms=round(gap * 1e3, 3),
               longest_rx_gap_ms=round(rx_gap * 1e3, 3),
               downtime_ms=round(max(0.0, gap - interval) * 1e3, 3),
               lost=seqs[-1] - seqs[0] + 1 - len(seqs),
               lost_in_gap=b - a - 1, gap_after_seq=a)
print(json.dumps(out))
PY
}

# One field of a flat JSON object: tb_json_field '{"a":1}' a -> 1
tb_json_field() {
  python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}

# A 1 ms UDP prober from NS to ADDR:PORT for SECONDS (echo must already run); JSON lands in
# $TB_WORK/NAME.json. tb_probe_result NAME waits for it and prints it.
tb_probe_start() {
  local name=$1 ns=$2 target=$3 seconds=$4
  ip netns exec "$ns" "$VMN_PROBE" probe --to "$target" --interval-us 1000 \
    --duration-s "$seconds" --json >"$TB_WORK/$name.json" 2>"$TB_WORK/$name.err" </dev/null &
  local pid=$!
  TB_SPAWNED+=("$pid")
  echo "$pid" >"$TB_WORK/$name.pid"
}
tb_probe_result() {
  tb_wait_exit "$(cat "$TB_WORK/$1.pid")"
  cat "$TB_WORK/$1.json"
}

# Waits until process PID has exited. Polls instead of `wait`, so it also works inside a
# command substitution, whose subshell cannot wait for its parent's children.
tb_wait_exit() {
  while ovs_sandbox_alive "$1"; do
    sleep 0.05
  done
}

# `ping -D -i 0.01` from NS to ADDR for SECONDS, output in $TB_WORK/NAME.ping;
# tb_ping_result NAME waits and prints tb_ping_downtime's JSON.
tb_ping_start() {
  local name=$1 ns=$2 addr=$3 seconds=$4
  ip netns exec "$ns" ping -D -n -i 0.01 -w "$seconds" "$addr" \
    >"$TB_WORK/$name.ping" 2>&1 </dev/null &
  local pid=$!
  TB_SPAWNED+=("$pid")
  echo "$pid" >"$TB_WORK/$name.pid"
}
tb_ping_result() {
  tb_wait_exit "$(cat "$TB_WORK/$1.pid")"
  tb_ping_downtime "$TB_WORK/$1.ping"
}

# A TCP stream across a migration: CLIENT_NS sends BYTES of pseudo-random data, paced over
# SECONDS, to a socat listener in SERVER_NS at ADDR:PORT; tb_tcp_stream_check NAME waits and
# compares sha256 of what was sent and what arrived. Needs checksum offload off (SYSTEM.md).
tb_tcp_stream_start() {
  local name=$1 client_ns=$2 server_ns=$3 addr=$4 port=$5 bytes=$6 seconds=$7
  local dir="$TB_WORK/$name" chunks=50
  mkdir -p "$dir"
  head -c "$bytes" /dev/urandom >"$dir/sent"
  ip netns exec "$server_ns" socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$dir/received,creat,trunc" \
    </dev/null 2>"$dir/server.err" &
  local server=$!
  TB_SPAWNED+=("$server")
  echo "$server" >"$dir/server.pid"
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -n "$(ip netns exec "$server_ns" ss -Hltn "sport = :$port" 2>/dev/null)" ]] && break
    sleep 0.1
  done
  # The pacing loop: CHUNKS equal pieces, one every SECONDS/CHUNKS.
  local chunk=$(((bytes + chunks - 1) / chunks))
  local pause
  pause=$(python3 -c "print($seconds / $chunks)")
  (
    for ((i = 0; i < chunks; i++)); do
      dd if="$dir/sent" bs="$chunk" skip="$i" count=1 status=none
      sleep "$pause"
    done | ip netns exec "$client_ns" socat -u - "TCP:$addr:$port,connect-timeout=5"
  ) </dev/null 2>"$dir/client.err" &
  local client=$!
  TB_SPAWNED+=("$client")
  echo "$client" >"$dir/client.pid"
}

# Returns 0 when the whole stream arrived intact; leaves a JSON summary in TB_RESULT. Call it
# directly, not in $(...): it waits for the sender to learn its exit status.
TB_RESULT=""
tb_tcp_stream_check() {
  local name=$1 dir="$TB_WORK/$1" timeout=${2:-30} client server rc_client=0 rc_server=0
  client=$(cat "$dir/client.pid")
  server=$(cat "$dir/server.pid")
  # TCP retransmits for many minutes: a stream that never recovers must end in a timeout
  # (124), not hang the test.
  local deadline=$((SECONDS + timeout)) pid rc
  for pid in "$client" "$server"; do
    while ovs_sandbox_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    rc=0
    if ovs_sandbox_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      rc=124
    else
      wait "$pid" || rc=$?
    fi
    if [[ $pid == "$client" ]]; then rc_client=$rc; else rc_server=$rc; fi
  done
  local sent received
  sent=$(sha256sum <"$dir/sent" | cut -d' ' -f1)
  received=$(sha256sum <"$dir/received" 2>/dev/null | cut -d' ' -f1)
  local size
  size=$(stat -c %s "$dir/received" 2>/dev/null || echo 0)
  local ok=false
  [[ $rc_client == 0 && $rc_server == 0 && "$sent" == "$received" ]] && ok=true
  TB_RESULT=$(printf '{"intact":%s,"bytes_sent":%s,"bytes_received":%s,"client_rc":%s,"server_rc":%s}' \
    "$ok" "$(stat -c %s "$dir/sent")" "$size" "$rc_client" "$rc_server")
  [[ $ok == true ]]
}
