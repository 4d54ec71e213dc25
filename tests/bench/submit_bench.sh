#!/usr/bin/env bash
# Tx submission benchmark (issue: remotes). A local daemon serving a token
# ledger takes signed `token.transfer` txs over kept-alive connections
# (POST /<repo>/txs, one tx per request, each answered with its receipt
# after pre-execution on the branch's pool state) and seals a block every
# second. Prints, side by side in one run:
#   1. one client, then CLIENTS concurrent clients: throughput, median,
#      p90 and p99 latency (tests/bench/submit_load.cpp), one tx per
#      request; then CLIENTS clients with 100 txs per request
#   2. peers on this machine in the same run: the single-core libsodium
#      verify rate, and sqlite3's rate of one-row committed transactions
#      in WAL mode with synchronous=FULL (each commit synced, as the
#      daemon's answers are)
#   3. the ceiling the load itself leaves: the load generator runs on the
#      same cores, so with one tx per request no daemon can pass
#      cores / (client CPU per request + the two signature verifications
#      a request needs: its request signature and its tx's)
# Usage: tests/bench/submit_bench.sh [TXS_PER_CLIENT=500] [CLIENTS=8]
set -euo pipefail
PER=${1:-500}
CLIENTS=${2:-8}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/lib.sh"

export AERGO_KEY=bench
REPO=$W/ledger
rm -rf "$REPO"
token_ledger "$REPO"
cd "$W"

PIDF=$W/daemon.pid
"$AERGO" daemon --listen 127.0.0.1:0 --detach --pid-file "$PIDF" --log-file "$W/daemon.log" \
  --block-interval 1000 --name ledger "$REPO" 2> "$W/listen.txt"
trap 'kill "$(cat "$PIDF")" 2>/dev/null || true; [ -n "${AERGO_BENCH_DIR:-}" ] || rm -rf "$W"' EXIT
BASE=$(sed -nE 's/.*listening on (http[^ ]+).*/\1/p' "$W/listen.txt" | head -1)
echo "== daemon at $BASE, sealing a block every second"

load() { "$BENCH_BIN/aergo_bench_submit_load" "$REPO/.aergo" bench "$BASE/ledger" "$@"; }
load 1 50 > /dev/null  # warm-up
read -r _ n1 s1 tps1 med1 p901 p991 bad1 _ < <(load 1 "$PER")
read -r _ nc sc tpsc medc p90c p99c badc cpuc < <(load "$CLIENTS" "$PER")
read -r _ nb sb tpsb medb p90b p99b badb _ < <(load "$CLIENTS" $((PER * 4)) 100)
sleep 1.5  # the last block
sealed=$(cd "$REPO" && "$AERGO" log --oneline | wc -l)

verify=$("$BENCH_BIN/aergo_bench_verify_rate")
DB=$W/peer.db
rm -f "$DB"
sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);" > /dev/null
{
  echo "PRAGMA synchronous=FULL;"
  for i in $(seq 1 2000); do echo "BEGIN; INSERT INTO t(v) VALUES('tx $i'); COMMIT;"; done
} > "$W/peer.sql"
s=$(now); sqlite3 "$DB" < "$W/peer.sql" > /dev/null; e=$(now)
commits=$(awk -v ms="$(elapsed_ms "$s" "$e")" 'BEGIN { printf "%.0f", 2000 / (ms / 1000) }')
cores=$(nproc)

echo
echo "== tx submission over keep-alive ($PER txs per client; failures: $bad1 + $badc + $badb; $sealed blocks in the log)"
printf '%-30s %10s %10s %10s %10s\n' "" "tx/s" "median ms" "p90 ms" "p99 ms"
printf '%-30s %10s %10s %10s %10s\n' "1 client, 1 tx/request" "$tps1" "$med1" "$p901" "$p991"
printf '%-30s %10s %10s %10s %10s\n' "$CLIENTS clients, 1 tx/request" "$tpsc" "$medc" "$p90c" "$p99c"
printf '%-30s %10s %10s %10s %10s\n' "$CLIENTS clients, 100 tx/request" "$tpsb" "$medb" "$p90b" "$p99b"
echo "(latencies per request; every tx answered ok was on disk first: the daemon syncs the log, once per group of batches, before answering)"
echo
echo "peers in this run: libsodium verifies/s (1 core) $verify; cores $cores; sqlite3 one-row WAL commits/s $commits"
ceiling=$(awk -v c="$cores" -v cpu="$cpuc" -v v="$verify" 'BEGIN { printf "%.0f", c * 1e6 / (cpu + 2e6 / v) }')
echo "load generator CPU per request: $cpuc us; ceiling with 1 tx/request on these cores (a daemon doing nothing but the two verifications): $ceiling tx/s"
echo "ratio: $CLIENTS clients, 1 tx/request / (cores x verify rate):    $(ratio "$tpsc" $((cores * verify)) 3)  (target >= 0.2; the ceiling: $(ratio "$ceiling" $((cores * verify)) 3))"
echo "ratio: $CLIENTS clients, 100 tx/request / (cores x verify rate):  $(ratio "$tpsb" $((cores * verify)) 3)  (target >= 0.6)"
echo "ratio: $CLIENTS clients, 1 tx/request / verify rate (1 core):     $(ratio "$tpsc" "$verify" 3)"
echo "ratio: $CLIENTS-client throughput / sqlite3 commit rate:          $(ratio "$tpsc" "$commits")"
echo "ratio: $CLIENTS-client / 1-client throughput (group commit):     $(ratio "$tpsc" "$tps1")"
[ "$bad1" = 0 ] && [ "$badc" = 0 ] && [ "$badb" = 0 ]
