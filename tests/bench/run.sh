#!/usr/bin/env bash
# The whole benchmark set in one command (docs/BENCHMARKS.md):
#   tests/bench/run.sh [--quick] [--build-dir DIR]
# Builds Release with VMNMOB_BUILD_BENCHMARKS=ON, then runs vmnbench side by side against
# vmnctl-ofc, the null controller (libvmnmob's I/O path), the raw epoll reflector (the machine),
# the os-ken peer (if tests/bench/peers/osken/run-osken.sh exists and os-ken is installed) and
# ovs-testcontroller; the migration matrix, scale and reconnect against vmnctl-ofc (and os-ken
# where it finishes in time); and the Google Benchmark microbenchmarks.
# Controller and vmnbench are pinned to different cores with taskset when there are two.
# Writes DIR/bench/results.json (every run, and the medians) and DIR/bench/BENCHMARKS-fragment.md.
# --quick: fewer and shorter runs, smaller sizes (a few minutes).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
quick=0
build=$root/build
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --build-dir) build=$(realpath -m "$2"); shift ;;
    *) echo "usage: $0 [--quick] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

if ((quick)); then
  runs=3 duration=1.2 warmup=0.3 trials=5 scale_vmns=(100000) micro_args=(--benchmark_min_time=0.02)
  migration_c=(1 10 100 1000) migration_s=(1 10 100) reconnect_trials=3
  osken_migration_c=(1 10 100) osken_scale=0  # os-ken needs ~1 min for 1000 switches
else
  runs=5 duration=10 warmup=1 trials=20 scale_vmns=(100000 1000000) micro_args=()
  migration_c=(1 10 100 1000) migration_s=(1 10 100) reconnect_trials=5
  osken_migration_c=(1 10 100 1000) osken_scale=1
fi

# Overrides for a shorter full run (the command is recorded in the report):
# BENCH_RUNS (runs per load configuration and target), BENCH_DURATION (measured seconds).
runs=${BENCH_RUNS:-$runs} duration=${BENCH_DURATION:-$duration}

# ---- build ----
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVMNMOB_BUILD_BENCHMARKS=ON >/dev/null
ninja -C "$build" -j"$(nproc)" vmnctl-ofc vmnbench vmnbench-reflector vmnbench-null-controller \
  vmnmob_bench_codec vmnmob_bench_mobility >/dev/null
vmnbench=$build/tests/bench/vmnbench/vmnbench
out=$build/bench
mkdir -p "$out"
work=$(mktemp -d /tmp/vmnbench-run.XXXXXX)
runs_file=$out/runs.jsonl
: >"$runs_file"
notes_file=$out/notes.txt
: >"$notes_file"
note() { echo "$*" | tee -a "$notes_file" >&2; }

# ---- machine and pinning ----
cpus=$(nproc)
if ((cpus >= 2)); then
  ctl_pin=(taskset -c 0) bench_pin=(taskset -c 1)
  pinning="controller on CPU 0, vmnbench on CPU 1 (taskset)"
else
  ctl_pin=() bench_pin=()
  pinning="not pinned (one CPU)"
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# ---- targets ----
# Below the ephemeral range (32768-60999), where vmnbench's own client ports live.
port=$((20000 + RANDOM % 8000))
peer_pid=
cleanup() {
  if [[ -n "$peer_pid" ]]; then kill "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

osken_script=$here/peers/osken/run-osken.sh
targets=(vmnctl-ofc null-controller reflector)
if [[ -x "$osken_script" || -f "$osken_script" ]]; then
  if command -v osken-manager >/dev/null && /usr/bin/python3 -c 'import os_ken' 2>/dev/null; then
    targets+=(os-ken)
  else
    note "os-ken peer skipped: python3-os-ken is not installed"
  fi
else
  note "os-ken peer skipped: $osken_script does not exist"
fi
if command -v ovs-testcontroller >/dev/null; then
  targets+=(ovs-testcontroller)
  note "ovs-testcontroller speaks OpenFlow 1.3 (-O OpenFlow13) but answers only PACKET_INs with reason NO_MATCH (lib/learning-switch.c ignores others) and is a learning switch, not a mobility controller: vmnbench sends it --packet-in-reason no-match and counts any PACKET_OUT (flood) as the answer."
else
  note "ovs-testcontroller skipped: not installed"
fi

wait_listening() {
  local pid=$1
  for _ in $(seq 300); do
    ss -ltnpH "sport = :$port" | grep -q "pid=$pid," && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# start_target NAME CONFIG: the target in the background on 127.0.0.1:$port, pinned. `exec`
# makes the background job the target itself, so $peer_pid is its pid (for kill, VmRSS, CPU).
start_target() {
  local name=$1 config=$2
  port=$((port + 1))  # a fresh port per run: nothing left over from the previous target answers
  case $name in
    vmnctl-ofc) exec "${ctl_pin[@]}" "$build/apps/vmnctl-ofc/vmnctl-ofc" --config "$config" --listen "127.0.0.1:$port" --log-level error ;;
    null-controller) exec "${ctl_pin[@]}" "$build/tests/bench/peers/vmnbench-null-controller" "127.0.0.1:$port" ;;
    reflector) exec "${ctl_pin[@]}" "$build/tests/bench/peers/vmnbench-reflector" "127.0.0.1:$port" ;;
    os-ken) exec "${ctl_pin[@]}" bash "$osken_script" "$config" "$port" ;;
    ovs-testcontroller) exec "${ctl_pin[@]}" ovs-testcontroller -O OpenFlow13 --unixctl="$work/otc.ctl" "ptcp:$port:127.0.0.1" ;;
  esac >"$work/target.log" 2>&1 &
  peer_pid=$!
  if ! wait_listening "$peer_pid"; then
    note "$name did not start listening: $(tail -3 "$work/target.log" | tr '\n' ' ')"
    stop_target
    return 1
  fi
}

stop_target() {
  [[ -n "$peer_pid" ]] || return 0
  kill "$peer_pid" 2>/dev/null || true
  wait "$peer_pid" 2>/dev/null || true
  peer_pid=
}

target_args() {  # how vmnbench judges each target's answers
  case $1 in
    null-controller | reflector) echo --expect any-packet-out ;;
    ovs-testcontroller) echo --expect any-packet-out --packet-in-reason no-match ;;
    os-ken) echo --expect mobility --timeout-ms 5000 ;;  # Python: 100s of ms per window
    *) echo --expect mobility ;;
  esac
}

# measure CONFIG-NAME TARGET RUN VMNBENCH-ARGS...: one run with a fresh target; appends its JSON.
measure() {
  local config_name=$1 target=$2 run=$3
  shift 3
  "$vmnbench" --write-config "$work/config.json" "$@"  # its listen address is overridden
  start_target "$target" "$work/config.json" || return 0
  local result
  # shellcheck disable=SC2046
  if ! result=$("${bench_pin[@]}" "$vmnbench" --json --controller "127.0.0.1:$port" --controller-pid "$peer_pid" \
    --target "$target" $(target_args "$target") "$@" 2>"$work/vmnbench.err"); then
    note "$config_name/$target run $run: vmnbench reported a failure ($(head -c 300 "$work/vmnbench.err" | tr '\n' ' '))"
  fi
  stop_target
  [[ -n "$result" ]] || return 0
  python3 - "$result" "$config_name" "$target" "$run" "$*" >>"$runs_file" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
r.update(config=sys.argv[2], target=sys.argv[3], run=int(sys.argv[4]), command="vmnbench " + sys.argv[5])
print(json.dumps(r))
EOF
  echo "  $config_name $target #$run done" >&2
}

# ---- load: throughput and latency ----
declare -A configs=(
  [throughput-16x100-w64]="throughput --switches 16 --vms-per-switch 100 --window 64"
  [throughput-1x2000-w1000]="throughput --switches 1 --vms-per-switch 2000 --window 1000"
  [latency-1]="latency --switches 1 --vms-per-switch 100 --window 1"
  [throughput-16x100-w64-mix]="throughput --switches 16 --vms-per-switch 100 --window 64 --mix arp=80,peer=15,rarp=5"
)
for config in throughput-16x100-w64 throughput-1x2000-w1000 latency-1 throughput-16x100-w64-mix; do
  for target in "${targets[@]}"; do
    if [[ $config == *-mix ]]; then
      case $target in vmnctl-ofc | os-ken) ;; *) continue ;; esac
    fi
    for run in $(seq "$runs"); do
      # shellcheck disable=SC2086
      measure "$config" "$target" "$run" ${configs[$config]} --duration "$duration" --warmup "$warmup"
    done
  done
done

# ---- migration reaction matrix ----
for target in vmnctl-ofc os-ken; do
  [[ " ${targets[*]} " == *" $target "* ]] || continue
  cs=("${migration_c[@]}")
  [[ $target == os-ken ]] && cs=("${osken_migration_c[@]}")
  for s in "${migration_s[@]}"; do
    for c in "${cs[@]}"; do
      measure "migration-c$c-s$s" "$target" 1 migration --correspondents "$c" --spread "$s" --trials "$trials"
    done
  done
done

# ---- scale and reconnect (vmnctl-ofc; os-ken registers ~1e4/s, so fewer VMNs with --quick) ----
for v in "${scale_vmns[@]}"; do
  measure "scale-1000-switches-$v-vmns" vmnctl-ofc 1 scale --switches 1000 --vmns "$v"
done
measure "reconnect-10000-vmns" vmnctl-ofc 1 reconnect --switches 1 --vms-per-switch 10000 --trials "$reconnect_trials"
if [[ " ${targets[*]} " == *" os-ken "* ]] && ((osken_scale)); then
  measure "scale-1000-switches-100000-vmns" os-ken 1 scale --switches 1000 --vmns 100000
  measure "reconnect-10000-vmns" os-ken 1 reconnect --switches 1 --vms-per-switch 10000 --trials "$reconnect_trials"
elif [[ " ${targets[*]} " == *" os-ken "* ]]; then
  note "--quick: os-ken's scale and reconnect runs and its 1000-correspondent migrations are left out (minutes in Python)"
fi

# ---- microbenchmarks ----
for micro in vmnmob_bench_codec vmnmob_bench_mobility; do
  "$build/tests/bench/$micro" --benchmark_format=json --benchmark_out="$out/$micro.json" \
    --benchmark_out_format=json "${micro_args[@]}" >/dev/null 2>"$work/micro.err" ||
    note "$micro failed: $(tail -3 "$work/micro.err" | tr '\n' ' ')"
done

# ---- report ----
python3 "$here/report.py" --runs "$runs_file" --notes "$notes_file" --out "$out" \
  --command "${BENCH_RUNS:+BENCH_RUNS=$BENCH_RUNS }${BENCH_DURATION:+BENCH_DURATION=$BENCH_DURATION }tests/bench/run.sh$( ((quick)) && echo ' --quick')" --pinning "$pinning" \
  --micro "$out/vmnmob_bench_codec.json" "$out/vmnmob_bench_mobility.json"
echo "results: $out/results.json and $out/BENCHMARKS-fragment.md" >&2
