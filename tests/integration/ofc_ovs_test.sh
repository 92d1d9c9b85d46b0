#!/usr/bin/env bash
# Integration tests of the connection manager against a private Open vSwitch 3.1 (netdev
# datapath), started by tests/lib/ovs-sandbox.sh. Needs root. ctest label `ovs`.
#
#   ofc_ovs_test.sh PROBE passive   handshake, flow install, barrier, multipart flow stats,
#                                   port add/delete, del-controller/set-controller
#   ofc_ovs_test.sh PROBE restart   the controller process restarts; the bridge comes back
#   ofc_ovs_test.sh PROBE active    the bridge listens (ptcp:), the manager connects out and
#                                   reconnects after the listener goes away and returns
#
# PROBE is the ofc_probe binary (tests/integration/ofc_probe.cpp). Every bridge, port and
# process is removed from the sandbox's EXIT trap, also when a check fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/ovs-sandbox.sh
source "$here/../lib/ovs-sandbox.sh"

probe_bin=$1
scenario=$2
[[ -x "$probe_bin" ]] || { echo "FAIL: probe $probe_bin not executable" >&2; exit 1; }
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: needs root" >&2
  exit 77
fi

# Run everything (OVS, probe) in a network namespace of our own: a netdev-datapath
# ovs-vswitchd creates a tap named "ovs-netdev", so two sandboxes in one namespace (tests
# running at the same time on one host) collide. The loopback of the namespace carries the
# OpenFlow connection.
if [[ -z "${OFC_IT_INNER:-}" ]]; then
  netns="ofcit$$"
  ip netns add "$netns" || { echo "FAIL: cannot create netns $netns" >&2; exit 1; }
  trap 'ip netns del "$netns" 2>/dev/null || true' EXIT
  rc=0
  OFC_IT_INNER=1 ip netns exec "$netns" bash "${BASH_SOURCE[0]}" "$@" || rc=$?
  exit "$rc"
fi
ip link set lo up

fail() {
  echo "FAIL [$scenario]: $*" >&2
  for f in "$work"/out*; do [[ -e "$f" ]] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  for f in "$work"/err*; do [[ -s "$f" ]] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  if [[ -n "${OVS_LOGDIR:-}" && -r "$OVS_LOGDIR/ovs-vswitchd.log" ]]; then
    echo "--- ovs-vswitchd.log (tail)" >&2
    tail -n 30 "$OVS_LOGDIR/ovs-vswitchd.log" >&2
  fi
  exit 1
}
pass() { echo "ok [$scenario]: $*"; }

ovs_sandbox_start || { echo "FAIL: sandbox did not start" >&2; exit 1; }
work=$(mktemp -d /tmp/ofc-it.XXXXXX)
probe_pid=""
probe_fd=""
probe_n=0
mark=0

stop_probe() {
  if [[ -n "$probe_fd" ]]; then
    echo quit >&"$probe_fd" 2>/dev/null || true
    exec {probe_fd}>&-
    probe_fd=""
  fi
  if [[ -n "$probe_pid" ]]; then
    local i
    for ((i = 0; i < 50; i++)); do
      ovs_sandbox_alive "$probe_pid" || break
      sleep 0.1
    done
    if ovs_sandbox_alive "$probe_pid"; then kill "$probe_pid" 2>/dev/null || true; fi
    wait "$probe_pid" 2>/dev/null || true
    probe_pid=""
  fi
}
# Hooks run before the OVS daemons stop (the trap is installed by ovs_sandbox_start).
ovs_sandbox_on_exit 'stop_probe; rm -rf "$work"'

# Starts the probe with stdin from a FIFO (commands) and stdout to out$N (events).
start_probe() {
  stop_probe
  probe_n=$((probe_n + 1))
  out="$work/out$probe_n"
  mkfifo "$work/in$probe_n"
  "$probe_bin" "$@" <"$work/in$probe_n" >"$out" 2>"$work/err$probe_n" &
  probe_pid=$!
  exec {probe_fd}>"$work/in$probe_n"
  mark=0
}

# Waits up to $2 seconds (default 10) for a line of the probe's output after the last matched
# one that matches the ERE $1; prints it and advances the mark.
expect_line() {
  local pattern=$1 seconds=${2:-10} i n
  for ((i = 0; i < seconds * 10; i++)); do
    n=$(awk -v from="$mark" -v pat="$pattern" 'NR > from && $0 ~ pat { print NR; exit }' "$out")
    if [[ -n "$n" ]]; then
      mark=$n
      sed -n "${n}p" "$out"
      return 0
    fi
    ovs_sandbox_alive "$probe_pid" || fail "probe exited while waiting for /$pattern/"
    sleep 0.1
  done
  fail "no line matching /$pattern/ within ${seconds}s"
}

cmd() { echo "$*" >&"$probe_fd"; }

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  local p
  for ((;;)); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$p" | grep -q .; then
      echo "$p"
      return
    fi
  done
}

# Points the bridge at a controller target with a short reconnect backoff (OVS's default
# max_backoff is 8 s).
set_controller() {
  local br=$1 target=$2
  ovs_sandbox_vsctl -- --id=@c create controller target="\"$target\"" max_backoff=1000 \
    -- set bridge "$br" controller=@c >/dev/null
}

br=$(ovs_sandbox_name ofc)
dpid=0000000000c0ffee
dpid_hex="0x$dpid"

new_bridge() {
  ovs_sandbox_add_bridge "$br" "$dpid" || fail "add bridge"
  ovs_sandbox_vsctl set bridge "$br" fail_mode=secure
  ovs_sandbox_vsctl add-port "$br" "${br}a" -- set interface "${br}a" type=internal ofport_request=1
  ovs_sandbox_vsctl add-port "$br" "${br}b" -- set interface "${br}b" type=internal ofport_request=2
}

case $scenario in
  passive)
    start_probe --listen 0
    port=$(expect_line '^listening ' | awk '{print $2}')
    new_bridge
    set_controller "$br" "tcp:127.0.0.1:$port"
    up=$(expect_line "^up dpid=$dpid_hex ")
    ports=",${up##*ports=},"
    [[ $ports == *",${br}a,"* && $ports == *",${br}b,"* && $ports == *",${br},"* ]] ||
      fail "ports missing in: $up"
    pass "bridge up with datapath id $dpid_hex and its ports"

    cmd flow "$dpid" abc123
    expect_line '^flow-ok' >/dev/null
    flows=$(ovs-ofctl -O OpenFlow13 dump-flows "$br")
    grep -q 'cookie=0xabc123.*priority=100,ip,in_port=1 actions=output:2' <<<"$flows" ||
      grep -q 'cookie=0xabc123.*priority=100,ip,in_port="\?'"${br}a"'"\? actions=output:"\?'"${br}b" <<<"$flows" ||
      fail "installed flow not in dump-flows: $flows"
    pass "installed flow visible in ovs-ofctl dump-flows"

    cmd barrier "$dpid"
    expect_line '^barrier-ok xid=[0-9]+' >/dev/null
    pass "barrier round trip"

    cmd flows "$dpid" 1500
    expect_line '^flows-ok' 30 >/dev/null
    stats=$(cmd flowstats "$dpid"; expect_line '^flowstats ' 30)
    parts=$(sed -n 's/.*parts=\([0-9]*\).*/\1/p' <<<"$stats")
    count=$(sed -n 's/.*flows=\([0-9]*\).*/\1/p' <<<"$stats")
    ovs_count=$(ovs-ofctl -O OpenFlow13 dump-flows "$br" | grep -c 'cookie=' || true)
    [[ $count == 1501 && $ovs_count == 1501 ]] || fail "flow stats: $stats, ovs-ofctl counts $ovs_count"
    ((parts >= 2)) || fail "flow stats reply was not multipart: $stats"
    pass "multipart flow stats assembled from $parts parts ($count flows)"

    ovs_sandbox_vsctl add-port "$br" "${br}c" -- set interface "${br}c" type=internal ofport_request=7
    expect_line "^port-status dpid=$dpid_hex reason=add port=7 name=${br}c" >/dev/null
    ovs_sandbox_vsctl del-port "$br" "${br}c"
    expect_line "^port-status dpid=$dpid_hex reason=delete port=7 name=${br}c" >/dev/null
    pass "port add/delete reported as port-status"

    ovs_sandbox_vsctl del-controller "$br"
    expect_line "^down dpid=$dpid_hex reason=" >/dev/null
    set_controller "$br" "tcp:127.0.0.1:$port"
    expect_line "^up dpid=$dpid_hex " 15 >/dev/null
    cmd barrier "$dpid"
    expect_line '^barrier-ok' >/dev/null
    pass "reconnect after del-controller/set-controller"
    ;;

  restart)
    port=$(free_port)
    start_probe --listen "$port"
    expect_line "^listening $port" >/dev/null
    new_bridge
    set_controller "$br" "tcp:127.0.0.1:$port"
    expect_line "^up dpid=$dpid_hex " >/dev/null
    cmd flow "$dpid" 77
    expect_line '^flow-ok' >/dev/null
    stop_probe
    grep -q "^down dpid=$dpid_hex reason=shutdown" "$out" || fail "no shutdown down event"
    start_probe --listen "$port"
    expect_line "^listening $port" >/dev/null
    expect_line "^up dpid=$dpid_hex " 20 >/dev/null
    cmd barrier "$dpid"
    expect_line '^barrier-ok' >/dev/null
    # secure fail mode keeps flows across controller disconnects.
    ovs-ofctl -O OpenFlow13 dump-flows "$br" | grep -q 'cookie=0x77' || fail "flow lost across restart"
    pass "bridge reconnects after the controller restarts"
    ;;

  active)
    port=$(free_port)
    new_bridge
    set_controller "$br" "ptcp:$port:127.0.0.1"
    ovs_sandbox_wait_for "ss -Htln 'sport = :$port' | grep -q ." 100 || fail "bridge not listening on $port"
    start_probe --connect "127.0.0.1:$port"
    expect_line "^up dpid=$dpid_hex " >/dev/null
    cmd flow "$dpid" 99
    expect_line '^flow-ok' >/dev/null
    ovs-ofctl -O OpenFlow13 dump-flows "$br" | grep -q 'cookie=0x99' || fail "flow not installed"
    pass "active mode against ptcp: works"

    ovs_sandbox_vsctl del-controller "$br"
    expect_line "^down dpid=$dpid_hex " >/dev/null
    set_controller "$br" "ptcp:$port:127.0.0.1"
    expect_line "^up dpid=$dpid_hex " 20 >/dev/null
    pass "active mode reconnects with backoff after the listener returns"
    ;;

  *)
    fail "unknown scenario $scenario"
    ;;
esac
stop_probe
echo "PASS [$scenario]"
