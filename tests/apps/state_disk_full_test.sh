#!/usr/bin/env bash
# vmnctl-ofc when the disk under its state file is full (a 48 KiB tmpfs; needs root for the
# mount): vmnbench registers VMNs until the state no longer fits. The controller must go on
# answering every question correctly, say once that the state could not be saved, leave the
# last saved state whole (the snapshot valid JSON, every journal record whole but perhaps the
# last, no partial temporary file), and save again once there is room.
# usage: state_disk_full_test.sh VMNCTL_OFC VMNBENCH
set -euo pipefail
vmnctl=$1 vmnbench=$2
lib=$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (mounts a small tmpfs)"
  exit 77
fi
work=$(mktemp -d /tmp/vmnctl-diskfull.XXXXXX)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  mountpoint -q "$work/state" && umount "$work/state"
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/log" ]] && tail -30 "$work/log" >&2
  exit 1
}
check() {  # check JSON PYTHON-EXPRESSION MESSAGE (over vmnbench's JSON object r)
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
    fail "$3: $1"
}
state_ok() {  # the state on disk (snapshot + journal, tests/lib/vmnctl_state.py) holds at least N VMNs
  local n
  n=$(python3 "$lib/vmnctl_state.py" "$work/state/state.json" |
      python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') || return 1
  (( n >= $1 ))
}

mkdir -p "$work/state"
mount -t tmpfs -o size=48k tmpfs "$work/state"
port=$((20000 + RANDOM % 12000))
bench=(throughput --switches 4 --vms-per-switch 150 --window 8 --duration 2 --warmup 0.5 --mix arp=90,peer=10)
"$vmnbench" --write-config "$work/config.json" --controller "127.0.0.1:$port" "${bench[@]}"
python3 - "$work/config.json" "$work/state/state.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["state_file"] = sys.argv[2]
c["log"] = {"level": "info"}  # the line that says the state was saved again
json.dump(c, open(sys.argv[1], "w"))
PY
"$vmnctl" --config "$work/config.json" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.05; done

# 600 VMNs need far more than 48 KiB of state: saving fails part of the way.
r=$("$vmnbench" --json --controller "127.0.0.1:$port" "${bench[@]}") || fail "vmnbench exited $?"
check "$r" 'r["wrong_total"] == 0 and r["timeouts_total"] == 0' "answers went wrong while the disk was full"
check "$r" 'r["correct"] > 1000' "too few answers while the disk was full"
kill -0 "$pid" 2>/dev/null || fail "the controller died"
failures=$(grep -c 'state not saved' "$work/log" || true)
[[ $failures -eq 1 ]] || fail "expected one 'state not saved' line, got $failures"
grep -q 'No space left on device' "$work/log" || fail "the log does not say why"
state_ok 1 || fail "the state file on the full disk is not a whole earlier state"
[[ ! -e "$work/state/state.json.tmp" ]] || fail "a partial temporary file was left behind"

# Room again: the next change saves the whole registry.
mount -o remount,size=4m "$work/state"
r=$("$vmnbench" --json --controller "127.0.0.1:$port" "${bench[@]}" --mix arp=80,rarp=20) || fail "vmnbench exited $?"
check "$r" 'r["wrong_total"] == 0' "answers went wrong after the disk had room"
for _ in $(seq 50); do grep -q 'state saved again' "$work/log" && break; sleep 0.1; done
grep -q 'state saved again' "$work/log" || fail "the controller did not say the state was saved again"
state_ok 600 || fail "the state saved after the disk had room does not hold every VMN"
echo "PASS: disk full: answers correct, one error line, last state whole; saved again with room"
