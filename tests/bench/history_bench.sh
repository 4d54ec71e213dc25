#!/usr/bin/env bash
# Foundation benchmarks (issue: foundation). Prints, side by side in one run:
#   1. `aergo log -n 1000` on a BLOCKS-block history vs `git log -n 1000 --oneline`
#      on a BLOCKS-commit git repository            (target: ratio <= 2)
#   2. `aergo branch x` vs `git branch x`           (target: ratio <= 2)
#   3. `aergo commit` + `aergo fsck` on TXS signed transfer calls, as a tx rate, against
#      the single-core libsodium verify rate x cores (target: ratio >= 0.7)
# Usage: tests/bench/history_bench.sh [BLOCKS=100000] [TXS=100000]
# Set AERGO_BENCH_DIR to reuse generated histories between runs.
set -euo pipefail
BLOCKS=${1:-100000}
TXS=${2:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/lib.sh"
GEN=$BENCH_BIN/aergo_bench_gen_history
VERIFY=$BENCH_BIN/aergo_bench_verify_rate

echo "== setup: $BLOCKS-block aergo history and $BLOCKS-commit git repository"
if [ ! -d "$W/hist/.aergo" ]; then "$GEN" "$W/hist" "$BLOCKS" >/dev/null; fi
if [ ! -d "$W/git.git" ]; then
  git init -q --bare "$W/git.git"
  awk -v n="$BLOCKS" 'BEGIN {
    for (i = 1; i <= n; i++) {
      printf "commit refs/heads/master\nmark :%d\ncommitter bench <b@x> %d +0000\ndata %d\nblock %d\n", i, 1700000000 + i, length("block " i) + 1, i
      if (i > 1) printf "from :%d\n", i - 1
      printf "M 644 inline counter\ndata %d\n%d\n\n", length(i "") + 1, i
    }
  }' | git --git-dir="$W/git.git" fast-import --quiet
fi

cd "$W/hist"
aergo_log=$(median_ms 21 "$AERGO" log -n 1000)
git_log=$(median_ms 21 git --git-dir="$W/git.git" log -n 1000 --oneline)

aergo_branch=$(median_ms 31 bash -c 'n=$RANDOM$RANDOM; "$0" branch "a$n"' "$AERGO")
git_branch=$(median_ms 31 bash -c 'n=$RANDOM$RANDOM; git --git-dir="$0" branch "a$n"' "$W/git.git")
shell_only=$(median_ms 31 bash -c 'n=$RANDOM$RANDOM; true "$0" "a$n"' "$AERGO")

echo "== setup: $TXS signed transfer calls in the merge pool"
rm -rf "$W/tx"
token_ledger "$W/tx"
awk -v n="$TXS" 'BEGIN { for (i = 1; i <= n; i++) printf "token transfer acct%d 1\n", (i % 1000) + 1 }' > batch.txt
s=$(now); "$AERGO" -q call --batch batch.txt; e=$(now)
call_s=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
s=$(now); "$AERGO" -q commit -m "$TXS transfers"; m=$(now); "$AERGO" -q fsck; e=$(now)
commit_s=$(awk -v s="$s" -v e="$m" 'BEGIN { print e - s }')
fsck_s=$(awk -v s="$m" -v e="$e" 'BEGIN { print e - s }')
cores=$(nproc)
verify=$("$VERIFY")
rate=$(awk -v n="$TXS" -v a="$commit_s" -v b="$fsck_s" 'BEGIN { printf "%.0f", n / (a + b) }')

echo
echo "== results ($(nproc) cores)"
printf '%-44s %12s %12s %8s\n' "measure" "aergo" "peer" "ratio"
printf '%-44s %10sms %10sms %8s  (target <= 2)\n' "log -n 1000 on $BLOCKS blocks vs git log" "$aergo_log" "$git_log" "$(ratio "$aergo_log" "$git_log")"
printf '%-44s %10sms %10sms %8s  (target <= 2)\n' "branch x vs git branch x" "$aergo_branch" "$git_branch" "$(ratio "$aergo_branch" "$git_branch")"
printf '%-44s %10s/s %10s/s %8s  (target >= 0.7)\n' "commit+fsck of $TXS transfers vs verify x $cores" "$rate" "$((verify * cores))" "$(ratio "$rate" "$((verify * cores))")"
printf '\n(details: call --batch %.2fs, commit %.2fs, fsck %.2fs, single-core verify %s/s, shell overhead per run %sms)\n' \
  "$call_s" "$commit_s" "$fsck_s" "$verify" "$shell_only"
