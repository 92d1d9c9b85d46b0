#!/usr/bin/env bash
# vmnctl-ofc checks its state file against its configuration before using it (issue 17): a
# state from a configuration with the sites' pools swapped, or a file holding `null`, is refused
# at start (exit 1, a message naming the problem) and left byte for byte as it was; an absent
# file is the only empty start. A pool of 3.7 billion addresses starts and is saved (it aborted
# with std::bad_alloc when a pool kept a byte per address).
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/vmnctl-state.XXXXXX)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/log" ]] && cat "$work/log" >&2
  exit 1
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# config FILE POOL_A POOL_B: two sites with these pools, the state file in $work.
config() {
  cat >"$1" <<JSON
{ "openflow": {"listen": "127.0.0.1:$port"},
  "home": {"prefix": "10.10.0.0/24", "gateway": "10.10.0.254"},
  "sites": [
    {"name": "site-a", "dpid": "0xa", "uplink": "up-a", "gateway": "192.168.1.1", "mobile_pool": $2},
    {"name": "site-b", "dpid": "0xb", "uplink": "up-b", "gateway": "192.168.2.1", "mobile_pool": $3} ],
  "state_file": "$work/state.json" }
JSON
}
wait_log() {
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q -- "$1" "$work/log" && return 0
    sleep 0.1
  done
  fail "no '$1' in the log"
}
# Runs the controller until it listens, then stops it (the state file is written).
run_once() {
  "$bin" --config "$1" >"$work/log" 2>&1 &
  pid=$!
  wait_log "listening for switches on 127.0.0.1:$port"
  kill -TERM "$pid"
  wait "$pid" || fail "exit status $? after SIGTERM"
  pid=""
}
# refuses_start CONFIG TEXT: exits 1 at start, says TEXT, and leaves the state file unchanged.
refuses_start() {
  local before status=0
  before=$(sha256sum "$work/state.json")
  timeout 10 "$bin" --config "$1" >"$work/log" 2>&1 || status=$?
  [[ $status -eq 1 ]] || fail "exit status $status, expected 1 (refused at start)"
  grep -qF -- "$2" "$work/log" || fail "no '$2' in the log"
  [[ "$(sha256sum "$work/state.json")" == "$before" ]] || fail "the state file changed"
}

a='["192.168.1.100-192.168.1.199"]'
b='["192.168.2.100-192.168.2.199"]'
config "$work/swapped.json" "$b" "$a"
config "$work/right.json" "$a" "$b"

# A state written with the pools swapped, read with the right configuration.
[[ ! -e "$work/state.json" ]]
run_once "$work/swapped.json"
[[ -s "$work/state.json" ]] || fail "no state file written"
refuses_start "$work/right.json" "switches[0].pool.ranges: 192.168.2.100 is not in the configured pool of datapath 0xa"
grep -qF "switches[1].pool.ranges: 192.168.1.100 is not in the configured pool of datapath 0xb" "$work/log" ||
  fail "site b's pool not named"

# `null` is not an empty state.
echo null >"$work/state.json"
refuses_start "$work/right.json" "snapshot: not an object"
[[ "$(cat "$work/state.json")" == null ]] || fail "null overwritten"

# An absent file starts empty; a huge pool starts, and its state file stays small.
rm "$work/state.json"
config "$work/huge.json" \
  '["1.0.0.0-10.9.255.255", "11.0.0.0-126.255.255.255", "128.0.0.0-191.255.255.255", "193.0.0.0-223.255.255.255"]' "$b"
run_once "$work/huge.json"
(($(stat -c %s "$work/state.json") < 10000)) || fail "state file of $(stat -c %s "$work/state.json") bytes"
run_once "$work/huge.json"  # and restarts from it
grep -qF "state restored from $work/state.json: 0 VMNs" "$work/log" || fail "not restored"
echo PASS
