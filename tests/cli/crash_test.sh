#!/usr/bin/env bash
# Crash test: kill -9 a writer at random points (ROUNDS times): mostly
# committing writers, also `call --batch`, `checkout` and `merge` (automatic
# into master, consistent — with a resolver — into side). After
# every kill: the repository opens, fsck passes, a killed batch is in the
# merge pool whole or not at all, a killed merge left the branch at its old
# head or at a complete merge block (merge --verify passes), and every block
# a commit reported (printed) before it died is still on the branch.
# Usage: crash_test.sh <path-to-aergo> [rounds]
set -u
AERGO=${1:?usage: crash_test.sh <aergo> [rounds]}
ROUNDS=${2:-60}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export AERGO_HOME=$T/home AERGO_PASSPHRASE= AERGO_KEY=k
fail() { echo "crash test FAILED: $*" >&2; exit 1; }

"$AERGO" -q key new k >/dev/null || fail "key new"
"$AERGO" -q init "$T/r" || fail "init"
cd "$T/r" || exit 1
cat > token.sql <<'SQL'
CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
CREATE FUNCTION mint(recipient TEXT, amount INTEGER) AS
  INSERT INTO accounts (owner, balance) VALUES (:recipient, :amount)
    ON CONFLICT (owner) DO UPDATE SET balance = balance + :amount;
END;
CREATE TABLE claims (name TEXT PRIMARY KEY);
CREATE FUNCTION claim(name TEXT) AS
  INSERT INTO claims VALUES (:name);
END;
CREATE TABLE conflicts (txid TEXT PRIMARY KEY, error TEXT NOT NULL);
CREATE FUNCTION resolve(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS
  INSERT INTO conflicts VALUES (:tx, :e);
END;
SQL
"$AERGO" -q deploy token token.sql || fail "deploy"
"$AERGO" -q commit -m deploy || fail "first commit"

# Merges into side are consistent (conflicts resolved), into master automatic.
"$AERGO" -q branch side --resolver=token.resolve || fail "branch side"
pool() { sed -E 's/.*"pool": ([0-9]+).*/\1/' <("$AERGO" status --json); }
# kill_at <cmd...>: runs aergo in the background and kill -9s it 0-24 ms in
# (a commit, batch or checkout takes ~10-40 ms here).
kill_at() {
  "$AERGO" "$@" > out.json 2>/dev/null &
  local pid=$!
  sleep "0.0$(printf '%02d' $((RANDOM % 25)))"
  if kill -9 "$pid" 2>/dev/null; then killed_mid=$((killed_mid + 1)); fi
  wait "$pid" 2>/dev/null
}

reported=()
killed_mid=0
kinds=(0 0 0 0)
for round in $(seq 1 "$ROUNDS"); do
  # A pool of 1-200 txs so commands vary in length.
  n=$(( (RANDOM % 200) + 1 ))
  : > batch
  for i in $(seq 1 $n); do echo "token mint acct$((RANDOM % 50)) $i" >> batch; done
  kind=$(( round % 4 == 0 ? 1 + RANDOM % 3 : 0 ))  # mostly commits
  kinds[$kind]=$((kinds[$kind] + 1))
  case $kind in
    0)  # a committing writer
      "$AERGO" -q call --batch batch >/dev/null 2>&1 || fail "round $round: batch call (pool state broken?)"
      kill_at commit --json -m "round $round"
      if grep -q '"block"' out.json; then
        reported+=("$(sed -E 's/.*"block": "([0-9a-f]{64})".*/\1/' out.json)")
      fi ;;
    1)  # a batch of calls: all of it in the merge pool, or none
      before=$(pool)
      kill_at call --batch batch
      after=$(pool)
      [ "$after" = "$before" ] || [ "$after" = "$((before + n))" ] \
        || fail "round $round: killed batch of $n left the pool at $after (was $before)"
      ;;
    2)  # a branch switch (state rebuilt by replay)
      target=side; grep -q '"branch": "side"' <("$AERGO" status --json) && target=master
      kill_at checkout "$target" ;;
    3)  # a merge of the other branch, after both moved on
      cur=master; other=side; grep -q '"branch": "side"' <("$AERGO" status --json) && { cur=side; other=master; }
      # Both claim the same name: the source's claim fails on the target.
      { "$AERGO" -q checkout "$other" && "$AERGO" -q call token mint "o$round" 1 &&
        "$AERGO" -q call token claim "k$round" && "$AERGO" -q commit -m "o$round" &&
        "$AERGO" -q checkout "$cur" && "$AERGO" -q call token mint "c$round" 1 &&
        "$AERGO" -q call token claim "k$round" && "$AERGO" -q commit -m "c$round"; } \
        >/dev/null 2>&1 || fail "round $round: preparing the merge"
      before=$(sed -E 's/.*"head": "([0-9a-f]{64})".*/\1/' <("$AERGO" status --json))
      kill_at merge "$other" --json -m "merge $round"
      after=$(sed -E 's/.*"head": "([0-9a-f]{64})".*/\1/' <("$AERGO" status --json))
      if [ "$after" != "$before" ]; then
        "$AERGO" show "$after" --json | grep -q "\"parents\": \[\"$before\"" \
          || fail "round $round: killed merge left $after, not a merge on $before"
        "$AERGO" -q merge --verify "$after" >/dev/null 2>&1 || fail "round $round: merge block $after does not verify"
      fi ;;
  esac
  # The repository must open and verify after every crash.
  "$AERGO" status --json > status.json 2>status.err || fail "round $round: status failed: $(cat status.err)"
  "$AERGO" -q fsck >/dev/null 2>fsck.err || fail "round $round: fsck failed: $(cat fsck.err)"
  # Leave the pool empty for the next round whether or not the command landed.
  "$AERGO" -q reset >/dev/null 2>reset.err || fail "round $round: reset failed: $(cat reset.err)"
done

# Commits landed on whichever branch was checked out: look on both.
{ "$AERGO" log --oneline master && "$AERGO" log --oneline side; } > log.txt || fail "log"
for b in "${reported[@]}"; do
  grep -q "^${b:0:12} " log.txt || fail "reported block $b is lost"
done
echo "crash test: $ROUNDS rounds (${kinds[0]} commits, ${kinds[1]} batches, ${kinds[2]} checkouts, ${kinds[3]} merges), $killed_mid killed while running, ${#reported[@]} reported commits all present, fsck clean"
