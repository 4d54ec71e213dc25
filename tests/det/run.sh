#!/usr/bin/env bash
# The determinism fuzzer (docs/determinism.md): random contracts and call
# sequences, sealed into blocks, replayed from scratch by every build given.
#
#   tests/det/run.sh <seconds> <aergo> [<other-aergo>...]
#   tests/det/run.sh --replay <repro-dir> <aergo> [<other-aergo>...]
#
# Until <seconds> have passed, for seed after seed: aergo_det_gen (gen.cpp)
# writes a contract and a scenario (calls, commits, branches b1 and b2 — b2
# with the contract's resolver — and three merges); one build (the maker:
# the first one, or each in turn when several distinct builds are given)
# plays it in a fresh AERGO_HOME and ledger. Then:
#   1. the maker runs fsck (full replay from genesis in a fresh process) and
#      merge --verify on every merge block;
#   2. every other build (the maker itself when there is no other) clones
#      the ledger (every block replayed and checked), runs fsck and merge
#      --verify on every merge block;
#   3. every table is read on master, b1 and b2, as `SELECT * ... ORDER BY 1
#      --json` and as quote()/typeof() of every column, in the original and
#      in each clone: the outputs must be byte-identical.
# A failure (a difference, a crash, a timeout, an unexpected error of aergo,
# a deploy that fails, a seed where almost no call succeeds) is minimized —
# calls dropped by halves then one by one, then directives, contract
# statements and functions, while the same failure persists — and written
# to a directory (printed) with the contract, the scenario, the failing
# command and its output; exit 1.
#
# Last line on success:
#   det: <seeds> seeds, <calls> calls, <blocks> blocks, <merges> merges, 0 differences
#
# Environment:
#   DET_SEED       first seed (default: from the clock; printed)
#   DET_CALLS      calls per seed (default 80)
#   DET_GEN        a built aergo_det_gen (default: compiled from gen.cpp with
#                  g++ -O1 into $TMPDIR, cached by the source's hash)
#   DET_OUT        where reproductions go (default $TMPDIR)
#   DET_MIN_SECS   time budget for minimizing (default 900)
#   DET_FEATURES   force the generator's optional features (comma list)
#                  instead of probing them
#   DET_KEEP=1     keep the work directory
set -uo pipefail

usage() { sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "det: error: $*" >&2; exit 1; }

replay=""
if [ "${1:-}" = "--replay" ]; then
  [ $# -ge 3 ] || usage
  replay=$2; shift 2
  case "$replay" in /*) ;; *) replay="$(pwd)/$replay" ;; esac
  secs=0
else
  [ $# -ge 2 ] || usage
  secs=$1; shift
  [[ "$secs" =~ ^[0-9]+$ ]] || usage
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=${TMPDIR:-/tmp}

bins=()
for b in "$@"; do
  case "$b" in /*) ;; *) b="$(pwd)/$b" ;; esac
  [ -x "$b" ] || die "no aergo binary at '$b'"
  bins+=("$b")
done
nb=${#bins[@]}
names=("${bins[@]}")

# ----- the generator ---------------------------------------------------------
gen=${DET_GEN:-}
if [ -z "$gen" ]; then
  h=$(sha256sum "$here/gen.cpp" | cut -c1-16)
  gen="$tmp/aergo_det_gen-$h"
  if [ ! -x "$gen" ]; then
    g++ -std=c++20 -O1 "$here/gen.cpp" -o "$gen.$$" || die "cannot compile $here/gen.cpp"
    mv "$gen.$$" "$gen"
  fi
fi
[ -x "$gen" ] || die "no generator at '$gen'"

work=$(mktemp -d "$tmp/aergo-det.XXXXXX")
if [ "${DET_KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

# Snapshots of the builds (with their aergo-net), so that a rebuild during
# the run does not swap a binary under it. The same path twice is one build.
for i in "${!bins[@]}"; do
  src=${bins[$i]}
  for j in $(seq 0 $((i - 1))); do
    [ "${names[$j]}" = "$src" ] && { bins[$i]=${bins[$j]}; continue 2; }
  done
  mkdir -p "$work/bin$i"
  cp "$src" "$work/bin$i/aergo" || die "cannot copy '$src'"
  [ -x "$(dirname "$src")/aergo-net" ] && cp "$(dirname "$src")/aergo-net" "$work/bin$i/"
  bins[$i]="$work/bin$i/aergo"
done
name_of() {  # the build's path as given, for messages
  local i
  for i in "${!bins[@]}"; do [ "${bins[$i]}" = "$1" ] && { echo "${names[$i]}"; return; }; done
  echo "$1"
}
names_of() { local b; for b in "$@"; do printf '%s ' "$(name_of "$b")"; done; }
export AERGO_PASSPHRASE=
unset AERGO_KEY AERGO_DIR

# ----- running commands --------------------------------------------------------
# Every aergo command of a play goes through run: its command line, exit
# status, stdout and stderr are appended to $log; OUT and ERR hold its
# output, RC its status. A crash (signal) or timeout fails the play.
FAIL_SIG="" FAIL_MSG="" FAIL_CMD=""
log=/dev/null
fail() {  # fail <signature> <message>: the first failure of a play wins
  if [ -z "$FAIL_SIG" ]; then FAIL_SIG=$1; FAIL_MSG=$2; FAIL_CMD=${LAST_CMD:-}; fi
  return 1
}
run() {  # run <label> <binary> <args...>
  local label=$1; shift
  LAST_CMD="$*"
  timeout -k 10 300 "$@" >"$work/out" 2>"$work/err"
  RC=$?
  OUT=$(cat "$work/out"); ERR=$(cat "$work/err")
  {
    echo "\$ (cd $(pwd) && $*)"
    echo "exit $RC"
    [ -n "$OUT" ] && echo "$OUT" | head -c 20000 && echo
    [ -n "$ERR" ] && echo "$ERR" | head -c 20000 | sed 's/^/stderr: /'
  } >>"$log"
  if [ $RC -eq 124 ] || [ $RC -eq 137 ]; then fail "timeout:$label" "timed out: $*"; return 1; fi
  if [ $RC -ge 128 ]; then fail "crash:$label" "killed by signal $((RC - 128)): $*"; return 1; fi
  if [ $RC -gt 2 ]; then fail "exit$RC:$label" "exit status $RC: $*"; return 1; fi
  return 0
}
must() {  # must <label> <binary> <args...>: exit 0 or a failure
  run "$@" || return 1
  [ $RC -eq 0 ] || { fail "error:$1" "failed (exit $RC): ${ERR:-$OUT}"; return 1; }
}

# ----- playing a scenario --------------------------------------------------------
# play <dir> <maker>: $dir holds contract.sql, calls.txt, tables.txt; builds
# $dir/ledger with the maker. Sets P_OK, P_FAILED, P_UNCONVERTED, P_BLOCKS,
# P_MERGES (merge block ids), P_MERGED.
suspicious='out of memory|malformed|internal error|I/O error|database is locked|misuse|assert|corrupt|not an error|unknown error|SQL logic error'
play() {
  local dir=$1 mk=$2
  P_OK=0 P_FAILED=0 P_UNCONVERTED=0 P_BLOCKS=0 P_MERGES="" P_MERGED=0 P_EXCLUDED=0 P_RESOLVED=0
  export AERGO_HOME="$dir/home"
  log="$dir/log"
  : >"$log"
  cd "$dir" || return 1
  must key "$mk" -q key new k1 || return 1
  must key "$mk" -q key new k2 || return 1
  local a1 a2
  must key "$mk" key show k1 --json || return 1
  a1=$(sed -n 's/.*"address": *"\([^"]*\)".*/\1/p' <<<"$OUT")
  must key "$mk" key show k2 --json || return 1
  a2=$(sed -n 's/.*"address": *"\([^"]*\)".*/\1/p' <<<"$OUT")
  [ -n "$a1" ] && [ -n "$a2" ] || { fail "error:key" "no address in 'key show --json'"; return 1; }
  must init "$mk" -q init "$dir/ledger" --key k1 || return 1
  cd "$dir/ledger" || return 1
  must config "$mk" -q config user.key k1 || return 1
  run deploy "$mk" deploy det "$dir/contract.sql" || return 1
  # The signature keeps the reason (without file and line), so that
  # minimizing keeps the same refusal.
  [ $RC -eq 0 ] || { fail "deploy:$(sed -E 's/^aergo: error: //; s/^[^ ]*\.sql:[0-9]+: //' <<<"$ERR" | head -1 | cut -c1-60)" "deploy failed: ${ERR:-$OUT}"; return 1; }
  must commit "$mk" -q commit -m deploy || return 1
  P_BLOCKS=1
  local key=k1 pending=0 batch="$dir/batch" n=0 line
  : >"$batch"
  flush() {
    [ $n -gt 0 ] || return 0
    run call "$mk" call --batch "$batch" --key "$key" --json || return 1
    [ $RC -le 1 ] || { fail "error:call" "call --batch exit $RC: $ERR"; return 1; }
    local ok failed unconv total
    ok=$(grep -o '"status": *"ok"' <<<"$OUT" | wc -l)
    failed=$(grep -o '"status": *"failed"' <<<"$OUT" | wc -l)
    unconv=$(grep -o '"error": *"line [0-9]*: ' <<<"$OUT" | wc -l)
    total=$((ok + failed))
    if [ $total -ne $n ]; then fail "error:call" "call --batch answered $total of $n calls: $ERR"; return 1; fi
    if [ $RC -eq 0 ] && [ $failed -gt 0 ]; then fail "error:call" "call --batch exit 0 with failed calls"; return 1; fi
    if [ $RC -eq 1 ] && [ $failed -eq 0 ]; then fail "error:call" "call --batch exit 1 without failed calls: $ERR"; return 1; fi
    P_OK=$((P_OK + ok)); P_FAILED=$((P_FAILED + failed - unconv)); P_UNCONVERTED=$((P_UNCONVERTED + unconv))
    pending=$((pending + ok))
    grep -o '"error": *"[^"]*' <<<"$OUT" | sed 's/^"error": *"//' >>"$dir/errors"
    if grep -Eiq "$suspicious" <<<"$OUT"; then
      fail "suspicious:call" "a call failed with a suspicious error: $(grep -Eio ".{0,80}($suspicious).{0,80}" <<<"$OUT" | head -1)"
      return 1
    fi
    : >"$batch"; n=0
  }
  commit_pending() {
    flush || return 1
    [ $pending -gt 0 ] || return 0
    must commit "$mk" -q commit -m "det" || return 1
    P_BLOCKS=$((P_BLOCKS + 1)); pending=0
  }
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      "#commit") commit_pending || return 1 ;;
      "#key "*) flush || return 1; key=${line#\#key } ;;
      "#branch "*)
        commit_pending || return 1
        set -- ${line#\#branch }
        if [ $# -ge 2 ]; then must branch "$mk" -q branch "$1" --resolver="$2" || return 1
        else must branch "$mk" -q branch "$1" || return 1; fi ;;
      "#checkout "*) commit_pending || return 1; must checkout "$mk" -q checkout "${line#\#checkout }" || return 1 ;;
      "#merge "*)
        commit_pending || return 1
        must merge "$mk" merge "${line#\#merge }" --json || return 1
        local blk
        blk=$(sed -n 's/.*"block": *"\([0-9a-f]\{64\}\)".*/\1/p' <<<"$OUT")
        if [ -n "$blk" ] && grep -q '"fast_forward": *false' <<<"$OUT" && grep -q '"up_to_date": *false' <<<"$OUT"; then
          P_MERGES="$P_MERGES $blk"; P_MERGED=$((P_MERGED + 1)); P_BLOCKS=$((P_BLOCKS + 1))
          P_EXCLUDED=$((P_EXCLUDED + $(sed -n 's/.*"excluded": \[\(.*\)\], "resolved".*/\1/p' <<<"$OUT" | grep -o '"txid"' | wc -l)))
          P_RESOLVED=$((P_RESOLVED + $(sed -n 's/.*"resolved": \[\(.*\)\], "changes".*/\1/p' <<<"$OUT" | grep -o '"txid"' | wc -l)))
        fi ;;
      "#"*|"") ;;
      *) line=${line//@ADDR1/$a1}; printf '%s\n' "${line//@ADDR2/$a2}" >>"$batch"; n=$((n + 1)) ;;
    esac
  done <"$dir/calls.txt"
  commit_pending || return 1
  return 0
}

# state <binary> <rev-prefix> <tables.txt>: every table as `SELECT * ...
# ORDER BY 1 --json` at master, then every row of every table at master, b1
# and b2 as quote() and typeof() of each column (one query per branch).
state() {
  local b=$1 pre=$2 t cols c q u ref
  u=""
  while read -r t cols; do
    [ -n "$t" ] || continue
    echo "== master det.$t"
    run query "$b" query --at "${pre}master" "SELECT * FROM det.$t ORDER BY 1" --json || return 1
    [ $RC -eq 0 ] || { fail "error:query" "query failed: $ERR"; return 1; }
    echo "$OUT"
    q=""
    for c in $cols; do q="$q${q:+, }quote($c), typeof($c)"; done
    u="$u${u:+ UNION ALL }SELECT '$t' AS t, json_array($q) AS r FROM det.$t"
  done <"$3"
  for ref in master b1 b2; do
    echo "== $ref typed"
    run query "$b" query --at "$pre$ref" "SELECT t, r FROM ($u) ORDER BY t, r" --json || return 1
    [ $RC -eq 0 ] || { fail "error:query" "query failed: $ERR"; return 1; }
    echo "$OUT"
  done
}

# check <dir> <maker> <checker...>: the verifications after play.
check() {
  local dir=$1 mk=$2; shift 2
  local m j=0 c
  cd "$dir/ledger" || return 1
  run fsck "$mk" fsck || return 1
  [ $RC -eq 0 ] || { fail "fsck:maker" "fsck by the maker found problems: $ERR"; return 1; }
  for m in $P_MERGES; do
    run verify "$mk" merge --verify "$m" || return 1
    [ $RC -eq 0 ] || { fail "verify:maker" "merge --verify $m by the maker: $ERR"; return 1; }
  done
  run query "$mk" query "SELECT 1" || return 1
  state "$mk" "" "$dir/tables.txt" >"$dir/state.orig" || return 1
  for c in "$@"; do
    j=$((j + 1))
    cd "$dir" || return 1
    rm -rf "$dir/clone$j"
    run clone "$c" -q clone "$dir/ledger" "$dir/clone$j" --no-progress || return 1
    [ $RC -eq 0 ] || { fail "clone:$j" "clone by $c failed: $ERR"; return 1; }
    cd "$dir/clone$j" || return 1
    run fsck "$c" fsck || return 1
    [ $RC -eq 0 ] || { fail "fsck:$j" "fsck of the clone by $c found problems: $ERR"; return 1; }
    for m in $P_MERGES; do
      run verify "$c" merge --verify "$m" || return 1
      [ $RC -eq 0 ] || { fail "verify:$j" "merge --verify $m by $c: $ERR"; return 1; }
    done
    state "$c" "origin/" "$dir/tables.txt" >"$dir/state.clone$j" || return 1
    if ! cmp -s "$dir/state.orig" "$dir/state.clone$j"; then
      LAST_CMD="diff state.orig state.clone$j"
      fail "state:$j" "the clone's state by $c differs from the original's: $(diff "$dir/state.orig" "$dir/state.clone$j" | head -c 3000)"
      return 1
    fi
  done
  return 0
}

# attempt <dir> <maker> <checker...>: play and check; 0 when all is well,
# else 1 with FAIL_SIG set.
MIN_OK_PCT=10
attempt() {
  local dir=$1 mk=$2; shift 2
  FAIL_SIG="" FAIL_MSG="" FAIL_CMD=""
  rm -rf "$dir/home" "$dir/ledger" "$dir"/clone* "$dir/errors"
  play "$dir" "$mk" || { cd "$work"; return 1; }
  local total=$((P_OK + P_FAILED))
  if [ $P_OK -eq 0 ] || [ $((P_OK * 100)) -lt $((total * MIN_OK_PCT)) ]; then
    cd "$work"
    fail "few-ok" "only $P_OK of $total calls succeeded (at least $MIN_OK_PCT% must): the generator or aergo is broken"
    return 1
  fi
  check "$dir" "$mk" "$@" || { cd "$work"; return 1; }
  cd "$work"
  return 0
}

# ----- minimizing ---------------------------------------------------------------
# reproduces <contract> <calls>: 0 when the play fails with $want.
want="" mk_min="" chk_min=() min_runs=0 min_deadline=0
reproduces() {
  local d="$work/min"
  rm -rf "$d"; mkdir -p "$d"
  cp "$1" "$d/contract.sql"; cp "$2" "$d/calls.txt"; cp "$base_dir/tables.txt" "$d/tables.txt"
  min_runs=$((min_runs + 1))
  attempt "$d" "$mk_min" "${chk_min[@]}"
  if [ "$FAIL_SIG" = "$want" ]; then
    rm -rf "$work/best"; cp -r "$d" "$work/best"
    BEST_SIG=$FAIL_SIG BEST_MSG=$FAIL_MSG BEST_CMD=$FAIL_CMD
    return 0
  fi
  return 1
}
timeleft() { [ "$(date +%s)" -lt $min_deadline ]; }

# Call lines are those not starting with #: ddmin over them, then one by one.
minimize_calls() {
  local c=$1 f=$2 cand="$work/cand.txt"
  mapfile -t all <"$f"
  local calls=() i
  for i in "${!all[@]}"; do [[ "${all[$i]}" == "#"* ]] || calls+=("$i"); done
  write_without() {  # write_without <drop-from> <drop-to>: indices into calls
    local keep=() j
    declare -A drop=()
    for ((j = $1; j < $2; j++)); do drop[${calls[$j]}]=1; done
    : >"$cand"
    for j in "${!all[@]}"; do [ -n "${drop[$j]:-}" ] || printf '%s\n' "${all[$j]}" >>"$cand"; done
  }
  local n=2 len=${#calls[@]}
  while [ $len -ge 1 ] && timeleft; do
    local chunk=$(((len + n - 1) / n)) start reduced=0
    for ((start = 0; start < len; start += chunk)); do
      timeleft || break
      write_without $start $((start + chunk > len ? len : start + chunk))
      if reproduces "$c" "$cand"; then
        cp "$cand" "$f"; mapfile -t all <"$f"
        calls=(); for i in "${!all[@]}"; do [[ "${all[$i]}" == "#"* ]] || calls+=("$i"); done
        len=${#calls[@]}; reduced=1
        n=$((n > 2 ? n - 1 : 2))
        break
      fi
    done
    if [ $reduced = 0 ]; then
      [ $chunk -le 1 ] && break
      n=$((n * 2 > len ? len : n * 2))
    fi
  done
}

# Other lines (directives; contract statements and functions) one by one.
drop_lines() {  # drop_lines <file> <pattern> <other-file-arg-order: c|f>
  local file=$1 pat=$2 which=$3 cand="$work/cand2" i
  local count; count=$(wc -l <"$file")
  for ((i = count; i >= 1; i--)); do
    timeleft || return
    sed -n "${i}p" "$file" | grep -Eq "$pat" || continue
    sed "${i}d" "$file" >"$cand"
    if [ "$which" = c ]; then reproduces "$cand" "$work/r.calls" && cp "$cand" "$file"
    else reproduces "$work/r.sql" "$cand" && cp "$cand" "$file"; fi
  done
}
drop_functions() {
  local fnames fn cs cf
  fnames=$(sed -n 's/^CREATE FUNCTION \([a-z0-9_]*\)(.*/\1/p' "$work/r.sql")
  for fn in $fnames; do
    timeleft || return
    cs="$work/cand3.sql" cf="$work/cand3.calls"
    awk -v f="$fn" '$0 ~ "^CREATE FUNCTION " f "\\(" {skip=1} !skip {print} skip && /^END;/ {skip=0}' "$work/r.sql" >"$cs"
    grep -v "^det $fn\( \|$\)" "$work/r.calls" >"$cf"
    if reproduces "$cs" "$cf"; then cp "$cs" "$work/r.sql"; cp "$cf" "$work/r.calls"; fi
  done
}

minimize() {  # minimize <seed-dir> <maker> <checkers...>; prints the repro dir
  base_dir=$1; mk_min=$2; shift 2; chk_min=("$@")
  want=$FAIL_SIG
  local orig_sig=$FAIL_SIG orig_msg=$FAIL_MSG orig_cmd=$FAIL_CMD
  BEST_SIG=$FAIL_SIG BEST_MSG=$FAIL_MSG BEST_CMD=$FAIL_CMD
  rm -rf "$work/best"; cp -r "$base_dir" "$work/best"
  cp "$base_dir/contract.sql" "$work/r.sql"; cp "$base_dir/calls.txt" "$work/r.calls"
  min_deadline=$(($(date +%s) + ${DET_MIN_SECS:-900}))
  local flaky=0
  if ! reproduces "$work/r.sql" "$work/r.calls"; then
    flaky=1
    echo "det: the failure did not reproduce on a second run (got '${FAIL_SIG:-no failure}'): not minimized" >&2
  else
    echo "det: minimizing ($want)..." >&2
    minimize_calls "$work/r.sql" "$work/r.calls"
    drop_lines "$work/r.calls" '^#(commit|key|merge|checkout|branch)' f
    drop_functions
    drop_lines "$work/r.sql" '^  [A-Z]' c
    minimize_calls "$work/r.sql" "$work/r.calls"
    echo "det: minimized in $min_runs runs" >&2
  fi
  local out="${DET_OUT:-$tmp}/aergo-det-repro-$(date +%Y%m%d-%H%M%S)-$$"
  mkdir -p "$out"
  cp "$work/best/contract.sql" "$work/best/calls.txt" "$work/best/tables.txt" "$out/"
  cp "$base_dir/contract.sql" "$out/original-contract.sql"; cp "$base_dir/calls.txt" "$out/original-calls.txt"
  [ -f "$work/best/log" ] && cp "$work/best/log" "$out/log"
  {
    echo "failure:  $BEST_SIG"
    echo "message:  $BEST_MSG"
    echo "command:  $BEST_CMD"
    echo "maker:    $(name_of "$mk_min")"
    echo "checkers: $(names_of "${chk_min[@]}")"
    [ $flaky = 1 ] && echo "FLAKY: the original failure ($orig_sig: $orig_msg; $orig_cmd) did not reproduce; files are the original's"
    echo
    echo "replay:   DET_FEATURES=$FEATURES bash $here/run.sh --replay $out $(name_of "$mk_min") $(names_of "${chk_min[@]}")"
    echo "log:      $out/log (every command of the failing run, its exit status and output)"
  } >"$out/README"
  echo "$out"
}

# ----- feature probe ------------------------------------------------------------
probe_features() {
  local pd="$work/probe" f b i ok feats=""
  for f in base datetime newfns math badutf8; do
    ok=1
    for i in "${!bins[@]}"; do
      b=${bins[$i]}
      export AERGO_HOME="$pd/home$i"
      if [ ! -d "$pd/l$i" ]; then
        mkdir -p "$pd"
        "$b" -q key new p >/dev/null 2>"$pd/err" && "$b" -q init "$pd/l$i" --key p >/dev/null 2>>"$pd/err" ||
          die "$b cannot create a key and a ledger: $(cat "$pd/err")"
      fi
      "$gen" --probe $f >"$pd/$f.sql"
      local steps="deploy p_$f $pd/$f.sql --key p"
      # badutf8: a call may store TEXT that is not valid UTF-8; the ledger
      # must stay readable (commit, then fsck), else the generator avoids it.
      [ $f = badutf8 ] && steps="$steps;call p_$f f 0xff --key p;commit --key p;fsck"
      if ! (cd "$pd/l$i" && IFS=';' && for s in $steps; do IFS=' '; "$b" -q $s || exit 1; done) >/dev/null 2>"$pd/err"; then
        [ $f = base ] && die "$b cannot deploy the base probe contract: $(cat "$pd/err")"
        echo "det: feature '$f' disabled: $b refuses it: $(head -c 300 "$pd/err")" >&2
        ok=0
        break
      fi
    done
    [ $f != base ] && [ $ok = 1 ] && feats="$feats${feats:+,}$f"
  done
  FEATURES=$feats
}

# ----- main ------------------------------------------------------------------------
cd "$work"
if [ -n "${DET_FEATURES+x}" ]; then FEATURES=$DET_FEATURES; else probe_features; fi
echo "det: features: ${FEATURES:-none}; builds: ${names[*]}" >&2

if [ -n "$replay" ]; then
  [ -f "$replay/contract.sql" ] && [ -f "$replay/calls.txt" ] && [ -f "$replay/tables.txt" ] || die "no contract.sql, calls.txt and tables.txt in '$replay'"
  d="$work/replay"; mkdir -p "$d"; cp "$replay"/{contract.sql,calls.txt,tables.txt} "$d/"
  others=("${bins[@]:1}"); [ ${#others[@]} -gt 0 ] || others=("${bins[0]}")
  if attempt "$d" "${bins[0]}" "${others[@]}"; then
    echo "det: replay: no failure ($P_OK calls ok, $P_FAILED refused, $P_BLOCKS blocks, $P_MERGED merges)"
    exit 0
  fi
  cp "$d/log" "$work/replay.log" 2>/dev/null
  echo "det: replay: $FAIL_SIG: $FAIL_MSG" >&2
  echo "det: command: $FAIL_CMD" >&2
  [ "${DET_KEEP:-0}" = 1 ] && echo "det: log: $d/log" >&2
  exit 1
fi

distinct=$(printf '%s\n' "${names[@]}" | sort -u | wc -l)
seed=${DET_SEED:-$(($(date +%s) % 1000000 * 1000))}
ncalls=${DET_CALLS:-80}
echo "det: seeds from $seed, $ncalls calls each, ${secs}s" >&2
start=$(date +%s)
seeds=0 calls=0 blocks=0 merges=0 unconv=0 okcalls=0 excluded=0 resolved=0
: >"$work/errors.all"
while [ $(($(date +%s) - start)) -lt "$secs" ] || [ $seeds -eq 0 ]; do
  d="$work/seed"
  rm -rf "$d"; mkdir -p "$d"
  "$gen" "$seed" "$ncalls" "$d" ${FEATURES:+--features "$FEATURES"} || die "aergo_det_gen failed on seed $seed"
  # The maker: the first build, or each distinct build in turn.
  if [ "$distinct" -gt 1 ]; then mi=$((seeds % nb)); else mi=0; fi
  mk=${bins[$mi]}
  chk=()
  for i in "${!bins[@]}"; do [ "$i" = "$mi" ] || chk+=("${bins[$i]}"); done
  [ ${#chk[@]} -gt 0 ] || chk=("$mk")
  if ! attempt "$d" "$mk" "${chk[@]}"; then
    echo "det: seed $seed FAILED: $FAIL_SIG: $FAIL_MSG" >&2
    echo "det: command: $FAIL_CMD" >&2
    cp -r "$d" "$work/failed-seed"
    repro=$(minimize "$work/failed-seed" "$mk" "${chk[@]}")
    echo "det: reproduction in $repro" >&2
    cat "$repro/README" >&2
    echo "det: $seeds seeds, $calls calls, $blocks blocks, $merges merges, 1 difference (seed $seed: $FAIL_SIG)"
    exit 1
  fi
  seeds=$((seeds + 1)); calls=$((calls + P_OK + P_FAILED)); okcalls=$((okcalls + P_OK))
  blocks=$((blocks + P_BLOCKS)); merges=$((merges + P_MERGED)); unconv=$((unconv + P_UNCONVERTED))
  excluded=$((excluded + P_EXCLUDED)); resolved=$((resolved + P_RESOLVED))
  cat "$d/errors" >>"$work/errors.all" 2>/dev/null
  echo "det: seed $seed ok: $P_OK/$((P_OK + P_FAILED)) calls kept, $P_BLOCKS blocks, $P_MERGED merges ($P_EXCLUDED txs excluded, $P_RESOLVED resolved; made by $(name_of "$mk"))" >&2
  seed=$((seed + 1))
done
[ $seeds -gt 0 ] && [ $okcalls -gt 0 ] || die "nothing was tested"
echo "det: $okcalls of $calls calls succeeded; merges excluded $excluded txs and resolved $resolved; $unconv call lines did not convert; $(($(date +%s) - start))s; most frequent refusals:" >&2
sed -E 's/[0-9a-f]{64}/<txid>/g; s/line [0-9]+: //' "$work/errors.all" | cut -c1-90 | sort | uniq -c | sort -rn | head -12 >&2
echo "det: $seeds seeds, $calls calls, $blocks blocks, $merges merges, 0 differences"
