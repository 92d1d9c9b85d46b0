#!/usr/bin/env bash
# vmnctl-ofc SIGHUP, without switches: a grown pool is applied live and saved in the state
# file; a change that cannot be applied live (a pool losing an address, a dpid, a site added)
# is refused with a message naming it and changes nothing; the controller keeps serving
# OpenFlow throughout; a restart with the grown configuration restores the grown pools.
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/vmnctl-reload.XXXXXX)
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
# config FILE POOL_A POOL_B [DPID_B] [EXTRA_SITE]: two sites (or three) with the given pools.
config() {
  local file=$1 pool_a=$2 pool_b=$3 dpid_b=${4:-0xb} extra=${5:-}
  cat >"$file" <<JSON
{ "openflow": {"listen": "127.0.0.1:$port"},
  "home": {"prefix": "10.10.0.0/24", "gateway": "10.10.0.254"},
  "sites": [
    {"name": "site-a", "dpid": "0xa", "uplink": "up-a", "gateway": "192.168.1.1", "mobile_pool": $pool_a},
    {"name": "site-b", "dpid": "$dpid_b", "uplink": "up-b", "gateway": "192.168.2.1", "mobile_pool": $pool_b}$extra
  ],
  "mobility": {"moa_hold_s": 30},${LIMITS:-}
  "state_file": "$work/state.json",
  "log": {"level": "info"} }
JSON
}
# Waits until the log has at least N lines matching PATTERN (default 1), at most 5 s.
wait_log() {
  local pattern=$1 n=${2:-1} i
  for ((i = 0; i < 50; i++)); do
    (($(grep -c -- "$pattern" "$work/log" || true) >= n)) && return 0
    sleep 0.1
  done
  fail "no ${n}x '$pattern' in the log"
}
# The controller answers an OpenFlow 1.3 HELLO with its own.
serving() {
  python3 - "$port" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(struct.pack("!BBHI", 4, 0, 8, 1))
h = s.recv(8)
sys.exit(0 if len(h) == 8 and h[0] == 4 and h[1] == 0 else 1)
PY
}
pools() {  # the state file's pools: "dpid first-last ..." per switch
  python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["switches"]:
    print(hex(s["datapath_id"]), " ".join(a + "-" + b for a, b in s["pool"]["ranges"]))' "$work/state.json"
}

config "$work/c.json" '["192.168.1.100-192.168.1.101"]' '["192.168.2.100-192.168.2.101"]'
"$bin" --config "$work/c.json" >"$work/log" 2>&1 &
pid=$!
wait_log "listening for switches on 127.0.0.1:$port"
serving || fail "no HELLO before the reload"

# 1. Growth: a new range for site a, site b's range extended.
config "$work/c.json" '["192.168.1.100-192.168.1.101", "192.168.1.200-192.168.1.209"]' '["192.168.2.100-192.168.2.149"]'
kill -HUP "$pid"
wait_log "configuration reloaded (2 pools grown)"
grep -qF "pool of site-a (dp 0x000000000000000a) grown by 10 addresses to 12" "$work/log" || fail "site a not grown"
grep -qF "pool of site-b (dp 0x000000000000000b) grown by 48 addresses to 50" "$work/log" || fail "site b not grown"
expected_pools=$'0xa 192.168.1.100-192.168.1.101 192.168.1.200-192.168.1.209\n0xb 192.168.2.100-192.168.2.149'
[[ "$(pools)" == "$expected_pools" ]] || fail "state file pools: $(pools)"
cp "$work/state.json" "$work/state.grown"
serving || fail "no HELLO after the growth"

# 2. Refused: site a loses 192.168.1.200-209, site b's dpid changes: neither happens.
config "$work/c.json" '["192.168.1.100-192.168.1.101"]' '["192.168.2.100-192.168.2.149"]' 0xbb
kill -HUP "$pid"
wait_log "reload refused: sites\[1\].dpid (site-b) cannot change while running; nothing changed"
grep -qF "reload refused: sites[0].mobile_pool (site-a): 192.168.1.200 would leave the pool; a pool may only grow while running; nothing changed" "$work/log" \
  || fail "shrink not refused by name"
# 3. Refused: a pool that grows (site b) beside a site added: all or nothing, so b does not grow.
config "$work/c.json" '["192.168.1.100-192.168.1.101", "192.168.1.200-192.168.1.209"]' '["192.168.2.100-192.168.2.199"]' 0xb \
  ', {"name": "site-c", "dpid": "0xc", "uplink": "up-c", "gateway": "192.168.3.1", "mobile_pool": ["192.168.3.100-192.168.3.101"]}'
kill -HUP "$pid"
wait_log "reload refused: sites cannot be added or removed while running (2 configured, 3 in the file)"
# 4. Refused: a file that does not parse.
echo '{"openflow": ' >"$work/c.json"
kill -HUP "$pid"
wait_log "reload refused: .*nothing changed" 4
sleep 0.3
(($(grep -c "configuration reloaded" "$work/log") == 1)) || fail "a refused reload was applied"
(($(grep -c "pool-grown\|grown by" "$work/log") == 2)) || fail "a refused reload grew a pool"
cmp -s "$work/state.json" "$work/state.grown" || fail "a refused reload changed the state file"
kill -0 "$pid" 2>/dev/null || fail "the controller exited"
serving || fail "no HELLO after the refused reloads"

# 5. Limits: packet-in rates change live; a connection limit cannot (refused, nothing changed).
grown_a='["192.168.1.100-192.168.1.101", "192.168.1.200-192.168.1.209"]' grown_b='["192.168.2.100-192.168.2.149"]'
LIMITS=' "limits": {"packet_in_per_port": {"rate": 20, "burst": 10}},' config "$work/c.json" "$grown_a" "$grown_b"
kill -HUP "$pid"
wait_log "packet-in rates changed"
wait_log "configuration reloaded" 2
LIMITS=' "limits": {"packet_in_per_port": {"rate": 20, "burst": 10}, "connections_per_address": 3},' \
  config "$work/c.json" "$grown_a" "$grown_b"
kill -HUP "$pid"
wait_log "reload refused: limits.connections_per_address, connections_total and handshake_timeout_s cannot change while running"
serving || fail "no HELLO after the limits reloads"

# 6. Restart with the grown configuration: the grown pools come back from the state file.
kill -TERM "$pid"
wait "$pid" || fail "the controller did not stop cleanly"
pid=""
config "$work/c.json" '["192.168.1.100-192.168.1.101", "192.168.1.200-192.168.1.209"]' '["192.168.2.100-192.168.2.149"]'
"$bin" --config "$work/c.json" >"$work/log" 2>&1 &
pid=$!
wait_log "state restored from $work/state.json"
wait_log "listening for switches"
serving || fail "no HELLO after the restart"
kill -TERM "$pid"
wait "$pid" || fail "the controller did not stop cleanly after the restart"
pid=""
[[ "$(pools)" == "$expected_pools" ]] || fail "state file pools after the restart: $(pools)"
echo "PASS"
