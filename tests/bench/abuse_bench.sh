#!/usr/bin/env bash
# Abuse benchmark (docs/http-server.md): what hostile clients cost the
# others. Prints, in one run, against one `aergo daemon` serving a
# BLOCKS-block public repository:
#   1. `aergo clone` of it from an idle daemon (median of 3)
#   2. the same clone while the load helper holds IDLE idle kept-alive
#      connections, SLOW slowloris connections (a header byte every
#      SLOW_MS ms, reconnected when cut at the header deadline) and SUBS
#      event subscribers (GET /<repo>/events; one refused 503 while they
#      all arrive at once retries 200 ms later) open; the ratio
#                                                    (target: ratio <= 2)
#   3. the daemon's peak RSS (VmHWM) under that load  (target: < 200 MB)
#   4. abuse probes, status and time: a declared body over --max-body-bytes
#      (413), a gzip-encoded body (415), an anonymous SELECT
#      zeroblob(100000000) (400, over the answer budget), then /healthz (200)
#      under load, after 12 s of it (the slowloris connections were cut
#      with 408 at the 10 s header deadline and came back) and after it
# Exits nonzero if the daemon died or a probe got another status; the
# targets of 1-3 are printed, not asserted.
# Usage: tests/bench/abuse_bench.sh [BLOCKS=1000] [IDLE=1000] [SLOW=200] [SUBS=1000] [SLOW_MS=3000]
# Set AERGO_BENCH_DIR to reuse the generated repository between runs.
set -euo pipefail
BLOCKS=${1:-1000}
IDLE=${2:-1000}
SLOW=${3:-200}
SUBS=${4:-1000}
SLOW_MS=${5:-3000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/lib.sh"
GEN=$BENCH_BIN/aergo_bench_gen_history
LOAD=$BENCH_BIN/aergo_bench_abuse_load

SRC=$W/abuse-$BLOCKS
echo "== setup: a public $BLOCKS-block repository"
if [ ! -d "$SRC/.aergo" ]; then
  rm -rf "$SRC.tmp"
  "$GEN" "$SRC.tmp" "$BLOCKS" --public >/dev/null
  mv "$SRC.tmp" "$SRC"
fi
cd "$W"

PIDF=$W/abuse-daemon.pid
LOAD_PID=
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
  [ -f "$PIDF" ] && kill "$(cat "$PIDF")" 2>/dev/null || true
  [ -n "${AERGO_BENCH_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
rm -f "$PIDF" "$W/abuse-daemon.log"
"$AERGO" daemon --listen 127.0.0.1:0 --detach --pid-file "$PIDF" --log-file "$W/abuse-daemon.log" \
  --name src "$SRC" 2> "$W/listen.txt"
DPID=$(cat "$PIDF")
BASE=$(sed -nE 's/.*listening on (http[^ ]+).*/\1/p' "$W/listen.txt" | head -1)
PORT=${BASE##*:}
URL=$BASE/src
echo "== daemon $DPID at $BASE"
alive() { kill -0 "$DPID" 2>/dev/null; }
peak_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$DPID/status"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$DPID/status"; }

clone_ms() {
  rm -rf "$W/c"
  local s; s=$(now)
  "$AERGO" -q clone --no-progress "$URL" "$W/c"
  elapsed_ms "$s" "$(now)"
}
for _ in 1 2 3; do clone_ms; done > "$W/idle_ms"
idle_clone=$(median < "$W/idle_ms")
idle_peak=$(peak_mb)
(cd "$W/c" && "$AERGO" -q fsck --fast)

echo "== load: $IDLE idle, $SLOW slowloris (a byte every ${SLOW_MS} ms), $SUBS subscribers"
"$LOAD" hold "$PORT" src "$IDLE" "$SLOW" "$SUBS" "$SLOW_MS" > "$W/load.out" 2> "$W/load.err" &
LOAD_PID=$!
load_start=$(date +%s)
for _ in $(seq 1 600); do
  grep -q '^ready' "$W/load.out" 2>/dev/null && break
  kill -0 "$LOAD_PID" 2>/dev/null || { echo "the load helper died:"; cat "$W/load.err"; exit 1; }
  sleep 0.1
done
grep '^ready' "$W/load.out" || { echo "the load was not in place after 60 s"; cat "$W/load.err"; exit 1; }
loaded_rss=$(rss_mb)
for _ in 1 2 3; do clone_ms; done > "$W/load_ms"
load_clone=$(median < "$W/load_ms")
(cd "$W/c" && "$AERGO" -q fsck --fast)
alive || { echo "the daemon died under load"; exit 1; }
connections=$(ls "/proc/$DPID/fd" | wc -l)

echo "== probes"
failed=0
probe() {  # probe <kind> <expected status> <label>
  local out status ms body
  out=$("$LOAD" probe "$PORT" "$1" src)
  read -r status ms body <<< "$out"
  local verdict=ok
  [ "$status" = "$2" ] || { verdict="UNEXPECTED (want $2)"; failed=1; }
  printf '  %-40s %4s %6s ms  %-3s %s\n' "$3" "$status" "$ms" "$verdict" "$body"
}
probe oversize 413 "declared body of 300000000 bytes"
probe gzip 415 "gzip Content-Encoding"
probe zeroblob 400 "anonymous SELECT zeroblob(100000000)"
probe healthz 200 "/healthz under load, after the probes"
# Held 12 s in all: the slowloris connections meet the 10 s header
# deadline (408) and come back, as an attacker's would.
while [ $(($(date +%s) - load_start)) -lt 12 ]; do sleep 0.5; done
probe healthz 200 "/healthz after 12 s of load"
load_peak=$(peak_mb)

kill "$LOAD_PID"
wait "$LOAD_PID" || true
LOAD_PID=
sleep 0.5
probe healthz 200 "/healthz after the load left"
alive || { echo "the daemon died"; exit 1; }

echo
echo "== results ($(nproc) cores)"
printf '%-58s %12s\n' "measure" "value"
printf '%-58s %10sms\n' "clone of $BLOCKS blocks, idle daemon (median of 3)" "$idle_clone"
printf '%-58s %10sms\n' "clone under load (median of 3)" "$load_clone"
printf '%-58s %12s  (target <= 2)\n' "ratio" "$(ratio "$load_clone" "$idle_clone")"
printf '%-58s %10sMB  (target < 200)\n' "daemon peak RSS (VmHWM) under load, probes included" "$load_peak"
printf '%-58s %10sMB\n' "daemon peak RSS before the load" "$idle_peak"
printf '%-58s %10sMB\n' "daemon RSS with the load in place" "$loaded_rss"
printf '%-58s %12s\n' "daemon descriptors open under load" "$connections"
printf 'load helper: %s\n' "$(tail -1 "$W/load.out")"
printf 'daemon log: %s lines; 408: %s, 503: %s\n' "$(wc -l < "$W/abuse-daemon.log")" \
  "$(grep -c ' 408 ' "$W/abuse-daemon.log" || true)" "$(grep -c ' 503 ' "$W/abuse-daemon.log" || true)"

kill "$DPID"
for _ in $(seq 1 100); do alive || break; sleep 0.1; done
alive && { echo "the daemon did not stop on SIGTERM"; exit 1; }
rm -f "$PIDF"
exit "$failed"
