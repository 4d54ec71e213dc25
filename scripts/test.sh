#!/usr/bin/env bash
# Installs, builds and runs the whole test suite:
#   1. the build (warnings are errors) and ctest: unit, CLI and crash tests
#   2. cross-validation of the contract engine (scripts/crossbuild.sh):
#      clang, and gcc against Debian 13's libsqlite3
#   3. the determinism fuzzer (tests/det/run.sh) across those builds
#   4. every libFuzzer harness (scripts/fuzz.sh)
#   5. the unit tests under AddressSanitizer and UBSan (the fuzz build's
#      flags: clang, -fsanitize=address,undefined)
# AERGO_TEST_QUICK=1 stops after 1. Budgets (seconds): AERGO_FUZZ_SECONDS
# per harness (default 10), AERGO_DET_SECONDS (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "== $1 ($(date +%T))" >&2; }

stage "build and ctest"
AERGO_WERROR=1 bash scripts/build.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure --timeout 600
[ "${AERGO_TEST_QUICK:-0}" = 1 ] && exit 0

stage "cross-validation builds"
bash scripts/crossbuild.sh

stage "determinism fuzzer"
cmake --build build --target aergo_det_gen -j"$(nproc)" >/dev/null
DET_GEN=$(pwd)/build/tests/det/aergo_det_gen bash tests/det/run.sh "${AERGO_DET_SECONDS:-120}" \
  build/aergo build-clang/aergo build-trixie/aergo

stage "fuzz harnesses"
bash scripts/fuzz.sh "${AERGO_FUZZ_SECONDS:-10}"

stage "unit tests under ASan and UBSan"
cmake --build build-fuzz --target aergo_unit_tests -j"$(nproc)" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
  LSAN_OPTIONS=suppressions=$(pwd)/tests/fuzz/lsan.supp UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  build-fuzz/tests/aergo_unit_tests --gtest_brief=1
stage "done"
