#!/usr/bin/env bash
# tests/cross/scenario.sh <aergo> <dir>: makes the cross-validation ledger at
# <dir> with the given aergo build: the numbers contract (REAL arithmetic,
# REAL-to-text, printf, JSON, aggregates, window, string and date functions),
# three branches, an automatic merge that excludes txs and a consistent
# merge whose resolver takes them. Prints the merge blocks' ids, one per
# line, on stdout. AERGO_HOME must be set (a key "cross" is made there).
set -euo pipefail
aergo=$1 dir=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
export AERGO_PASSPHRASE=
"$aergo" -q key new cross 2>/dev/null || true
"$aergo" -q init "$dir" --key cross
cd "$dir"
"$aergo" -q config user.key cross
a() { "$aergo" -q "$@" >/dev/null; }
head_id() { "$aergo" show HEAD --json | sed -n 's/^{"id": "\([0-9a-f]\{64\}\)".*/\1/p'; }
a deploy numbers "$src/tests/cross/numbers.sql"
a deploy merges "$src/examples/conflicts.sql"
a commit -m "deploy"
i=0
for xy in "0.1 0.2" "1 3" "2.675 100" "1e-300 1e300" "123456.789 -0.5" "-2.5 7" "0.3 0.30000000000000004" \
          "9007199254740993 3" "1e16 -1e16" "5e-324 2"; do
  i=$((i + 1))
  a call numbers compute "c$i" $xy
done
a call numbers text_fns t1 "Ab bA äb"
a call numbers deposit alice 10.5
a call numbers deposit bob 0.1
a commit -m "numbers"
a branch feature
a branch audited --resolver=merges.record
a checkout feature
a call numbers deposit carol 1.25
a call numbers withdraw alice 10.0     # fails on master after master's own withdrawal
a call numbers withdraw bob 0.05
a call numbers compute f1 0.7 0.1
a call numbers summarize fsum
a commit -m "feature"
a checkout master
a call numbers withdraw alice 5.5
a call numbers text_fns t2 "Zz"
a commit -m "master"
a merge feature -m "automatic merge"
head_id
a checkout audited
a call numbers withdraw alice 9.0
a commit -m "audited"
a merge feature -m "consistent merge"
head_id
a checkout master
a call numbers summarize total
a commit -m "summary"
