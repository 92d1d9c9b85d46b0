# shellcheck shell=bash
# ovs-sandbox.sh: a private Open vSwitch (3.1) instance for tests.
#
# Source this file, then:
#   ovs_sandbox_start                 # ovsdb-server + ovs-vswitchd under a fresh temp dir
#   ovs_sandbox_add_bridge NAME [DPID]  # datapath_type=netdev bridge, optional 16-hex-digit dpid
#   ovs_sandbox_netns NAME            # create a network namespace, removed at exit
#   ovs_sandbox_veth A B [NETNS]      # veth pair A<->B, B moved into NETNS if given, removed at exit
#   ovs_sandbox_exec CMD...           # run CMD where ovs-vswitchd runs (see isolated mode)
#   ovs_sandbox_on_exit "COMMAND"     # extra cleanup, run before the daemons stop (LIFO)
#   ovs_sandbox_restart_vswitchd [SIG]  # kill ovs-vswitchd (default SIGKILL) and start it again
#   ovs_sandbox_stop                  # idempotent; also runs from the EXIT trap
#
# The instance shares nothing with a system Open vSwitch: OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR
# and OVS_SYSCONFDIR point into $OVS_SANDBOX_DIR and are exported, so plain `ovs-vsctl`,
# `ovs-ofctl BRIDGE` and `ovs-appctl` talk to the sandbox. Bridges use the userspace datapath
# (datapath_type=netdev), so no kernel module is needed.
#
# Shared mode (the default) runs one sandbox at a time per machine: the userspace datapath of every ovs-vswitchd opens a tap
# device named "ovs-netdev" in the host network namespace, so a second instance fails to
# create its bridges ("creating tap device failed: Device or resource busy"). Starting a
# sandbox therefore takes an exclusive lock (flock on $OVS_SANDBOX_LOCK_FILE, default
# /tmp/vmnmob-ovs-sandbox.lock), waiting up to $OVS_SANDBOX_LOCK_TIMEOUT seconds (default 900)
# for other tests; stopping releases it. Background processes a test starts inherit the lock's
# file descriptor: stop them (by pid) before exiting, or start them with ovs_sandbox_without_lock.
#
# Isolated mode (OVS_SANDBOX_ISOLATED=1 before ovs_sandbox_start) needs no lock: ovs-vswitchd
# runs in a network namespace of its own ($OVS_SANDBOX_NS), so its taps cannot collide with
# anything. Bridge ports must then live in that namespace too (ovs_sandbox_veth puts its first
# end there), and TCP between a controller and the switch happens on that namespace's
# loopback: run the controller or `ovs-ofctl tcp:...` with `ovs_sandbox_exec CMD...`.
# ovs-vsctl and `ovs-ofctl BRIDGE` use unix sockets and work from anywhere.
#
# In shared mode bridges, internal ports and veths live in the host network namespace (their
# names are global): pick names that other tests do not use, e.g. with `ovs_sandbox_name br`, which
# returns a short name unique to this run.
#
# Cleanup runs from an EXIT trap (INT/TERM/HUP exit through it), also after failures under
# `set -e`. If the caller already had an EXIT trap, it is kept and runs after ours.
# Processes are stopped by the pids recorded at start only; nothing is killed by name.

if [[ -n "${OVS_SANDBOX_LIB_LOADED:-}" ]]; then
  return 0
fi
OVS_SANDBOX_LIB_LOADED=1

OVS_SANDBOX_DIR=""
OVS_SANDBOX_LOCK_FD=""
OVS_SANDBOX_NS=""
OVS_SANDBOX_OVSDB_PID=""
OVS_SANDBOX_VSWITCHD_PID=""
OVS_SANDBOX_BRIDGES=()
OVS_SANDBOX_NETNS=()
OVS_SANDBOX_LINKS=()
OVS_SANDBOX_HOOKS=()
OVS_SANDBOX_PREV_TRAP=""
OVS_SANDBOX_TRAPPED=""
OVS_SANDBOX_VERBOSE="${OVS_SANDBOX_VERBOSE:-0}"

ovs_sandbox_log() {
  echo "ovs-sandbox: $*" >&2
}

# A short name (at most 15 characters, the kernel's limit) unique to this sandbox run.
ovs_sandbox_name() {
  local prefix=$1
  local tag=${OVS_SANDBOX_TAG:-$$}
  local name="${prefix}${tag}"
  echo "${name:0:15}"
}

ovs_sandbox_install_trap() {
  [[ -n "$OVS_SANDBOX_TRAPPED" ]] && return 0
  # Keep an EXIT trap the caller may have set; `trap -p EXIT` prints it quoted for eval.
  OVS_SANDBOX_PREV_TRAP=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
  trap 'ovs_sandbox_on_exit_trap' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  OVS_SANDBOX_TRAPPED=1
}

ovs_sandbox_on_exit_trap() {
  local rc=$?
  ovs_sandbox_stop
  if [[ -n "$OVS_SANDBOX_PREV_TRAP" ]]; then
    eval "$OVS_SANDBOX_PREV_TRAP"
  fi
  return $rc
}

# Waits up to $2 tenths of a second for the command in $1 to succeed.
ovs_sandbox_wait_for() {
  local cmd=$1 tenths=${2:-100} i
  for ((i = 0; i < tenths; i++)); do
    if eval "$cmd" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

ovs_sandbox_start() {
  if [[ -n "$OVS_SANDBOX_DIR" && -d "$OVS_SANDBOX_DIR" ]]; then
    return 0  # already running: idempotent
  fi
  local tool
  for tool in ovsdb-server ovsdb-tool ovs-vswitchd ovs-vsctl ovs-appctl ovs-ofctl ip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      ovs_sandbox_log "missing $tool (install openvswitch-switch iproute2)"
      return 1
    fi
  done
  local schema=${OVS_SANDBOX_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
  if [[ ! -r "$schema" ]]; then
    ovs_sandbox_log "schema $schema not found"
    return 1
  fi

  ovs_sandbox_install_trap
  if [[ "${OVS_SANDBOX_ISOLATED:-0}" == 1 ]]; then
    OVS_SANDBOX_NS="ovssb-${OVS_SANDBOX_TAG:-$$}"
    OVS_SANDBOX_NS=${OVS_SANDBOX_NS:0:30}
    ip netns add "$OVS_SANDBOX_NS" || { OVS_SANDBOX_NS=""; ovs_sandbox_log "cannot create netns"; return 1; }
    OVS_SANDBOX_NETNS+=("$OVS_SANDBOX_NS")
    ip -n "$OVS_SANDBOX_NS" link set lo up
    export OVS_SANDBOX_NS
  elif [[ -z "$OVS_SANDBOX_LOCK_FD" ]]; then
    local lock=${OVS_SANDBOX_LOCK_FILE:-/tmp/vmnmob-ovs-sandbox.lock}
    local wait=${OVS_SANDBOX_LOCK_TIMEOUT:-900}
    exec {OVS_SANDBOX_LOCK_FD}>>"$lock" || { ovs_sandbox_log "cannot open $lock"; return 1; }
    if ! flock -n "$OVS_SANDBOX_LOCK_FD"; then
      ovs_sandbox_log "waiting up to ${wait}s for another OVS sandbox to finish ($lock)"
      if ! flock -w "$wait" "$OVS_SANDBOX_LOCK_FD"; then
        ovs_sandbox_log "another OVS sandbox still holds $lock"
        exec {OVS_SANDBOX_LOCK_FD}>&-
        OVS_SANDBOX_LOCK_FD=""
        return 1
      fi
    fi
  fi
  if [[ -z "$OVS_SANDBOX_NS" ]] && ip link show ovs-netdev >/dev/null 2>&1; then
    ovs_sandbox_log "warning: a tap 'ovs-netdev' exists: another Open vSwitch with a userspace" \
      "datapath runs outside this lock; creating bridges will fail until it stops"
  fi
  # Unix socket paths are limited to ~107 bytes: keep the directory short.
  OVS_SANDBOX_DIR=$(mktemp -d /tmp/ovs-sb.XXXXXX)
  export OVS_SANDBOX_DIR
  mkdir -p "$OVS_SANDBOX_DIR"/{run,db,log,etc}
  export OVS_RUNDIR="$OVS_SANDBOX_DIR/run"
  export OVS_DBDIR="$OVS_SANDBOX_DIR/db"
  export OVS_LOGDIR="$OVS_SANDBOX_DIR/log"
  export OVS_SYSCONFDIR="$OVS_SANDBOX_DIR/etc"
  export OVS_SANDBOX_DB_SOCK="$OVS_RUNDIR/db.sock"

  ovsdb-tool create "$OVS_DBDIR/conf.db" "$schema" || { ovs_sandbox_log "ovsdb-tool create failed"; return 1; }

  ovs_sandbox_without_lock ovsdb-server -vconsole:err "$OVS_DBDIR/conf.db" \
    --remote="punix:$OVS_SANDBOX_DB_SOCK" \
    --remote=db:Open_vSwitch,Open_vSwitch,manager_options \
    --pidfile="$OVS_RUNDIR/ovsdb-server.pid" \
    --unixctl="$OVS_RUNDIR/ovsdb-server.ctl" \
    --log-file="$OVS_LOGDIR/ovsdb-server.log" \
    --no-chdir --detach || { ovs_sandbox_log "ovsdb-server did not start"; return 1; }

  OVS_SANDBOX_OVSDB_PID=$(cat "$OVS_RUNDIR/ovsdb-server.pid")
  ovs-vsctl --db="unix:$OVS_SANDBOX_DB_SOCK" --no-wait init || { ovs_sandbox_log "ovs-vsctl init failed"; return 1; }

  ovs_sandbox_start_vswitchd || return 1
  if [[ "$OVS_SANDBOX_VERBOSE" == 1 ]]; then
    ovs_sandbox_log "started in $OVS_SANDBOX_DIR"
  fi
  return 0
}

ovs_sandbox_start_vswitchd() {
  ovs_sandbox_without_lock ovs_sandbox_exec ovs-vswitchd -vconsole:err "unix:$OVS_SANDBOX_DB_SOCK" \
    --pidfile="$OVS_RUNDIR/ovs-vswitchd.pid" \
    --unixctl="$OVS_RUNDIR/ovs-vswitchd.ctl" \
    --log-file="$OVS_LOGDIR/ovs-vswitchd.log" \
    --no-chdir --detach || { ovs_sandbox_log "ovs-vswitchd did not start (see $OVS_LOGDIR)"; return 1; }

  OVS_SANDBOX_VSWITCHD_PID=$(cat "$OVS_RUNDIR/ovs-vswitchd.pid")
  # ovs-vsctl waits for ovs-vswitchd to catch up (cur_cfg) unless told --no-wait.
  if ! ovs_sandbox_wait_for "ovs-vsctl --timeout=5 show" 100; then
    ovs_sandbox_log "ovs-vswitchd not answering"
    return 1
  fi
}

# Restarts ovs-vswitchd with the same database: SIGNAL (default KILL, a crash) to the running
# one, then a new one. Bridges, ports and controllers come back from ovsdb; flows do not (the
# userspace datapath keeps none), so a controller must program the switches again when they
# reconnect. Every bridge of the sandbox goes through it: one ovs-vswitchd serves them all.
ovs_sandbox_restart_vswitchd() {
  local sig=${1:-KILL} i
  kill -"$sig" "$OVS_SANDBOX_VSWITCHD_PID" 2>/dev/null || { ovs_sandbox_log "no ovs-vswitchd to restart"; return 1; }
  for ((i = 0; i < 100; i++)); do
    ovs_sandbox_alive "$OVS_SANDBOX_VSWITCHD_PID" || break
    sleep 0.1
  done
  ovs_sandbox_alive "$OVS_SANDBOX_VSWITCHD_PID" && { ovs_sandbox_log "ovs-vswitchd survived SIG$sig"; return 1; }
  rm -f "$OVS_RUNDIR/ovs-vswitchd.pid"
  ovs_sandbox_start_vswitchd
}

# Runs ovs-vsctl against the sandbox (OVS_RUNDIR already points there; this adds a timeout).
ovs_sandbox_vsctl() {
  ovs-vsctl --timeout=10 "$@"
}

# Adds a userspace-datapath bridge. DPID (optional) is 16 hex digits, e.g. 0000000000000001.
ovs_sandbox_add_bridge() {
  local br=$1 dpid=${2:-}
  local args=(--may-exist add-br "$br" -- set bridge "$br" datapath_type=netdev
              protocols=OpenFlow13)
  if [[ -n "$dpid" ]]; then
    args+=(other-config:datapath-id="$dpid")
  fi
  OVS_SANDBOX_BRIDGES+=("$br")
  ovs_sandbox_vsctl "${args[@]}" || return 1
  # ovs-vsctl only warns when ovs-vswitchd fails to create the datapath: check it is there.
  if ! ovs_sandbox_wait_for "ovs-ofctl -O OpenFlow13 show '$br'" 30; then
    ovs_sandbox_log "bridge $br did not come up:"
    grep -E '\|(ERR|WARN)\|' "$OVS_LOGDIR/ovs-vswitchd.log" | tail -n 5 >&2
    return 1
  fi
}

ovs_sandbox_netns() {
  local ns=$1
  ip netns add "$ns" || return 1
  OVS_SANDBOX_NETNS+=("$ns")
  ip -n "$ns" link set lo up
}

# veth pair A<->B; B goes into NETNS when given. Checksum offload is turned off on both ends:
# TCP through userspace OVS otherwise carries bad checksums (see docs: testbed facts).
ovs_sandbox_veth() {
  local a=$1 b=$2 ns=${3:-}
  ip link add "$a" type veth peer name "$b" || return 1
  OVS_SANDBOX_LINKS+=("$a")
  if [[ -n "$OVS_SANDBOX_NS" ]]; then
    # The switch's end goes where ovs-vswitchd runs (it is removed with that namespace).
    ip link set "$a" netns "$OVS_SANDBOX_NS" || return 1
    if [[ -z "$ns" ]]; then
      ip link set "$b" up
      command -v ethtool >/dev/null 2>&1 && { ethtool -K "$b" tx off >/dev/null 2>&1 || true; }
    else
      ip link set "$b" netns "$ns" || return 1
      ip -n "$ns" link set "$b" up
      ip netns exec "$ns" ethtool -K "$b" tx off >/dev/null 2>&1 || true
    fi
    ip -n "$OVS_SANDBOX_NS" link set "$a" up
    ip netns exec "$OVS_SANDBOX_NS" ethtool -K "$a" tx off >/dev/null 2>&1 || true
    return 0
  fi
  if [[ -n "$ns" ]]; then
    ip link set "$b" netns "$ns" || return 1
    ip -n "$ns" link set "$b" up
    if command -v ethtool >/dev/null 2>&1; then
      ip netns exec "$ns" ethtool -K "$b" tx off >/dev/null 2>&1 || true
    fi
  else
    ip link set "$b" up
    command -v ethtool >/dev/null 2>&1 && { ethtool -K "$b" tx off >/dev/null 2>&1 || true; }
  fi
  ip link set "$a" up
  command -v ethtool >/dev/null 2>&1 && { ethtool -K "$a" tx off >/dev/null 2>&1 || true; }
  return 0
}

# Runs a command without the lock's file descriptor (for daemons that outlive this shell).
ovs_sandbox_without_lock() {
  if [[ -n "$OVS_SANDBOX_LOCK_FD" ]]; then
    "$@" {OVS_SANDBOX_LOCK_FD}>&-
  else
    "$@"
  fi
}

# Runs a command where ovs-vswitchd runs: its namespace in isolated mode, else right here.
ovs_sandbox_exec() {
  if [[ -n "$OVS_SANDBOX_NS" ]]; then
    ip netns exec "$OVS_SANDBOX_NS" "$@"
  else
    "$@"
  fi
}

ovs_sandbox_on_exit() {
  OVS_SANDBOX_HOOKS+=("$1")
}

# True while process $1 runs (a zombie waiting for its reaper counts as gone).
ovs_sandbox_alive() {
  local pid=$1 stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ "${stat:0:1}" != Z ]]
}

# Stops process $1 (already asked to exit): waits ~3 s, then TERM, then KILL.
ovs_sandbox_kill_pid() {
  local -
  set +e
  local pid=$1 i sig
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  for sig in NONE TERM KILL; do
    [[ $sig != NONE ]] && kill -"$sig" "$pid" 2>/dev/null
    for ((i = 0; i < 30; i++)); do
      ovs_sandbox_alive "$pid" || return 0
      sleep 0.1
    done
  done
  ovs_sandbox_log "pid $pid would not exit"
  return 1
}

ovs_sandbox_stop() {
  # Cleanup must run to the end even under the caller's `set -eu`: options are restored on return.
  local -
  set +eu
  local i br ns link
  # Our own hooks first, newest first.
  for ((i = ${#OVS_SANDBOX_HOOKS[@]} - 1; i >= 0; i--)); do
    eval "${OVS_SANDBOX_HOOKS[$i]}" >/dev/null 2>&1 || true
  done
  OVS_SANDBOX_HOOKS=()

  if [[ -n "$OVS_SANDBOX_DIR" && -d "$OVS_SANDBOX_DIR" ]]; then
    if [[ -S "$OVS_SANDBOX_DIR/run/db.sock" ]]; then
      for br in "${OVS_SANDBOX_BRIDGES[@]}"; do
        ovs-vsctl --timeout=5 --if-exists del-br "$br" >/dev/null 2>&1 || true
      done
    fi
    # Ask ovs-vswitchd to remove its datapaths and ports (--cleanup), then make sure.
    if [[ -S "$OVS_SANDBOX_DIR/run/ovs-vswitchd.ctl" ]]; then
      ovs-appctl --timeout=5 -t "$OVS_SANDBOX_DIR/run/ovs-vswitchd.ctl" exit --cleanup \
        >/dev/null 2>&1 || true
    fi
    ovs_sandbox_kill_pid "$OVS_SANDBOX_VSWITCHD_PID"
    if [[ -S "$OVS_SANDBOX_DIR/run/ovsdb-server.ctl" ]]; then
      ovs-appctl --timeout=5 -t "$OVS_SANDBOX_DIR/run/ovsdb-server.ctl" exit >/dev/null 2>&1 || true
    fi
    ovs_sandbox_kill_pid "$OVS_SANDBOX_OVSDB_PID"
  fi
  # Also when the directory is already gone (no-ops for processes that have exited).
  ovs_sandbox_kill_pid "$OVS_SANDBOX_VSWITCHD_PID"
  ovs_sandbox_kill_pid "$OVS_SANDBOX_OVSDB_PID"

  # Internal ports of a netdev bridge are taps owned by ovs-vswitchd and vanish with it;
  # delete any that a killed daemon left behind.
  if [[ -z "$OVS_SANDBOX_NS" ]]; then
    for br in "${OVS_SANDBOX_BRIDGES[@]}"; do
      ip link del "$br" >/dev/null 2>&1 || true
    done
  fi
  OVS_SANDBOX_BRIDGES=()
  for link in "${OVS_SANDBOX_LINKS[@]}"; do
    ip link del "$link" >/dev/null 2>&1 || true
    [[ -n "$OVS_SANDBOX_NS" ]] && { ip -n "$OVS_SANDBOX_NS" link del "$link" >/dev/null 2>&1 || true; }
  done
  OVS_SANDBOX_LINKS=()
  for ns in "${OVS_SANDBOX_NETNS[@]}"; do
    ip netns del "$ns" >/dev/null 2>&1 || true
  done
  OVS_SANDBOX_NETNS=()
  OVS_SANDBOX_NS=""

  if [[ -n "$OVS_SANDBOX_DIR" ]]; then
    if [[ "${OVS_SANDBOX_KEEP_LOGS:-}" != "" && -d "$OVS_SANDBOX_DIR/log" ]]; then
      mkdir -p "$OVS_SANDBOX_KEEP_LOGS" && cp -r "$OVS_SANDBOX_DIR/log/." "$OVS_SANDBOX_KEEP_LOGS/" 2>/dev/null
    fi
    case "$OVS_SANDBOX_DIR" in
      /tmp/ovs-sb.*) rm -rf "$OVS_SANDBOX_DIR" ;;
    esac
    OVS_SANDBOX_DIR=""
  fi
  OVS_SANDBOX_OVSDB_PID=""
  OVS_SANDBOX_VSWITCHD_PID=""
  if [[ -n "$OVS_SANDBOX_LOCK_FD" ]]; then
    exec {OVS_SANDBOX_LOCK_FD}>&-
    OVS_SANDBOX_LOCK_FD=""
  fi
  unset OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR OVS_SANDBOX_DB_SOCK
  return 0
}

# Prints the last lines of the daemons' logs (for a failing test's output).
ovs_sandbox_dump_logs() {
  local f
  [[ -n "$OVS_SANDBOX_DIR" ]] || return 0
  for f in "$OVS_SANDBOX_DIR"/log/*.log; do
    [[ -r "$f" ]] || continue
    echo "---- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}
