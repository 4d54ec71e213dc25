# Shared by the benchmark scripts (sourced after ROOT is set): builds, sets
# AERGO, the work directory W ($AERGO_BENCH_DIR to keep it between runs)
# and AERGO_HOME, and defines the timing helpers.
bash "$ROOT/scripts/build.sh" >/dev/null
AERGO=$ROOT/build/aergo
BENCH_BIN=$ROOT/build/tests/bench
W=${AERGO_BENCH_DIR:-$(mktemp -d)}
[ -n "${AERGO_BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
export AERGO_HOME=$W/home AERGO_PASSPHRASE=
now() { date +%s.%N; }
# median_ms <runs> <cmd...>: median wall time of a command in ms.
median_ms() {
  local runs=$1; shift
  for _ in $(seq 1 "$runs"); do
    local s e; s=$(now); "$@" >/dev/null; e=$(now)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", (e - s) * 1000 }'
  done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
# ratio <a> <b> [decimals=2]
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { printf "%.*f", d, a / b }'; }
