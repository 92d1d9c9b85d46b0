#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60), seeded from the OVS fixtures, and fails
# if any finds a crash, leak, timeout or sanitizer report.
#   bash tests/fuzz/run.sh [SECONDS]
# Builds (clang, -DVMNMOB_BUILD_FUZZERS=ON) into build/fuzz if needed. A crash input is left
# in build/fuzz/artifacts/<target>/; once fixed, copy it to tests/fuzz/regressions/<target>/
# so ctest (label `fuzz`) replays it forever.
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VMNMOB_FUZZ_BUILD_DIR:-$root/build/fuzz}
jobs=${JOBS:-2}
targets=(decode framer controller snapshot config)

mkdir -p "$build"
if [[ ! -f "$build/build.ninja" ]]; then
  CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DVMNMOB_BUILD_FUZZERS=ON \
    -DVMNMOB_BUILD_BENCHMARKS=OFF -DVMNMOB_WERROR=ON >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
fi
ninja -C "$build" -j"$jobs" vmnmob_fuzz_seeds "${targets[@]/#/fuzz_}" >"$build/build.log" 2>&1 ||
  { tail -n 50 "$build/build.log" >&2; exit 1; }

seeds=$build/fuzz-seeds
rm -rf "$seeds"
"$build/tests/fuzz/vmnmob_fuzz_seeds" "$seeds" >/dev/null

status=0
for t in "${targets[@]}"; do
  corpus=$build/fuzz-corpus/$t       # grows across runs; seeds and regressions are read-only inputs
  artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  log=$build/fuzz-$t.log
  kept=""  # the minimised corpus of the last long run (long_run.sh), when there is one
  if [[ -f $root/tests/fuzz/corpus/$t.tar.xz ]]; then
    kept=$build/kept/$t
    rm -rf "$kept" && mkdir -p "$kept" && tar -C "$kept" -xJf "$root/tests/fuzz/corpus/$t.tar.xz"
  fi
  echo "fuzz_$t: ${seconds}s ..."
  # -max_len covers the largest OpenFlow message; -timeout flags a single input slower than 10 s.
  # shellcheck disable=SC2086  # $kept: one directory or nothing
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=70000 -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$corpus" "$seeds/$t" "$root/tests/fuzz/regressions/$t" $kept >"$log" 2>&1; then
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n1 || true)
    echo "fuzz_$t: ok ($execs executions, $cov)"
  else
    status=1
    echo "fuzz_$t: FAILED, see $log; inputs in $artifacts:" >&2
    ls "$artifacts" >&2 || true
    grep -E 'ERROR|fuzz property|SUMMARY' "$log" | head -n 20 >&2 || true
  fi
done
exit $status
