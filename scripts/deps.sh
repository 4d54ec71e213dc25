#!/usr/bin/env bash
# Installs the Debian 12 packages aergo builds and tests with (idempotent).
# Runs apt only when something is missing, so a prepared machine needs no root.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libgit2-dev libsodium-dev libsqlite3-dev
      libboost-program-options-dev libcurl4-openssl-dev libgtest-dev zlib1g-dev git sqlite3
      libboost-dev libssl-dev nlohmann-json3-dev
      tcl xz-utils debian-archive-keyring ccache clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "aergo: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
