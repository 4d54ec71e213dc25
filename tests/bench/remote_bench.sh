#!/usr/bin/env bash
# Remote benchmarks (issue: remotes). Prints, side by side in one run:
#   1. `aergo clone` of a TXS-tx history (BLOCKS blocks) from a local daemon
#      vs `git clone --bare --no-local` of that repository's git object store
#                                                   (target: ratio <= 2)
#   2. `aergo fetch` of NEW new one-tx blocks: bytes on the wire vs the bytes
#      of the blocks themselves (their four blobs)  (target: ratio <= 2)
# Usage: tests/bench/remote_bench.sh [TXS=100000] [BLOCKS=100] [NEW=1000]
# Set AERGO_BENCH_DIR to reuse the generated history between runs.
set -euo pipefail
TXS=${1:-100000}
BLOCKS=${2:-100}
NEW=${3:-1000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/lib.sh"
PER=$((TXS / BLOCKS))

"$AERGO" -q key new bench 2>/dev/null || true
export AERGO_KEY=bench
# The history (SRC) and the same history plus NEW blocks (GROWN), both kept
# in AERGO_BENCH_DIR between runs; the daemon serves them as /src and /grown.
SRC=$W/src-$TXS-$BLOCKS
GROWN=$W/grown-$TXS-$BLOCKS-$NEW
echo "== setup: $TXS signed transfers in $BLOCKS blocks"
if [ ! -d "$SRC/.aergo" ]; then
  rm -rf "$SRC" "$GROWN"
  token_ledger "$SRC.tmp" --public
  for b in $(seq 1 "$BLOCKS"); do
    awk -v n="$PER" -v b="$b" 'BEGIN { for (i = 1; i <= n; i++) printf "token transfer acct%d 1\n", ((i + b) % 1000) + 1 }' \
      | "$AERGO" -q call --batch -
    "$AERGO" -q commit -m "block $b"
  done
  cd "$W" && mv "$SRC.tmp" "$SRC"
fi
echo "== setup: $NEW new one-tx blocks on a copy of it"
if [ ! -d "$GROWN/.aergo" ]; then
  rm -rf "$GROWN.tmp" && cp -a "$SRC" "$GROWN.tmp"
  cd "$GROWN.tmp"
  for b in $(seq 1 "$NEW"); do
    "$AERGO" -q call token transfer acct1 1
    "$AERGO" -q commit -m "new $b"
  done
  cd "$W" && mv "$GROWN.tmp" "$GROWN"
fi
cd "$W"

PIDF=$W/daemon.pid
"$AERGO" daemon --listen 127.0.0.1:0 --detach --pid-file "$PIDF" --log-file "$W/daemon.log" \
  --name src --name grown "$SRC" "$GROWN" 2> "$W/listen.txt"
trap 'kill "$(cat "$PIDF")" 2>/dev/null || true; [ -n "${AERGO_BENCH_DIR:-}" ] || rm -rf "$W"' EXIT
BASE=$(sed -nE 's/.*listening on (http[^ ]+).*/\1/p' "$W/listen.txt" | head -1)
URL=$BASE/src
echo "== daemon at $BASE"

clone_aergo() { rm -rf "$W/c"; "$AERGO" -q clone --no-progress "$URL" "$W/c"; }
clone_git() { rm -rf "$W/g.git"; git clone -q --bare --no-local "$SRC/.aergo/git" "$W/g.git"; }
# Alternated, so that load from others on the machine hits both alike.
for _ in 1 2 3; do
  s=$(now); clone_aergo; elapsed_ms "$s" "$(now)" >> "$W/aergo_ms"
  s=$(now); clone_git >/dev/null; elapsed_ms "$s" "$(now)" >> "$W/git_ms"
done
aergo_clone=$(median < "$W/aergo_ms")
git_clone=$(median < "$W/git_ms")
rm -f "$W/aergo_ms" "$W/git_ms"
(cd "$W/c" && "$AERGO" -q fsck --fast)

echo "== fetch of the $NEW new blocks"
OLD=$(git --git-dir="$SRC/.aergo/git" rev-parse master)
block_bytes=$(git --git-dir="$GROWN/.aergo/git" rev-list --objects master "^$OLD" | cut -d' ' -f1 \
  | git --git-dir="$GROWN/.aergo/git" cat-file --batch-check='%(objecttype) %(objectsize)' \
  | awk '$1 == "blob" { s += $2 } END { print s }')
cd "$W/c"
"$AERGO" -q remote add grown "$BASE/grown"
s=$(now)
fetch_json=$("$AERGO" fetch grown --json --no-progress)
fetch_ms=$(elapsed_ms "$s" "$(now)")
fetch_bytes=$(echo "$fetch_json" | sed -E 's/.*"bytes": ([0-9]+).*/\1/')
fetched_blocks=$(echo "$fetch_json" | sed -E 's/.*"blocks": ([0-9]+).*/\1/')

echo
echo "== results ($(nproc) cores)"
printf '%-52s %12s %12s %8s\n' "measure" "aergo" "peer" "ratio"
printf '%-52s %10sms %10sms %8s  (target <= 2)\n' "clone of $TXS txs ($BLOCKS blocks) vs git clone --bare" \
  "$aergo_clone" "$git_clone" "$(ratio "$aergo_clone" "$git_clone")"
printf '%-52s %11sB %11sB %8s  (target <= 2)\n' "fetch of $fetched_blocks blocks: pack bytes vs block bytes" \
  "$fetch_bytes" "$block_bytes" "$(ratio "$fetch_bytes" "$block_bytes")"
printf '%-52s %10sms\n' "fetch of $fetched_blocks blocks: time" "$fetch_ms"
