#!/usr/bin/env bash
# ctest vmnbench_loopback (label bench): vmnbench against vmnctl-ofc on loopback in throughput,
# latency and migration mode (every answer verified: zero wrong, answers > 0, the migration's
# flow-mods on every affected switch), then against the reflector and the null controller
# (answers counted only). A few seconds each.
# usage: vmnbench_test.sh VMNBENCH VMNCTL_OFC REFLECTOR NULL_CONTROLLER
set -euo pipefail
vmnbench=$1 vmnctl=$2 reflector=$3 null_controller=$4
work=$(mktemp -d /tmp/vmnbench-test.XXXXXX)
port=$((20000 + RANDOM % 12000))  # below the ephemeral range
peer_pid=
cleanup() {
  [[ -n "$peer_pid" ]] && kill "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/peer.log" ]] && tail -20 "$work/peer.log" >&2
  exit 1
}

wait_listening() {
  for _ in $(seq 100); do
    ss -ltnH "sport = :$port" | grep -q . && return 0
    sleep 0.05
  done
  fail "nothing listens on 127.0.0.1:$port"
}

start_vmnctl() {  # start_vmnctl VMNBENCH-ARGS...: a fresh controller configured for that run
  "$vmnbench" --write-config "$work/config.json" --controller "127.0.0.1:$port" "$@"
  "$vmnctl" --config "$work/config.json" >"$work/peer.log" 2>&1 &
  peer_pid=$!
  wait_listening
}

stop_peer() {
  kill "$peer_pid" && wait "$peer_pid" 2>/dev/null || true
  peer_pid=
}

# check JSON PYTHON-EXPRESSION MESSAGE: asserts over the run's JSON object `r`.
check() {
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
    fail "$3: $1"
}

run() {  # run ARGS...: vmnbench --json, its object on stdout
  "$vmnbench" --json --controller "127.0.0.1:$port" "$@" || fail "vmnbench $* exited $?"
}

args=(throughput --switches 4 --vms-per-switch 50 --window 16 --duration 2 --warmup 0.5 --mix arp=80,peer=15,rarp=5)
start_vmnctl "${args[@]}"
r=$(run "${args[@]}" --target vmnctl-ofc)
check "$r" 'r["wrong_total"] == 0 and r["timeouts_total"] == 0' "throughput: wrong answers or timeouts"
check "$r" 'r["correct"] > 1000 and r["answers_per_s"]["median"] > 0' "throughput: too few answers"
check "$r" 'r["by_kind"]["rarp"] > 0 and r["by_kind"]["peer"] > 0' "throughput: the mix was not sent"
check "$r" 'all(n > 0 for n in r["flow_mods_per_switch"])' "throughput: a switch got no flow-mods"
echo "throughput vs vmnctl-ofc: $(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["answers_per_s"]["median"]))' "$r")/s"
stop_peer

args=(latency --duration 1 --warmup 0.2)
start_vmnctl "${args[@]}"
r=$(run "${args[@]}" --target vmnctl-ofc)
check "$r" 'r["wrong_total"] == 0 and r["latency_us"]["n"] > 100 and r["latency_us"]["p50"] > 0' "latency"
stop_peer

args=(migration --correspondents 10 --spread 3 --trials 3)
start_vmnctl "${args[@]}"
r=$(run "${args[@]}" --target vmnctl-ofc)
check "$r" 'r["wrong_total"] == 0 and r["trials_missing_flow_mods"] == 0 and r["trials_incomplete"] == 0' "migration: flow-mods missing"
check "$r" 'r["affected_switches"] == 3 and r["flow_mods_per_migration"] >= 3 * 10 and r["reaction_us"]["p50"] > 0' "migration: too few flow-mods"
stop_peer

for baseline in "$reflector" "$null_controller"; do
  "$baseline" "127.0.0.1:$port" >"$work/peer.log" 2>&1 &
  peer_pid=$!
  wait_listening
  r=$(run throughput --switches 4 --duration 1 --warmup 0.2 --expect any-packet-out --target "$(basename "$baseline")")
  check "$r" 'r["correct"] > 1000 and r["timeouts_total"] == 0 and "not checked" in r["verification"]' "$(basename "$baseline")"
  stop_peer
done
echo "PASS"
