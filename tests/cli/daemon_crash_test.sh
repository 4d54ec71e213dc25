#!/usr/bin/env bash
# Daemon crash test (issue 13, Tests): kill -9 `aergo daemon` at a random
# moment while clients push to it and submit txs, ROUNDS times.
#
# Each round starts a daemon (127.0.0.1:0, --block-interval, a merge key)
# serving the repository "origin" (checked out: master; a second branch,
# side, is not checked out there) and runs four clients at once, each in
# its own clone:
#   s  submits txs (`call --remote`, single calls and batches) and records
#      every tx the daemon acknowledged ("ok"); it then asks the daemon
#      (`show <txid> --remote`) until it reports the tx sealed in a block;
#   a, b  commit on side and push it: after the other's push the daemon's
#      side has moved on, so the daemon merges the pushed head into side,
#      a branch that is not checked out there (issue 13, finding 4);
#   c  commits on master and pushes it (a merge into the checked-out
#      branch; txs submitted there and still pending are re-applied on its
#      new head, and those that now fail are dropped and reported).
# Then the daemon is killed with SIGKILL: in one round of three at 0-1.5 s;
# in one at 0-700 ms after a client began a push of side; in one as soon as
# the origin's HEAD file is seen naming another branch than master (the
# daemon has checked side out for a push's merge; if that is not seen in 5 s,
# at 0-1.5 s). The daemon is started again (the next round's daemon) and:
#   head    it serves master (a clone from it checks master out) and the
#           origin has master checked out (served branch unchanged);
#   fsck    `aergo fsck` passes on the origin and on every client clone;
#   sealed  every tx the daemon reported sealed is in a block on master
#           (`aergo show <txid>` on the origin), and every block it logged
#           as sealed is on master (checked again for all rounds at the end);
#   pushed  every push the daemon acknowledged (exit 0): its reported head
#           is on the pushed branch;
#   acked   every tx the daemon acknowledged is still there, sealed or in
#           master's merge pool (acknowledged txs are durable);
#   restart the daemon starts again, and a clone from it passes fsck;
#   wedge   no push of a clone's own blocks was refused with 404 "block
#           commit <oid> is unknown here and did not arrive" (a block a
#           killed push left indexed but on no branch, hidden since from
#           every caller; the clone then rebuilds its branch from the
#           remote's to go on).
# Every failure is printed with what differed; the test goes on (a served
# branch left elsewhere is put back with `checkout master` so that later
# rounds test again), prints the failures per check at the end and exits 1
# if there was any.
# Usage: daemon_crash_test.sh <path-to-aergo> [rounds]
#   DAEMON_CRASH_KEEP=1 keeps the temporary directory (its path is printed).
set -u
AERGO=${1:?usage: daemon_crash_test.sh <aergo> [rounds]}
ROUNDS=${2:-20}
PUSH_WINDOW_MS=${DAEMON_CRASH_PUSH_WINDOW_MS:-700}
case $AERGO in /*) ;; *) AERGO=$PWD/$AERGO ;; esac
T=$(mktemp -d)
export AERGO_HOME=$T/home AERGO_PASSPHRASE='' AERGO_KEY=k AERGO_LOCK_TIMEOUT_MS=20000
DPID=      # the running daemon
LOOPS=()   # the running client loops
stop_all() {
  : > "$T/stop"
  [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
  for p in "${LOOPS[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "$DPID" ] && wait "$DPID" 2>/dev/null
  DPID=; LOOPS=()
}
cleanup() {
  stop_all
  if [ "${DAEMON_CRASH_KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "daemon crash test: setup FAILED: $*" >&2; exit 1; }
a() { "$AERGO" -C "$1" "${@:2}"; }   # a <dir> <args...>
field() { sed -nE "s/.*\"$1\": \"?([^\",}]*)\"?.*/\1/p" | head -1; }

declare -A FAILS=() kinds=() head_kinds=() WEDGED=()
CHECKS=(head fsck sealed pushed acked restart wedge)
for c in "${CHECKS[@]}"; do FAILS[$c]=0; done
FAILED_ROUNDS=()
round_failed=0
bad() {  # bad <check> <message>
  FAILS[$1]=$((FAILS[$1] + 1)); round_failed=1
  echo "daemon crash test: round $round: $1 FAILED: $2" >&2
}

# --- setup: the origin and four clones (from its path) ---
"$AERGO" -q key new k >/dev/null || die "key new"
"$AERGO" -q init "$T/origin" || die "init"
cat > "$T/token.sql" <<'SQL'
CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
CREATE FUNCTION mint(recipient TEXT, amount INTEGER) AS
  INSERT INTO accounts (owner, balance) VALUES (:recipient, :amount)
    ON CONFLICT (owner) DO UPDATE SET balance = balance + :amount;
END;
SQL
a "$T/origin" -q deploy token "$T/token.sql" || die "deploy"
a "$T/origin" -q commit -m deploy || die "commit"
a "$T/origin" -q branch side || die "branch side"
for c in s a b c; do
  "$AERGO" -q clone "$T/origin" "$T/$c" --no-progress >/dev/null || die "clone $c"
done
for c in a b; do
  a "$T/$c" -q branch side --block=origin/side && a "$T/$c" -q checkout side || die "side in $c"
done

served() { a "$T/origin" status --json 2>&1 | field branch; }

# --- the daemon ---
URL=
start_daemon() {  # start_daemon <log>: sets DPID and URL, or returns 1
  rm -f "$T/stop"
  "$AERGO" daemon --listen 127.0.0.1:0 --key k --block-interval 200 --name origin "$T/origin" \
    2> "$1" &
  DPID=$!
  local i
  for i in $(seq 1 200); do
    URL=$(sed -nE 's|.*listening on (http://127\.0\.0\.1:[0-9]+).*|\1/origin|p' "$1")
    [ -n "$URL" ] && return 0
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
  return 1
}

# restart_check <label>: the daemon just started; it must serve a clone that
# passes fsck. Sets adv to the branch the clone checked out (the daemon's).
restart_check() {
  local d=$T/verify
  rm -rf "$d"
  adv="(no clone)"
  if ! "$AERGO" -q clone "$URL" "$d" --no-progress > "$T/clone.err" 2>&1; then
    bad restart "$1: clone from the restarted daemon failed: $(tail -3 "$T/clone.err")"; return
  fi
  adv=$(a "$d" status --json | field branch)
  a "$d" -q fsck > "$T/fsck.out" 2>&1 || bad restart "$1: fsck of a clone from the restarted daemon: $(head -5 "$T/fsck.out")"
}

# --- the clients (each writes what the daemon acknowledged) ---
submitter() {  # txs by `call --remote`; acked.<round>, sealed.<round>
  local i=0 out tx blk n=0 acked=() k
  while [ ! -e "$T/stop" ]; do
    i=$((i + 1))
    if [ $((i % 4)) = 0 ]; then
      for k in 1 2 3 4 5; do echo "token mint r${round}s${i}_$k 1"; done > "$T/batch"
      out=$(a "$T/s" call --batch "$T/batch" --remote "$URL" --json 2>/dev/null)
    else
      out=$(a "$T/s" call token mint "r${round}s$i" 1 --remote "$URL" --json 2>/dev/null)
    fi
    for tx in $(grep -oE '"txid": "[0-9a-f]{64}", "status": "ok"' <<< "$out" | cut -d'"' -f4); do
      echo "$tx" >> "$T/acked.$round"; acked+=("$tx")
    done
    # Ask about the oldest acknowledged txs not yet seen sealed.
    for k in 1 2 3; do
      [ "$n" -lt "${#acked[@]}" ] || break
      blk=$(a "$T/s" show "${acked[$n]}" --remote "$URL" --json 2>/dev/null | field block)
      [[ $blk =~ ^[0-9a-f]{64}$ ]] || break
      echo "${acked[$n]} $blk" >> "$T/sealed.$round"; n=$((n + 1))
    done
  done
}
# rebuild <clone> <branch>: the branch anew at the remote's head of it
# (its unpushed blocks dropped), checked out.
rebuild() {
  local dir=$T/$1 br=$2
  : > "$T/rebuild.$1"   # until it is done (a kill may cut it short)
  a "$dir" -q fetch origin && a "$dir" -q checkout "origin/$br" && { a "$dir" -q branch -D "$br"; true; } &&
    a "$dir" -q branch "$br" --block="origin/$br" && a "$dir" -q checkout "$br" && rm -f "$T/rebuild.$1"
} >> "$T/rebuild.log" 2>&1
pusher() {  # pusher <clone> <branch>: commit on branch, push it; pushed.<round>
  local dir=$T/$1 br=$2 j=0 out
  # A rebuild cut short by the last kill: do it again first.
  [ -e "$T/rebuild.$1" ] && rebuild "$1" "$br"
  while [ ! -e "$T/stop" ]; do
    j=$((j + 1))
    a "$dir" -q call token mint "r${round}$1$j" 1 > /dev/null 2>&1
    a "$dir" -q commit -m "r$round $1 $j" > /dev/null 2>&1
    [ "$br" = side ] && : > "$T/pushing.$round"   # a push that the daemon must merge
    if ! out=$(a "$dir" push "origin:$br" --json 2> "$T/push.$1.last"); then
      cat "$T/push.$1.last" >> "$T/push.$1.err"
      if grep -q 'is unknown here and did not arrive' "$T/push.$1.last"; then
        # A block of ours the daemon holds but hides (left by a killed push):
        # every later push of this history is refused. Record it, then go on
        # from the remote's head so that the test keeps pushing.
        echo "$1 $br $(grep -oE 'block commit [0-9a-f]{40}' "$T/push.$1.last")" >> "$T/wedged.$round"
        rebuild "$1" "$br"
      fi
      continue
    fi
    echo "$br $(field head <<< "$out") $1" >> "$T/pushed.$round"
  done
}

mkfifo "$T/fifo" && exec 9<> "$T/fifo" || die "mkfifo"
timer_start=$SECONDS
start_daemon "$T/d.0.log" || die "the daemon did not start: $(cat "$T/d.0.log")"
before=$(served)
[ "$before" = master ] || die "origin serves '$before'"
stats_sealed=0; stats_acked=0; stats_pushed=0; stats_merges=0
for round in $(seq 1 "$ROUNDS"); do
  round_failed=0
  for c in s a b c; do a "$T/$c" config remote.origin.url "$URL" || die "set url"; done
  : > "$T/acked.$round"; : > "$T/sealed.$round"; : > "$T/pushed.$round"; : > "$T/wedged.$round"
  submitter & LOOPS+=($!)
  pusher a side & LOOPS+=($!)
  pusher b side & LOOPS+=($!)
  pusher c master & LOOPS+=($!)
  # When to kill, by round: 1 of 3 at 0-1.5 s after start; 1 of 3 at
  # 0-${PUSH_WINDOW_MS} ms after a client starts a push of side (one the daemon
  # merges into side, not checked out there); 1 of 3 as soon as the origin's
  # HEAD is seen naming another branch than master (the push's merge has
  # checked side out), else at 0-1.5 s after start if it is not seen within
  # 5 s (a daemon that merges without checking out).
  case $((round % 3)) in
    1) kind=random; ms=$((RANDOM % 1500)) ;;
    2) kind=push; ms=$((RANDOM % PUSH_WINDOW_MS))
       for i in $(seq 1 250); do [ -e "$T/pushing.$round" ] && break; sleep 0.02; done ;;
    0) kind=random; ms=$((RANDOM % 1500)); deadline=$(( ${EPOCHREALTIME/./} + 5000000 ))
       while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
         IFS= read -r h < "$T/origin/.aergo/git/HEAD" 2>/dev/null
         if [ -n "$h" ] && [ "$h" != "ref: refs/heads/master" ]; then kind='head'; ms=0; break; fi
         read -r -t 0.003 -u 9   # sleeps 3 ms (nothing writes the fifo)
       done ;;
  esac
  # (No sleep process in between when ms is 0: a merge takes ~50-100 ms.)
  [ "$ms" = 0 ] || sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
  kinds[$kind]=$((${kinds[$kind]:-0} + 1))
  case $kind in
    random) when="${ms} ms after start" ;;
    push) when="${ms} ms after a push of side began" ;;
    head) when="while HEAD named '${h#ref: refs/heads/}'" ;;
  esac
  dlog=$T/d.$((round - 1)).log
  : > "$T/stop"
  for p in "${LOOPS[@]}"; do wait "$p"; done; LOOPS=()
  pre=$(served)

  # restart: the next round's daemon starts and serves a clone that fscks.
  if ! start_daemon "$T/d.$round.log"; then
    bad restart "the daemon did not start again: $(tail -3 "$T/d.$round.log")"
    FAILED_ROUNDS+=("$round")
    break
  fi
  restart_check "after round $round"
  # head: the served branch is unchanged: advertised by the restarted
  # daemon (the branch a clone checks out) and checked out in the origin.
  post=$(served)
  if [ "$adv" != "$before" ] || [ "$post" != "$before" ]; then
    bad head "killed $when: the restarted daemon serves '$adv' and the origin has '$post' checked out ('$pre' before the restart), not '$before'; last pushes in the daemon log: $(grep -E 'push' "$dlog" | tail -2 | sed 's/aergo daemon: //' | tr '\n' ' ')"
    head_kinds[$kind]=$((${head_kinds[$kind]:-0} + 1))
    # Put it back so that later rounds test again.
    a "$T/origin" -q checkout "$before" > "$T/co.err" 2>&1 \
      || bad head "checkout $before to put the served branch back failed: $(cat "$T/co.err")"
  fi
  # fsck: on both sides.
  for d in origin s a b c; do
    a "$T/$d" -q fsck > "$T/fsck.out" 2>&1 || bad fsck "fsck of $d: $(head -5 "$T/fsck.out")"
  done
  # sealed: acknowledged as sealed, and logged as sealed, means on master.
  a "$T/origin" log master --oneline > "$T/master.log" 2>&1 || bad sealed "log master: $(head -2 "$T/master.log")"
  while read -r tx blk; do
    got=$(a "$T/origin" show "$tx" --json 2>/dev/null | field block)
    if ! [[ $got =~ ^[0-9a-f]{64}$ ]]; then
      bad sealed "tx $tx was reported sealed in block $blk, but the origin has it ${got:+pending}${got:-nowhere}"
    elif ! grep -q "^${got:0:12} " "$T/master.log"; then
      bad sealed "tx $tx is in block $got, which is not on master"
    fi
  done < "$T/sealed.$round"
  for blk in $(sed -nE 's/.*sealed block ([0-9a-f]{64}) on origin.*/\1/p' "$dlog"); do
    grep -q "^${blk:0:12} " "$T/master.log" || bad sealed "block $blk the daemon logged as sealed is not on master"
  done
  # pushed: an acknowledged push's head is on its branch.
  while read -r br head who; do
    a "$T/origin" log "$br" --oneline 2>/dev/null | grep -q "^${head:0:12} " \
      || bad pushed "$who's push of $br was acknowledged at $head, which is not on $br"
  done < "$T/pushed.$round"
  # wedge: a push of a clone's own blocks is never refused as naming a block
  # that "is unknown here and did not arrive" (what a killed push left behind).
  while read -r who br what; do
    [ -n "${WEDGED["$who $what"]:-}" ] && continue   # already counted (its rebuild was cut short)
    WEDGED["$who $what"]=$round
    bad wedge "$who's push of $br was refused (HTTP 404): $what is unknown here and did not arrive"
  done < "$T/wedged.$round"
  # acked: every acknowledged tx survived, sealed or pending.
  while read -r tx; do
    a "$T/origin" show "$tx" --json > /dev/null 2>&1 || bad acked "tx $tx was acknowledged but the origin does not have it"
  done < "$T/acked.$round"
  stats_acked=$((stats_acked + $(wc -l < "$T/acked.$round")))
  stats_sealed=$((stats_sealed + $(wc -l < "$T/sealed.$round")))
  stats_pushed=$((stats_pushed + $(wc -l < "$T/pushed.$round")))
  stats_merges=$((stats_merges + $(grep -c 'POST /origin/push 200' "$dlog")))

  [ "$round_failed" = 1 ] && FAILED_ROUNDS+=("$round")
  echo "daemon crash test: round $round: killed $when, $(wc -l < "$T/acked.$round") txs acked, $(wc -l < "$T/sealed.$round") seen sealed, $(wc -l < "$T/pushed.$round") pushes acked$([ "$round_failed" = 1 ] && echo ' -- FAILED')"
done
[ -n "$DPID" ] && kill -TERM "$DPID" && wait "$DPID"; DPID=
stop_all

# Everything reported sealed in any round is still on master at the end.
a "$T/origin" log master --oneline > "$T/master.log" 2>&1
round=end
cat "$T"/sealed.* 2>/dev/null | while read -r tx blk; do
  got=$(a "$T/origin" show "$tx" --json 2>/dev/null | field block)
  [[ $got =~ ^[0-9a-f]{64}$ ]] && grep -q "^${got:0:12} " "$T/master.log" || echo "$tx"
done > "$T/lost"
[ -s "$T/lost" ] && bad sealed "$(wc -l < "$T/lost") txs reported sealed are not on master at the end: $(head -3 "$T/lost" | tr '\n' ' ')"

summary=""
kill_summary=""
for k in random push head; do kill_summary+=" $k=${kinds[$k]:-0} (head failed ${head_kinds[$k]:-0})"; done
for c in "${CHECKS[@]}"; do summary+=" $c=${FAILS[$c]}"; done
echo "daemon crash test: $ROUNDS rounds in $((SECONDS - timer_start)) s; $stats_acked txs acked, $stats_sealed seen sealed, $stats_pushed pushes acked ($stats_merges push requests answered 200); failures per check:$summary; kills by kind:$kill_summary"
if [ ${#FAILED_ROUNDS[@]} -gt 0 ] || [ "$round_failed" = 1 ]; then
  echo "daemon crash test FAILED in rounds: ${FAILED_ROUNDS[*]}" >&2
  exit 1
fi
echo "daemon crash test: passed"
