#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, CLI, crash test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build -j"$(nproc)" --output-on-failure --timeout 600
