#!/usr/bin/env bash
# Prepares the contract engine's pinned SQLite (docs/determinism.md): the
# upstream source of SQLite 3.46.1 as Debian 13 (trixie) ships it in its
# source package "sqlite3", checked against a pinned SHA-256, turned into the
# single-file amalgamation (sqlite3.c, sqlite3.h) under
# .deps/sqlite-3.46.1/. CMake compiles that file into aergo (cmake/sqlite.cmake).
#
# Idempotent: does nothing when the amalgamation is already there and was
# made from the pinned tarball. Needs tclsh, make and a C compiler
# (scripts/deps.sh installs them); installs nothing itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/debian_src.sh

version=3.46.1
orig="sqlite3_${version}.orig.tar.xz"
# SHA-256 of Debian's upstream tarball. A different tarball is a different
# engine: changing this is a change of contract rules (docs/determinism.md).
orig_sha256=d0cdd2ece271b29e7ce18095745d892517ee26d0f270065b3a25c2e9eb11639c

out="$AERGO_DEPS/sqlite-$version"
stamp="$out/made-from.sha256"
if [ -f "$out/sqlite3.c" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$orig_sha256" ]; then
  exit 0
fi

dl="$AERGO_DEPS/src"
mkdir -p "$dl"
if [ ! -f "$dl/$orig" ] || ! echo "$orig_sha256  $dl/$orig" | sha256sum -c --status; then
  echo "aergo: fetching Debian's sqlite3 source package (trixie) for the contract engine" >&2
  (cd "$dl" && rm -f sqlite3_* && debian_apt trixie source --download-only -qq sqlite3 >/dev/null)
fi
if ! echo "$orig_sha256  $dl/$orig" | sha256sum -c --status; then
  echo "aergo: error: $dl/$orig does not have the pinned SHA-256 $orig_sha256" >&2
  echo "aergo: error: (Debian's trixie sqlite3 source is no longer upstream $version?" \
       "a new engine version is a new contract rules version: see docs/determinism.md)" >&2
  exit 1
fi

work="$AERGO_DEPS/sqlite-build"
rm -rf "$work" "$out"
mkdir -p "$work" "$out"
tar -xJf "$dl/$orig" -C "$work"
src="$work/sqlite3-$version"
echo "aergo: generating the SQLite $version amalgamation" >&2
(cd "$src" && ./configure --disable-tcl >/dev/null && make -s sqlite3.c >/dev/null 2>&1) || {
  echo "aergo: error: generating sqlite3.c failed (needs tclsh, make, cc)" >&2
  exit 1
}
cp "$src/sqlite3.c" "$src/sqlite3.h" "$src/LICENSE.md" "$out/"
rm -rf "$work"
echo "$orig_sha256" >"$stamp"
