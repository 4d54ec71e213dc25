#!/usr/bin/env bash
# Merge benchmarks (issue: merging). On a BLOCKS-block ledger with a merge
# every 10 blocks (tests/bench/gen_merges.cpp), whose branch `feature` holds
# TRANSFERS source-only `token transfer`s of which the last 10% fail on
# master (the sender spent that much there), prints in one run:
#   1. `aergo merge feature` vs getting the same signed txs onto master
#      without a merge: `aergo cherry-pick <feature's blocks>` + `aergo commit`
#                                                   (target: ratio <= 1.3)
#   2. `aergo merge feature --preview` vs `aergo merge feature`
#                                                   (target: ratio <= 1.0, or within noise)
#   3. `aergo merge-base master feature` on that history vs the merge of 1.
#                                                   (target: < 0.05)
# and, to show the fixed costs, the merge's phases in process
# (tests/bench/merge_phases.cpp): the merge-base walk, reading the feature
# blocks, executing their txs without and with recording, a whole preview.
# Merge, preview and cherry-pick + commit each run on a fresh copy of the
# generated ledger, ROUNDS rounds, median. Checked after timing: the merge
# applied 90% of the transfers and excluded 10% (CHECK constraint), `aergo
# fsck --fast` and `aergo merge --verify` pass on the merged ledger, and
# cherry-pick + commit committed the same txs and left the same balances.
# Usage: tests/bench/merge_bench.sh [BLOCKS=100000] [TRANSFERS=10000] [ROUNDS=5]
# Set AERGO_BENCH_DIR to reuse the generated ledger between runs.
set -euo pipefail
BLOCKS=${1:-100000}
TRANSFERS=${2:-10000}
ROUNDS=${3:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/lib.sh"
GEN=$BENCH_BIN/aergo_bench_gen_merges
PHASES=$BENCH_BIN/aergo_bench_merge_phases

L=$W/merges-$BLOCKS-$TRANSFERS
gen_note="reused from $L"
if [ ! -d "$L/.aergo" ]; then
  echo "== setup: $BLOCKS blocks with a merge every 10; feature with $TRANSFERS transfers"
  rm -rf "$L" "$L.tmp"
  s=$(now); "$GEN" "$L.tmp" "$BLOCKS" "$TRANSFERS" >/dev/null; e=$(now)
  mv "$L.tmp" "$L"  # only a complete ledger is reused
  gen_note=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "generated in %.1fs", e - s }')
  echo "   ($gen_note)"
fi
"$AERGO" -q key new bench 2>/dev/null || true  # signs the merge and cherry-pick blocks
"$AERGO" -C "$L" config user.key bench

# The feature blocks, oldest first, as revisions (feature is one line of
# blocks above its merge base).
height() { "$AERGO" -C "$L" log -n 1 --json "$1" | sed -E 's/.*"height": ([0-9]+).*/\1/'; }
base=$("$AERGO" -C "$L" merge-base master feature)
top=$(height feature)
bottom=$(height "$base")
picks=()
for i in $(seq $((top - bottom - 1)) -1 0); do picks+=("feature~$i"); done

# fresh <dir>: a private copy of the generated ledger. Git objects are
# write-once files (libgit2 writes new ones beside them, never into them),
# so they are hard-linked; the rest (ledger.db, refs, reflog, config) is
# copied. Synced, so no copying is left to the timed command.
fresh() {
  rm -rf "$1"
  mkdir -p "$1/.aergo/git"
  local e
  for e in "$L"/.aergo/*; do [ "$e" = "$L/.aergo/git" ] || cp -a "$e" "$1/.aergo/"; done
  for e in "$L"/.aergo/git/*; do
    if [ "$e" = "$L/.aergo/git/objects" ]; then cp -al "$e" "$1/.aergo/git/"; else cp -a "$e" "$1/.aergo/git/"; fi
  done
  sync
}
# timed <times file> <cmd...>: runs cmd (stdout to <times file>.out) and
# appends its wall time in ms to <times file>.
timed() {
  local f=$1 s e; shift
  s=$(now); "$@" >"$f.out"; e=$(now)
  elapsed_ms "$s" "$e" >>"$f"
}
# pick <dir>: cherry-picks the feature blocks in <dir>. cherry-pick exits 1
# when some txs fail and are not kept, as the last 10% do here by design;
# any other error is shown and fails.
pick() {
  local rc=0
  "$AERGO" -C "$1" cherry-pick "${picks[@]}" --json 2>"$1.err" || rc=$?
  [ "$rc" -eq 0 ] || grep -q 'failed and were not kept' "$1.err" || { cat "$1.err" >&2; return 1; }
}

T=$W/merge-times
rm -rf "$T"; mkdir -p "$T"
echo "== $ROUNDS rounds: merge, preview, cherry-pick + commit, each on a fresh copy"
for _ in $(seq 1 "$ROUNDS"); do
  fresh "$W/m"; timed "$T/merge" "$AERGO" -C "$W/m" merge feature --json
  fresh "$W/p"; timed "$T/preview" "$AERGO" -C "$W/p" merge feature --preview --json
  fresh "$W/c"; timed "$T/pick" pick "$W/c"; timed "$T/commit" "$AERGO" -C "$W/c" -q commit -m "pick feature"
done
merge_ms=$(median <"$T/merge")
preview_ms=$(median <"$T/preview")
peer_ms=$(paste "$T/pick" "$T/commit" | awk '{ printf "%.3f\n", $1 + $2 }' | median)
pick_ms=$(median <"$T/pick")
commit_ms=$(median <"$T/commit")

# merge-base and, for scale, a command that does nothing, on the generated
# ledger (read only); the merge's phases in process on a copy.
base_ms=$(median_ms 21 "$AERGO" -C "$L" merge-base master feature)
# A far base (half the history down master's first parents): the walk
# paints every block above it. Peer: git merge-base on the same commits
# (the blocks' own git objects, .aergo/git).
far=$((BLOCKS * 7 / 20))  # 7 of every 10 blocks are on master's first-parent chain (gen_merges.cpp)
far_ms=$(median_ms 5 "$AERGO" -C "$L" merge-base master "master~$far")
git_far_ms=$(median_ms 5 git --git-dir="$L/.aergo/git" merge-base master "master~$far")
status_ms=$(median_ms 21 "$AERGO" -C "$L" status)
fresh "$W/x"
phases=$("$PHASES" "$W/x" feature "$ROUNDS")
read -r ip_base ip_read ip_exec ip_rec ip_preview ip_txs <<<"$phases"

echo "== checks"
report=$(cat "$T/merge.out")
applied=$(sed -E 's/.*"applied": \[([^]]*)\].*/\1/' <<<"$report" | grep -o '"[0-9a-f]\{64\}"' | wc -l)
excluded_part=$(sed -E 's/.*"excluded": (.*), "resolved".*/\1/' <<<"$report")
excluded=$(grep -o '"txid"' <<<"$excluded_part" | wc -l)
check_failed=$(grep -o 'CHECK constraint failed' <<<"$excluded_part" | wc -l)
want_excluded=$((TRANSFERS / 10))
if [ "$applied" -ne $((TRANSFERS - want_excluded)) ] || [ "$excluded" -ne "$want_excluded" ] ||
   [ "$check_failed" -ne "$want_excluded" ] || [ "$ip_txs" -ne "$TRANSFERS" ]; then
  echo "merge report: $applied applied, $excluded excluded ($check_failed by the CHECK constraint) of $ip_txs;" \
       "want $((TRANSFERS - want_excluded)) and $want_excluded of $TRANSFERS" >&2
  exit 1
fi
"$AERGO" -C "$W/m" -q fsck --fast
"$AERGO" -C "$W/m" -q merge --verify master
picked=$("$AERGO" -C "$W/c" log -n 1 --json | sed -E 's/.*"txs": ([0-9]+).*/\1/')
[ "$picked" -eq "$applied" ] || { echo "cherry-pick + commit committed $picked txs, the merge applied $applied" >&2; exit 1; }
BALANCES="SELECT owner, balance FROM token.accounts ORDER BY owner"
cmp -s <("$AERGO" -C "$W/m" query "$BALANCES") <("$AERGO" -C "$W/c" query "$BALANCES") ||
  { echo "cherry-pick + commit left other balances than the merge" >&2; exit 1; }
echo "   merge: $applied applied, $excluded excluded (CHECK constraint); fsck --fast, merge --verify ok;" \
     "cherry-pick + commit: same txs, same balances"
rm -rf "$W/m" "$W/p" "$W/c" "$W/c.err" "$W/x"

echo
echo "== results ($(nproc) cores, $BLOCKS blocks, $TRANSFERS transfers, median of $ROUNDS rounds)"
printf '%-52s %10s %10s %8s\n' "measure" "aergo" "peer" "ratio"
printf '%-52s %8sms %8sms %8s  (target <= 1.3)\n' "merge feature vs cherry-pick + commit" "$merge_ms" "$peer_ms" "$(ratio "$merge_ms" "$peer_ms")"
printf '%-52s %8sms %8sms %8s  (target <= 1.0)\n' "merge feature --preview vs merge feature" "$preview_ms" "$merge_ms" "$(ratio "$preview_ms" "$merge_ms")"
printf '%-52s %8sms %8sms %8s  (target < 0.05)\n' "merge-base master feature vs merge feature" "$base_ms" "$merge_ms" "$(ratio "$base_ms" "$merge_ms" 4)"
printf '%-52s %8sms %8sms %8s  (information: git on the same commits)\n' "merge-base master master~$far (far base) vs git" "$far_ms" "$git_far_ms" "$(ratio "$far_ms" "$git_far_ms")"
printf '\n(details: cherry-pick %sms + commit %sms; aergo status alone %sms; ledger %s)\n' \
  "$pick_ms" "$commit_ms" "$status_ms" "$gen_note"
printf '(in process: merge-base walk %sms; reading the %s feature blocks %sms; executing their %s txs %sms,\n' \
  "$ip_base" "${#picks[@]}" "$ip_read" "$ip_txs" "$ip_exec"
printf ' with recording %sms; a whole merge preview %sms)\n' "$ip_rec" "$ip_preview"
