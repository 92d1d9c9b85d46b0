# shellcheck shell=bash
# qemu.sh: QEMU guests for the testbed (source after testbed.sh and tb_init).
#
#   qv_build_guest                      kernel + initramfs in $QV_GUEST_DIR (cached)
#   qv_start NAME TAP MAC HOA [PORT]    a guest on tap TAP; with PORT it waits for an incoming
#                                       migration on tcp:127.0.0.1:PORT instead of booting
#   qv_wait_ready NAME [TIMEOUT_S]      until the guest printed VMN-READY (eth0 configured)
#   qv_migrate SRC DST PORT             live migration SRC -> DST over loopback; prints
#                                       QEMU's stats (total-time, downtime = the pause, ms)
#   qv_stop NAME                        quit and wait; tb_teardown also stops every guest
#   qv_measured_migration SRC DST TAP MAC HOA PORT CN [PROBE_S] [AT_S]
#                                       one live migration SRC -> DST (a new QEMU on TAP) while
#                                       netns CN probes HOA with ping -D and vmn-probe; results
#                                       in QV_STATS, QV_PING, QV_PROBE; SRC is stopped after it
#
# TCG only: this machine's /dev/kvm cannot run an ordinary guest (SYSTEM.md). virtio-net with
# vnet_hdr=off, since offloaded checksums do not survive userspace OVS. 128 MiB (96 is the
# smallest that boots).

QV_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QV_QMP="$QV_LIB_DIR/../qemu/qmp.py"
QV_GUEST_DIR=${QV_GUEST_DIR:-$TB_BUILD_DIR/e2e-guest}
QV_MEMORY_MB=${QV_MEMORY_MB:-128}
QV_ECHO_PORT=7000
declare -A QV_PID=()

qv_build_guest() {
  command -v qemu-system-x86_64 >/dev/null || tb_skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
  compgen -G "/boot/vmlinuz-*" >/dev/null || tb_skip "no kernel in /boot (apt-get install linux-image-amd64)"
  command -v busybox >/dev/null || tb_skip "busybox missing (apt-get install busybox-static)"
  TB_BUILD_DIR=$TB_BUILD_DIR VMN_PROBE=$VMN_PROBE "$QV_LIB_DIR/../qemu/build-guest.sh" "$QV_GUEST_DIR" \
    || tb_die "guest build failed"
}

qv_qmp_socket() { echo "$TB_WORK/$1.qmp"; }
qv_console() { echo "$TB_WORK/$1.console"; }

qv_start() {
  local name=$1 tap=$2 mac=$3 hoa=$4 incoming=${5:-}
  local args=(
    qemu-system-x86_64
    -name "$name"
    -accel tcg
    -m "$QV_MEMORY_MB"
    -smp 1
    -nodefaults -no-user-config -no-reboot
    -display none
    -kernel "$QV_GUEST_DIR/vmlinuz"
    -initrd "$QV_GUEST_DIR/initramfs.gz"
    -append "console=ttyS0 quiet panic=-1 vmn.hoa=$hoa/24 vmn.gw=$TB_HOME_GATEWAY vmn.echo=$QV_ECHO_PORT"
    -serial "file:$(qv_console "$name")"
    -qmp "unix:$(qv_qmp_socket "$name"),server=on,wait=off"
    -netdev "tap,id=net0,ifname=$tap,script=no,downscript=no,vnet_hdr=off"
    -device "virtio-net-pci,netdev=net0,mac=$mac"
  )
  if [[ -n "$incoming" ]]; then
    args+=(-incoming "tcp:127.0.0.1:$incoming")
  fi
  "${args[@]}" </dev/null >"$TB_WORK/$name.qemu.log" 2>&1 &
  QV_PID[$name]=$!
  tb_track_pid "${QV_PID[$name]}"
  python3 "$QV_QMP" "$(qv_qmp_socket "$name")" wait-ready 30 \
    || tb_die "QEMU $name did not start: $(cat "$TB_WORK/$name.qemu.log")"
}

qv_wait_ready() {
  local name=$1 limit=${2:-180} i
  for ((i = 0; i < limit * 10; i++)); do
    grep -q VMN-READY "$(qv_console "$name")" 2>/dev/null && return 0
    ovs_sandbox_alive "${QV_PID[$name]}" || tb_die "QEMU $name exited: $(cat "$TB_WORK/$name.qemu.log")"
    sleep 0.1
  done
  tb_log "console of $name:"
  tail -n 30 "$(qv_console "$name")" >&2
  return 1
}

qv_migrate() {
  local src=$1 port=$3
  python3 "$QV_QMP" "$(qv_qmp_socket "$src")" migrate "tcp:127.0.0.1:$port" 120
}

qv_stop() {
  local name=$1 pid=${QV_PID[$1]:-}
  [[ -n "$pid" ]] || return 0
  python3 "$QV_QMP" "$(qv_qmp_socket "$name")" cmd quit >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
  ovs_sandbox_kill_pid "$pid" >/dev/null 2>&1 || true
  unset "QV_PID[$name]"
}

# One migration under both probes: DST is started on TAP waiting for the migration, CN starts
# `ping -D -i 0.01` and vmn-probe (1 ms) at HOA for PROBE_S seconds (default 8), and AT_S
# seconds in (default 2) SRC migrates to DST. Leaves QEMU's stats in QV_STATS (total-time,
# downtime = the pause) and the probes' JSON in QV_PING (tb_ping_result) and QV_PROBE
# (tb_probe_result). Returns non-zero when the migration fails or DST does not run after it.
QV_STATS="" QV_PING="" QV_PROBE=""
qv_measured_migration() {
  local src=$1 dst=$2 tap=$3 mac=$4 hoa=$5 port=$6 cn=$7 probe_s=${8:-8} at_s=${9:-2} status
  qv_start "$dst" "$tap" "$mac" "$hoa" "$port"
  tb_ping_start "ping-$dst" "$cn" "$hoa" "$probe_s"
  tb_probe_start "probe-$dst" "$cn" "$hoa:$QV_ECHO_PORT" "$probe_s"
  sleep "$at_s"
  QV_STATS=$(qv_migrate "$src" "$dst" "$port") || { tb_log "migration $src -> $dst failed"; return 1; }
  status=$(python3 "$QV_QMP" "$(qv_qmp_socket "$dst")" cmd query-status)
  [[ $(tb_json_field "$status" status) == running ]] || { tb_log "$dst not running: $status"; return 1; }
  qv_stop "$src"
  QV_PROBE=$(tb_probe_result "probe-$dst")
  QV_PING=$(tb_ping_result "ping-$dst")
}

# After qv_measured_migration: both probes saw a finite downtime under LIMIT_MS, ping answered
# again, and a fresh 1 s probe from CN is at least half answered. Leaves the downtimes in
# QV_PROBE_MS and QV_PING_MS; fails the test (qv_fail) otherwise. Args: RUN LIMIT_MS CN HOA.
QV_PROBE_MS="" QV_PING_MS=""
qv_check_recovery() {
  local run=$1 limit_ms=$2 cn=$3 hoa=$4 after
  QV_PROBE_MS=$(tb_json_field "$QV_PROBE" downtime_ms)
  QV_PING_MS=$(tb_json_field "$QV_PING" downtime_ms)
  [[ $(tb_json_field "$QV_PING" resumed) == True ]] || qv_fail "run $run: ping never answered again: $QV_PING"
  [[ -n "$QV_PROBE_MS" && -n "$QV_PING_MS" ]] || qv_fail "run $run: a probe got no answers"
  python3 -c "import sys; p, q, l = map(float, sys.argv[1:]); sys.exit(0 if 0 <= p < l and 0 <= q < l else 1)" \
    "$QV_PROBE_MS" "$QV_PING_MS" "$limit_ms" || qv_fail "run $run: downtime out of range"
  after=$(ip netns exec "$cn" "$VMN_PROBE" probe --to "$hoa:$QV_ECHO_PORT" --duration-s 1 --json || true)
  (($(tb_json_field "$after" answered) >= 500)) || qv_fail "run $run: traffic did not resume ($after)"
}

# Fails a QEMU test: the tails of the guests' consoles, QEMU's logs and the controller's log
# (when there is one), then the sandbox's OVS logs.
qv_fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$TB_WORK"/*.console "$TB_WORK"/*.qemu.log "$TB_WORK/controller.log"; do
    [[ -s "$f" ]] && { echo "---- $f" >&2; tail -n 25 "$f" >&2; }
  done
  ovs_sandbox_dump_logs
  exit 1
}
