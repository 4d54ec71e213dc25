#!/usr/bin/env bash
# Installs missing packages, then configures and builds into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/engine.sh
# AERGO_WERROR=1 (CI): warnings are errors.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAERGO_WERROR="${AERGO_WERROR:-0}" \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build -j"$(nproc)"
