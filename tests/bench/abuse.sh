#!/usr/bin/env bash
# Migration reaction time of vmnctl-ofc with and without an ARP packet-in flood from another
# switch (loopback only). docs/BENCHMARKS.md records the numbers.
#   bash tests/bench/abuse.sh [BUILD_DIR]    (default build/release; vmnctl-ofc and vmnbench built)
# The controller runs on CPU 0, vmnbench and the flooder on CPU 1. Exits 1 unless every
# migration was answered completely (no wrong answer, timeout or disconnect) and the flood's
# drops were reported (ctest `abuse_flood_bench`, label bench, runs it with TRIALS=10; the
# times are printed, never asserted).
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
bench=${VMNBENCH:-$build/tests/bench/vmnbench/vmnbench} ctl=${VMNCTL:-$build/apps/vmnctl-ofc/vmnctl-ofc}
rate=${FLOOD_RATE:-200000} trials=${TRIALS:-20}
work=$(mktemp -d /tmp/vmnmob-abuse.XXXXXX)
pid="" flood=""
cleanup() {
  [[ -n "$flood" ]] && kill "$flood" 2>/dev/null && wait "$flood" 2>/dev/null || true
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
args=(migration --controller "127.0.0.1:$port" --switches 4 --correspondents 10 --spread 3 --trials "$trials")
"$bench" --write-config "$work/c.json" "${args[@]}"
# One more site for the flooding switch.
python3 - "$work/c.json" "$port" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["openflow"]["listen"] = "127.0.0.1:" + sys.argv[2]
d.pop("limits", None)  # vmnbench writes them off; here the defaults are what is measured
d["sites"].append({"name": "flood", "dpid": "0xf100d", "uplink": "up-flood", "gateway": "100.65.0.0",
                   "mobile_pool": ["100.65.0.1-100.65.0.254"]})
json.dump(d, open(sys.argv[1], "w"))
PY
# The same without packet-in limits (every bucket rate 0), to see what they change.
python3 - "$work/c.json" "$work/nolimits.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["limits"] = {k: {"rate": 0, "burst": 0} for k in ("packet_in_per_switch", "packet_in_per_port", "announce_per_switch")}
json.dump(d, open(sys.argv[2], "w"))
PY
run() {  # run NAME [flood [CONFIG]]
  taskset -c 0 "$ctl" --config "${3:-$work/c.json}" >"$work/$1.log" 2>&1 &
  pid=$!
  sleep 0.5
  if [[ ${2:-} == flood ]]; then
    taskset -c 1 python3 "$here/abuse_flood.py" --controller "127.0.0.1:$port" --rate "$rate" --seconds 30 \
      >"$work/flood.json" &
    flood=$!
    sleep 1
  fi
  taskset -c 1 "$bench" "${args[@]}" --json >"$work/$1.json"
  if [[ -n "$flood" ]]; then kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null || true; flood=""; fi
  [[ ${2:-} == flood ]] && mv "$work/flood.json" "$work/$1.flood.json"
  kill "$pid"; wait "$pid" || true; pid=""
}
run quiet
run flooded flood
run flooded-nolimits flood "$work/nolimits.json"
python3 - "$work" <<'PY'
import json, sys, pathlib
w = pathlib.Path(sys.argv[1])
bad = False
for name in ("quiet", "flooded", "flooded-nolimits"):
    d = json.loads((w / f"{name}.json").read_text())
    r = d["reaction_us"]
    print(f"{name:8} reaction us: median {r['median']:.0f} min {r['min']:.0f} max {r['max']:.0f} (n={r['n']}); "
          f"incomplete {d['trials_incomplete']}, missing flow-mods {d['trials_missing_flow_mods']}, "
          f"wrong {d['wrong_total']}, timeouts {d['timeouts_total']}, disconnects {d['disconnects']}")
    if name != "quiet":
        print("   flood:", (w / f"{name}.flood.json").read_text().strip())
    bad = bad or d["trials_incomplete"] or d["trials_missing_flow_mods"] or d["wrong_total"] \
        or d["timeouts_total"] or d["disconnects"] or r["n"] != d["trials"]
log = (w / "flooded.log").read_text().splitlines()
dropped = [l for l in log if "over the limits are being dropped" in l]
print("\n".join(dropped))
if bad or not dropped:
    sys.exit("FAIL: a migration was not answered completely, or no drops were reported")
print("PASS")
PY
echo "work dir: $work"
