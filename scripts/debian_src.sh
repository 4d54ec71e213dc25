#!/usr/bin/env bash
# Shared helpers: a private apt (its own sources list, lists and cache under
# .deps/apt/<suite>) that fetches Debian packages of another suite without
# touching the machine's apt configuration, and without installing anything.
# Sourced by scripts/engine.sh and scripts/crossbuild.sh.
#
#   debian_apt <suite> <apt-get args...>   runs apt-get with the private setup
#                                           (downloads land in the current dir)
set -euo pipefail

AERGO_DEPS="${AERGO_DEPS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.deps}"

debian_apt() {
  local suite=$1; shift
  local root="$AERGO_DEPS/apt/$suite"
  if [ ! -f "$root/updated" ]; then
    mkdir -p "$root/lists/partial" "$root/cache/archives/partial" "$root/etc"
    # Debian's archive key (debian-archive-keyring, on every Debian machine)
    # signs every suite's Release file, so what apt fetches here is verified.
    cat >"$root/etc/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
EOF
    : >"$root/etc/status"
    _debian_apt_run "$root" update -qq
    touch "$root/updated"
  fi
  _debian_apt_run "$root" "$@"
}

_debian_apt_run() {
  local root=$1; shift
  apt-get -o Dir::Etc::SourceList="$root/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$root/lists" -o Dir::Cache="$root/cache" \
    -o Dir::State::status="$root/etc/status" -o Debug::NoLocking=1 \
    -o APT::Sandbox::User="$(id -un)" "$@"
}
