#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/) in build-fuzz/ with clang and
# ASan + UBSan, then runs each for N seconds (default 30) on a copy of its
# seed corpus (tests/fuzz/corpus/<harness>/).
#
#   bash scripts/fuzz.sh [seconds-per-harness] [harness...]
#   bash scripts/fuzz.sh --regen-corpus     # rewrite tests/fuzz/corpus and data
#
# Prints the executions per harness and fails (exit 1) if any harness
# crashes, leaks, times out or breaks a property, printing the saved
# crashing input. Reproduce one with: build-fuzz/tests/fuzz/fuzz_<h> <input>.
# Environment: AERGO_FUZZ_BUILD (default <repo>/build-fuzz),
# AERGO_FUZZ_WORK (default a fresh temporary directory, removed unless a
# harness failed), AERGO_FUZZ_JOBS (build parallelism, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=30
regen=0
harnesses=()
for a in "$@"; do
  case "$a" in
    --regen-corpus) regen=1 ;;
    ''|*[!0-9]*) harnesses+=("$a") ;;
    *) seconds="$a" ;;
  esac
done
all=(tx receipt header block changes value pack wire_json request_auth keyfile config contract sql_lexer)
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

# Longest input per harness (bytes): a few times the largest real shape.
max_len() {
  case "$1" in
    pack) echo 65536 ;;
    block|wire_json|contract) echo 16384 ;;
    keyfile) echo 4200 ;;
    *) echo 4096 ;;
  esac
}

# clang, its libFuzzer runtime (Debian 12: clang 14) and ccache come with
# the project's packages (scripts/deps.sh installs what is missing).
bash scripts/deps.sh

build=${AERGO_FUZZ_BUILD:-$root/build-fuzz}
jobs=${AERGO_FUZZ_JOBS:-2}
san="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
  -DCMAKE_CXX_FLAGS="$san" -DAERGO_FUZZ=ON >/dev/null

if [ $regen -eq 1 ]; then
  cmake --build "$build" --target make_fuzz_corpus -j"$jobs"
  rm -rf tests/fuzz/corpus/*/seed-*
  ASAN_OPTIONS=detect_leaks=0 "$build/tests/fuzz/make_fuzz_corpus" "$root/tests/fuzz"
  exit 0
fi

targets=()
for h in "${harnesses[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" "${targets[@]}" -j"$jobs"

work=${AERGO_FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/aergo-fuzz-run-XXXXXX")}
mkdir -p "$work"
failed=()
printf '%-14s %12s %8s  %s\n' harness executions corpus result
for h in "${harnesses[@]}"; do
  corpus="$work/corpus-$h"
  artifacts="$work/artifacts-$h"
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp tests/fuzz/corpus/"$h"/* "$corpus"/ 2>/dev/null || true
  log="$work/$h.log"
  set +e
  # Harness temp dirs go under $work, so nothing is left elsewhere.
  # Leaks inside libgit2 itself are suppressed (tests/fuzz/lsan.supp says
  # which and why); full stacks are needed to match them.
  TMPDIR="$work" ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0:${ASAN_OPTIONS:-}" \
    LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:${LSAN_OPTIONS:-}" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
    "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -max_len="$(max_len "$h")" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  units=$(ls "$corpus" | wc -l)
  if [ $rc -eq 0 ]; then
    printf '%-14s %12s %8s  %s\n' "$h" "${execs:-?}" "$units" ok
  else
    crash=$(ls -1 "$artifacts" 2>/dev/null | head -1)
    printf '%-14s %12s %8s  %s\n' "$h" "${execs:-?}" "$units" "FAILED (exit $rc)"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|FUZZ_CHECK|runtime error|ALARM|out-of-memory|deadly signal' "$log" | head -5 | sed 's/^/    /'
    if [ -n "$crash" ]; then
      echo "    crashing input: $artifacts/$crash"
      echo "    reproduce:      $build/tests/fuzz/fuzz_$h $artifacts/$crash"
    fi
    echo "    log:            $log"
    failed+=("$h")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (work directory kept: $work)" >&2
  exit 1
fi
[ -n "${AERGO_FUZZ_WORK:-}" ] || rm -rf "$work"
echo "fuzz: all ${#harnesses[@]} harnesses ran ${seconds}s each without a finding"
