#!/usr/bin/env bash
# `make fuzz` / `make fuzz-ci`: builds the libFuzzer harnesses with clang (ASan + UBSan), replays
# each harness's crash regressions, then fuzzes each for FUZZ_SECONDS on a copy of its seeds.
# Exits non-zero if any harness crashed; prints "harness | executions | seconds" at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-300}
jobs=${JOBS:-$(nproc)}
extra=(${FUZZ_ARGS:-})  # more libFuzzer flags, e.g. FUZZ_ARGS="-max_len=65536"
harnesses=(${FUZZ_HARNESSES:-fuzz_json_interaction fuzz_ws_message fuzz_json_dom fuzz_msgpack_interaction
  fuzz_jwt fuzz_http_request})

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAIA_FUZZ=ON -DAIA_BUILD_TESTS=OFF -DAIA_BUILD_BENCH=OFF
cmake --build "$build" -j"$jobs" --target "${harnesses[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build/artifacts" "$build/logs"
failed=()

# -- regressions: every saved crash input, once per harness --------------------------------------
for h in "${harnesses[@]}"; do
  dir=tests/fuzz/regressions/$h
  mapfile -t inputs < <(find "$dir" -type f ! -name '*.md' 2>/dev/null | sort)
  if [ ${#inputs[@]} -eq 0 ]; then
    continue
  fi
  echo "fuzz: $h: replaying ${#inputs[@]} regression input(s)"
  log=$build/logs/$h.regressions.log
  if ! "$build/fuzz/$h" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$log" 2>&1; then
    echo "fuzz: $h: a regression input still crashes (log: $log):" >&2
    grep -E '^Running: |ERROR|SUMMARY|runtime error| in aia::' "$log" | tail -n 12 >&2 || true
    failed+=("$h (regression)")
  fi
done

# -- fuzzing: FUZZ_SECONDS per harness, on a copy of the seeds -----------------------------------
summary=()
for h in "${harnesses[@]}"; do
  corpus=$build/corpus/$h
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp -r "tests/fuzz/corpus/$h/." "$corpus/"
  dict=()
  if [ -f "tests/fuzz/$h.dict" ]; then
    dict=("-dict=tests/fuzz/$h.dict")
  fi
  log=$build/logs/$h.log
  echo "fuzz: $h: ${seconds} s (log: $log)"
  rc=0
  started=$SECONDS
  "$build/fuzz/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/artifacts/$h-" -print_final_stats=1 "${dict[@]}" "${extra[@]}" "$corpus" \
    >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  if [ "$rc" -ne 0 ] || [ -z "$done_line" ]; then
    echo "fuzz: $h: CRASH (exit $rc):" >&2
    grep -E 'ERROR|SUMMARY|runtime error| in aia::|Test unit written' "$log" | head -n 20 >&2 || true
    failed+=("$h")
    runs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")
    summary+=("$h | ${runs:-?} (crashed) | $((SECONDS - started))")
  else
    runs=$(awk '{print $2}' <<<"$done_line")
    secs=$(awk '{print $5}' <<<"$done_line")
    summary+=("$h | $runs | $secs")
  fi
done

echo
echo "harness | executions | seconds"
echo "--- | ---: | ---:"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
