#!/usr/bin/env bash
# Cross-validation of the contract engine (docs/determinism.md): builds aergo
# three more ways beside ./build (gcc, bundled SQLite) and checks that they
# compute every ledger alike, or refuse it:
#   build-clang    clang++, bundled SQLite
#   build-trixie   gcc, linked against Debian 13's libsqlite3 3.46.1
#                  (libsqlite3-dev fetched with apt-get download through a
#                  private trixie sources list, unpacked with dpkg -x into
#                  .deps/, never installed)
#   build-host     (AERGO_CROSS_HOST=1 only) gcc, linked against this
#                  machine's libsqlite3 (Debian 12's 3.40.1): must refuse
#                  every ledger, naming the difference. Off by default: the
#                  engine now uses sqlite3_set_clientdata (3.44+), which
#                  3.40.1 lacks, so this build does not compile yet.
# The scenario ledger (tests/cross/scenario.sh) made by each of build,
# build-clang and build-trixie is cloned, fsck'd and merge --verify'd by each
# of the others, and the states they print must be identical.
# Usage: scripts/crossbuild.sh   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/debian_src.sh
command -v clang++ >/dev/null || { echo "aergo: error: clang++ is missing (scripts/deps.sh installs it)" >&2; exit 1; }

# Debian 13's libsqlite3-dev, unpacked.
trixie="$AERGO_DEPS/trixie-sqlite"
if [ ! -f "$trixie/usr/include/sqlite3.h" ]; then
  echo "aergo: fetching Debian 13's libsqlite3-dev" >&2
  rm -rf "$trixie" "$AERGO_DEPS/debs" && mkdir -p "$trixie" "$AERGO_DEPS/debs"
  (cd "$AERGO_DEPS/debs" && debian_apt trixie download -qq libsqlite3-dev >/dev/null)
  dpkg -x "$AERGO_DEPS"/debs/libsqlite3-dev_*.deb "$trixie"
fi
lib=$(dirname "$(find "$trixie" -name libsqlite3.a | head -1)")

targets=(aergo aergo-net)
conf() {  # conf <dir> <cmake args...>
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER_LAUNCHER=ccache \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target "${targets[@]}" >/dev/null
}
echo "aergo: building with clang (bundled SQLite)" >&2
conf build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
echo "aergo: building against Debian 13's libsqlite3" >&2
conf build-trixie -DAERGO_SQLITE=system -DSQLite3_INCLUDE_DIR="$trixie/usr/include" \
  -DSQLite3_LIBRARY="$lib/libsqlite3.a" -DSQLITE3_STATIC="$lib/libsqlite3.a"
host=${AERGO_CROSS_HOST:-0}
if [ "$host" = 1 ]; then
  echo "aergo: building against this machine's libsqlite3" >&2
  targets=(aergo)
  conf build-host -DAERGO_SQLITE=system
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AERGO_HOME=$work/home AERGO_PASSPHRASE=
builds=(build build-clang build-trixie)
fail=0
for maker in "${builds[@]}"; do
  mkdir -p "$work/$maker"
  if ! bash tests/cross/scenario.sh "$root/$maker/aergo" "$work/$maker/ledger" >"$work/$maker/merges" \
      2>"$work/$maker/scenario.err"; then
    echo "FAIL: $maker cannot make the scenario ledger:" >&2; cat "$work/$maker/scenario.err" >&2; fail=1; continue
  fi
  reference=""
  failed_before=$fail
  fail=0
  for checker in "${builds[@]}"; do
    out="$work/$maker/by-$checker"
    if ! bash tests/cross/verify.sh "$root/$checker/aergo" "$work/$maker/ledger" "$work/$maker" \
        $(cat "$work/$maker/merges") >"$out" 2>"$out.err"; then
      echo "FAIL: $checker cannot verify the ledger $maker made:" >&2; cat "$out.err" >&2; fail=1; continue
    fi
    if [ -z "$reference" ]; then reference=$out
    elif ! cmp -s "$reference" "$out"; then
      echo "FAIL: $checker's state of $maker's ledger differs:" >&2
      diff "$reference" "$out" | head -20 >&2; fail=1
    fi
  done
  if [ $fail -eq 0 ]; then
    echo "ok: the ledger $maker made verifies identically under ${builds[*]} ($(grep -c '' "$reference") lines of state)"
  fi
  fail=$((fail | failed_before))
  # The host's SQLite (3.40.1) computes differently: it must refuse.
  [ "$host" = 1 ] || continue
  if err=$(cd "$work/$maker/ledger" && "$root/build-host/aergo" fsck 2>&1); then
    echo "FAIL: build-host verified a ledger it computes differently" >&2; fail=1
  elif ! grep -q "does not compute contract rules 1" <<<"$err"; then
    echo "FAIL: build-host refused with an unexpected error: $err" >&2; fail=1
  else
    echo "ok: build-host refuses it: ${err#aergo: error: }" | cut -c1-200
  fi
done
exit $fail
