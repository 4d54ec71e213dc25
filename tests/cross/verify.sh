#!/usr/bin/env bash
# tests/cross/verify.sh <aergo> <ledger> <work> <merge-block>...: with the
# given aergo build, clones <ledger> into <work>/clone (every block replayed
# and compared with its stored changes and state root), runs fsck, verifies
# each merge block (merge --verify), and prints the state's rows (every
# table of the numbers and merges contracts, as JSON) on stdout, so the
# caller can compare them between builds. Exit 1 on any failure.
set -euo pipefail
aergo=$1 ledger=$2 work=$3; shift 3
rm -rf "$work/clone"
"$aergo" -q clone "$ledger" "$work/clone" >/dev/null
cd "$work/clone"
"$aergo" -q fsck >&2
for m in "$@"; do "$aergo" merge --verify "$m" >&2; done
for b in master feature audited; do
  for t in numbers.results numbers.balances merges.conflicts; do
    echo "== $b $t"
    "$aergo" query --at "origin/$b" "SELECT * FROM $t ORDER BY 1" --json
  done
done
