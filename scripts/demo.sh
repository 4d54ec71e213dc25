#!/usr/bin/env bash
# The main job: installs, builds, then a short narrated tour of aergo on a
# fresh ledger in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/build.sh >/dev/null
AERGO=$PWD/build/aergo
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export AERGO_HOME=$T/home AERGO_PASSPHRASE=
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ aergo %s\n' "$*"; "$AERGO" "$@"; }

say "Two signing keys (empty passphrase: stored unencrypted, mode 0600)"
run key new alice
run key new bob
BOB=$("$AERGO" key show bob --json | sed -E 's/.*"address": "([^"]+)".*/\1/')

say "A new ledger repository; alice signs genesis and becomes admin"
run init "$T/ledger" --key alice
cd "$T/ledger"
run config user.key alice

say "Deploy the token contract (docs/design.md §6) and fund two accounts"
cp "$ROOT/examples/token.sql" token.sql
run deploy token token.sql
ALICE=$("$AERGO" key show alice --json | sed -E 's/.*"address": "([^"]+)".*/\1/')
run call token mint "$ALICE" 100
run call token mint "$BOB" 5
run status
run commit -m "deploy token, mint"

say "A transfer the contract refuses never enters the pool"
run call token transfer "$BOB" 1000 || true

say "Branch, transact on the branch, commit"
run branch feature
run checkout feature
run call token transfer "$BOB" 30
run commit -m "alice pays bob 30"
run query "SELECT owner, balance FROM token.accounts ORDER BY owner"

say "Back on master the state is master's (checkout applies only the rows that differ)"
run checkout master
run query "SELECT owner, balance FROM token.accounts ORDER BY owner"

say "Row-level diff between the branches, and a read as of feature's head"
run diff master feature
run query --at feature "SELECT owner, balance FROM token.accounts ORDER BY owner"

say "Pending changes in the merge pool, like git diff"
run call token transfer "$BOB" 5
run diff
run reset

say "Master moves on; then feature's txs are replayed on master as one merge block"
run call token mint "$BOB" 1
run commit -m "mint bob 1"
run merge feature --preview
run merge feature
run merge --verify master
run query "SELECT owner, balance FROM token.accounts ORDER BY owner"

say "Consistent merge: on a branch with a resolver, a tx that fails when merged goes to the resolver"
cp "$ROOT/examples/conflicts.sql" conflicts.sql
run deploy merges conflicts.sql
run commit -m "deploy the merge resolver"
run branch audited --resolver=merges.record
run branch --show audited
run branch spend
run checkout spend
run call token transfer "$BOB" 70
run commit -m "alice pays bob 70"
run checkout audited
run call token transfer "$BOB" 50
run commit -m "alice pays bob 50"
run merge spend
run query "SELECT call, args, error FROM merges.conflicts"
run merge --verify audited
run show audited

say "Cherry-pick: the same signed tx replayed onto master's merge pool"
run checkout master
run cherry-pick spend
run commit -m "take alice's payment from spend"

say "History"
run log --oneline --graph
run tag v1 --block=feature
run show v1 --changes

say "Everything re-verified: ids, signatures, links, replayed changes and state roots"
run fsck
run fsck --fast
