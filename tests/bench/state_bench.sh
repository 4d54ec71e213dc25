#!/usr/bin/env bash
# Versioned-state benchmarks (issue: versioned state). Prints, in one run:
#   1. `aergo checkout` between two branches of a ROWS-row state that differ
#      in DIFF rows, vs a full rebuild of that state      (target: <= 1%)
#   2. `aergo query --at master~1000` vs the same query on the checked-out
#      state (full-scan aggregate and point lookup)        (target: <= 10x)
#   3. executing TXS transfers while recording their changes vs without
#      recording                                           (target: <= 1.25)
# The full rebuild is what reconcile does for a state of unknown position:
# drop every state table and apply the composed changes from genesis (cheaper
# than re-executing; re-execution is only for fsck).
# Usage: tests/bench/state_bench.sh [ROWS=1000000] [BLOCKS=1000] [DIFF=100] [TXS=100000]
# Set AERGO_BENCH_DIR to reuse the generated ledger between runs.
set -euo pipefail
ROWS=${1:-1000000}
BLOCKS=${2:-1000}
DIFF=${3:-100}
TXS=${4:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/lib.sh"
GEN=$BENCH_BIN/aergo_bench_gen_state
RECORD=$BENCH_BIN/aergo_bench_record

L=$W/state-$ROWS-$BLOCKS-$DIFF
if [ ! -d "$L/.aergo" ]; then
  echo "== setup: $ROWS rows, $BLOCKS one-row blocks, branch 'other' differing in $DIFF rows"
  rm -rf "$L"
  s=$(now); "$GEN" "$L" "$ROWS" "$BLOCKS" "$DIFF" >/dev/null; e=$(now)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "   (generated in %.1fs)\n", e - s }'
fi
cd "$L"
"$AERGO" -q checkout master

# 1. checkout between the branches (each run switches), vs a full rebuild.
checkout_ms=$(median_ms 11 bash -c 'b=$(cat .bench-next 2>/dev/null || echo other); "$0" -q checkout "$b"; [ "$b" = other ] && echo master > .bench-next || echo other > .bench-next' "$AERGO")
"$AERGO" -q checkout master; rm -f .bench-next
status_ms=$(median_ms 11 "$AERGO" status)
rebuild() {
  sqlite3 .aergo/ledger.db "UPDATE meta SET value = '' WHERE key = 'state_block'"
  "$AERGO" status
}
rebuild_ms=$(median_ms 3 rebuild)
"$AERGO" -q fsck --fast >/dev/null 2>&1 || { echo "fsck --fast failed after the rebuilds" >&2; exit 1; }

# 2. reads as of a block 1,000 blocks back vs now.
BACK=master~$((BLOCKS < 1000 ? BLOCKS : 1000))
SCAN="SELECT count(*), sum(v) FROM kv.rows"
POINT="SELECT v FROM kv.rows WHERE k = $((ROWS / 2 + 1))"
scan_now=$(median_ms 11 "$AERGO" query "$SCAN")
scan_at=$(median_ms 11 "$AERGO" query --at "$BACK" "$SCAN")
point_now=$(median_ms 11 "$AERGO" query "$POINT")
point_at=$(median_ms 11 "$AERGO" query --at "$BACK" "$POINT")

# 2b. a block whose state differs in every row (before the fill): the first
#     read builds a cached state, repeated reads use it.
FAR=master~$((BLOCKS + 1))
rm -rf .aergo/states
s=$(now); "$AERGO" query --at "$FAR" "$SCAN" >/dev/null; e=$(now)
far_first=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", (e - s) * 1000 }')
far_again=$(median_ms 11 "$AERGO" query --at "$FAR" "$SCAN")
"$AERGO" config state.cache-size 0
far_overlay=$(median_ms 3 "$AERGO" query --at "$FAR" "$SCAN")
"$AERGO" config --unset state.cache-size

# 3. recording overhead, in process.
read -r plain_ms rec_ms < <("$RECORD" "$TXS" 3)

echo
echo "== results ($(nproc) cores, $ROWS-row state)"
printf '%-52s %10s %10s %8s\n' "measure" "aergo" "peer" "ratio"
printf '%-52s %8sms %8sms %8s  (target <= 0.01)\n' "checkout between branches ($DIFF rows differ) vs full rebuild" "$checkout_ms" "$rebuild_ms" "$(ratio "$checkout_ms" "$rebuild_ms" 4)"
printf '%-52s %8sms %8sms %8s  (target <= 10)\n' "query --at $BACK vs now: full-scan aggregate" "$scan_at" "$scan_now" "$(ratio "$scan_at" "$scan_now")"
printf '%-52s %8sms %8sms %8s  (target <= 10)\n' "query --at $BACK vs now: point lookup" "$point_at" "$point_now" "$(ratio "$point_at" "$point_now")"
printf '%-52s %8sms %8sms %8s\n' "query --at $FAR ($ROWS rows differ), repeated, vs now" "$far_again" "$scan_now" "$(ratio "$far_again" "$scan_now")"
printf '%-52s %8sms %8sms %8s  (target <= 1.25)\n' "execute $TXS transfers recording changes vs not" "$rec_ms" "$plain_ms" "$(ratio "$rec_ms" "$plain_ms")"
printf '\n(details: aergo status alone %sms; first read of %s, building its cached state: %sms; process start-up is in every CLI figure)\n' "$status_ms" "$FAR" "$far_first"
printf '(the same read through an overlay of %s rows, cache off: %sms)\n' "$ROWS" "$far_overlay"
