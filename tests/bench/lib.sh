# Shared by the benchmark scripts (sourced after ROOT is set): builds, sets
# AERGO, the work directory W ($AERGO_BENCH_DIR to keep it between runs)
# and AERGO_HOME, and defines the timing helpers.
# AERGO_BUILD_DIR: run the binaries of that build directory, which the caller
# has built, instead of building ./build.
if [ -n "${AERGO_BUILD_DIR:-}" ]; then
  BUILD=$AERGO_BUILD_DIR
else
  bash "$ROOT/scripts/build.sh" >/dev/null
  BUILD=$ROOT/build
fi
AERGO=$BUILD/aergo
BENCH_BIN=$BUILD/tests/bench
W=${AERGO_BENCH_DIR:-$(mktemp -d)}
[ -n "${AERGO_BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
export AERGO_HOME=$W/home AERGO_PASSPHRASE=
now() { date +%s.%N; }
# elapsed_ms <start> <end>: the time between two `now`s in ms.
elapsed_ms() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }'; }
# median: the median of the numbers on stdin, one per line.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# median_ms <runs> <cmd...>: median wall time of a command in ms.
median_ms() {
  local runs=$1; shift
  for _ in $(seq 1 "$runs"); do
    local s e; s=$(now); "$@" >/dev/null; e=$(now)
    elapsed_ms "$s" "$e"
  done | median
}
# ratio <a> <b> [decimals=2]
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf "%.*f", d, a / b }'; }
# token_ledger <dir> [init options...]: a new repository at <dir> signed by
# key `bench` (created if missing), with examples/token.sql deployed, the
# bench key holding 10^12 tokens and accounts acct1..acct1000 opened, all in
# one block ("setup"). Leaves the current directory at <dir>.
token_ledger() {
  local dir=$1; shift
  "$AERGO" -q key new bench 2>/dev/null || true
  "$AERGO" -q init "$dir" --key bench "$@"
  cd "$dir"
  "$AERGO" config user.key bench
  cp "$ROOT/examples/token.sql" token.sql
  ME=$("$AERGO" key show bench --json | sed -E 's/.*"address": "([^"]+)".*/\1/')
  "$AERGO" -q deploy token token.sql
  { echo "token mint $ME 1000000000000"; for a in $(seq 1 1000); do echo "token mint acct$a 0"; done; } \
    | "$AERGO" -q call --batch -
  "$AERGO" -q commit -m setup
}
