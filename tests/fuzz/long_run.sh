#!/usr/bin/env bash
# The long fuzz run (docs/TESTING.md): each target until it has executed RUNS inputs (default
# 10 million), then its corpus is minimised (libFuzzer -merge=1) into tests/fuzz/corpus/<target>.tar.xz,
# the checked-in seeds that ctest `fuzz_replay_<target>` replays in every build (release, ASan).
#   bash tests/fuzz/long_run.sh [RUNS] [TARGET...]
# Builds build/fuzz-long with clang, libFuzzer and UBSan only (VMNMOB_FUZZ_SANITIZERS=undefined:
# several times faster than with ASan, so ten million inputs take minutes, not hours); memory
# errors are then looked for by replaying the minimised corpus under ASan (ctest in build/asan,
# label fuzz). Every sanitizer report stops a run. Prints one line per target for the record:
# executions, seconds, coverage, corpus before/after minimising.
set -euo pipefail
runs=${1:-10000000}
shift || true
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VMNMOB_FUZZ_LONG_BUILD_DIR:-$root/build/fuzz-long}
jobs=${JOBS:-2}
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=(decode framer controller); fi

mkdir -p "$build"
if [[ ! -f "$build/build.ninja" ]]; then
  CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DVMNMOB_BUILD_FUZZERS=ON \
    -DVMNMOB_FUZZ_SANITIZERS=undefined -DVMNMOB_BUILD_BENCHMARKS=OFF -DVMNMOB_WERROR=ON \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
fi
ninja -C "$build" -j"$jobs" vmnmob_fuzz_seeds "${targets[@]/#/fuzz_}" >"$build/build.log" 2>&1 ||
  { tail -n 50 "$build/build.log" >&2; exit 1; }
seeds=$build/fuzz-seeds
rm -rf "$seeds"
"$build/tests/fuzz/vmnmob_fuzz_seeds" "$seeds" >/dev/null

# Entropic scheduling spends most of the controller target's time updating feature frequencies
# (~28k features); plain scheduling runs it twice as fast.
declare -A extra=([controller]=-entropic=0)

status=0
for t in "${targets[@]}"; do
  work=$build/corpus/$t            # grows across runs
  artifacts=$build/artifacts/$t
  archive=$root/tests/fuzz/corpus/$t.tar.xz  # checked in (a few KiB: OpenFlow bytes compress well)
  kept=$build/kept/$t                         # the archive, unpacked
  rm -rf "$kept"
  mkdir -p "$work" "$artifacts" "$kept" "$(dirname "$archive")"
  [[ -f $archive ]] && tar -C "$kept" -xJf "$archive"
  log=$build/long-$t.log
  start=$SECONDS
  if ! "$build/tests/fuzz/fuzz_$t" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=70000 \
       ${extra[$t]:-} -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$work" "$kept" "$seeds/$t" "$root/tests/fuzz/regressions/$t" >"$log" 2>&1; then
    status=1
    echo "fuzz_$t: FAILED after $((SECONDS - start)) s, see $log; inputs in $artifacts" >&2
    grep -E 'ERROR|runtime error|fuzz property|SUMMARY' "$log" | head -n 20 >&2 || true
    continue
  fi
  seconds=$((SECONDS - start))
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
  before=$(find "$work" "$kept" -type f | wc -l)
  # Minimise: the smallest set of inputs with the same coverage, replacing the checked-in one.
  merged=$build/merged-$t
  rm -rf "$merged"
  mkdir -p "$merged"
  "$build/tests/fuzz/fuzz_$t" -merge=1 -max_len=70000 ${extra[$t]:-} "$merged" "$kept" "$work" \
    "$seeds/$t" "$root/tests/fuzz/regressions/$t" >"$build/merge-$t.log" 2>&1
  after=$(find "$merged" -type f | wc -l)
  tar -C "$merged" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cJf "$archive" .
  size=$(($(stat -c %s "$archive") / 1024))
  echo "fuzz_$t: $execs executions in $seconds s, $cov; corpus $before inputs -> $after kept ($t.tar.xz, ${size} KiB)"
done
exit $status
