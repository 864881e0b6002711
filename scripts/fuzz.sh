#!/usr/bin/env bash
# Builds every libFuzzer target with clang in its own folder and runs each for FUZZ_SECONDS on a
# copy of its seed corpus (fuzz/corpus/<name>/ is never written). Prints one line per target:
# executions, corpus size (seeds -> after the run), findings (crash, leak, timeout, oom
# artifacts). Fails when a target found something, did not build or did not run.
# Usage: scripts/fuzz.sh [build folder]   (FUZZ_SECONDS, default 60, and JOBS from the environment)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
jobs="${JOBS:-2}"

# The gateway, tests and benchmarks are not needed: only the fuzzers and the parsers they link.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DGATEHOUSE_BUILD_FUZZ=ON -DGATEHOUSE_BUILD_TESTS=OFF -DGATEHOUSE_BUILD_BENCH=OFF >/dev/null

# Every target the fuzz/ folders declare, built one by one so that one broken target is named
# and does not hide the others.
mapfile -t targets < <(grep -ho 'gatehouse_fuzz_target([a-z0-9_]*' fuzz/*/CMakeLists.txt | cut -d'(' -f2)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }

run="$build/fuzz-run"  # corpus copies, artifacts and logs of this run
rm -rf "$run"
# A finding is an error; UBSan would otherwise only print and carry on.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
failed=0
for name in "${targets[@]}"; do
  dir="$run/$name"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  if ! cmake --build "$build" --target "${name}_fuzzer" -j "$jobs" >"$dir/build.log" 2>&1; then
    printf '%-20s BUILD FAILED (%s)\n' "$name" "$dir/build.log"
    tail -n 30 "$dir/build.log"
    failed=1
    continue
  fi
  [ -d "fuzz/corpus/$name" ] && cp -R "fuzz/corpus/$name/." "$dir/corpus/"
  seeds=$(find "$dir/corpus" -type f | wc -l)
  status=0
  "$build/fuzzers/${name}_fuzzer" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/fuzz.log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  findings=$(find "$dir/artifacts" -type f | wc -l)
  printf '%-20s executions %10s  corpus %5d -> %-5d  findings %d\n' \
    "$name" "${execs:-?}" "$seeds" "$corpus" "$findings"
  if [ "$findings" -gt 0 ] || [ "$status" -ne 0 ]; then
    failed=1
    echo "  exit status $status; log $dir/fuzz.log; artifacts:"
    find "$dir/artifacts" -type f -printf '    %p\n'
    grep -A 40 -m 1 -E '^==[0-9]+== ?ERROR|runtime error' "$dir/fuzz.log" || tail -n 30 "$dir/fuzz.log"
  fi
done
exit "$failed"
