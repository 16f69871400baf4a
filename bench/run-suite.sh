#!/usr/bin/env bash
# Runs the standard `cable bench` scenarios against a fresh `cable serve`
# (in-process BenchmarkChannel backend, HTTP broadcasts) and appends a dated
# section with the figures to docs/benchmarks.md.
#
# Placement: the server is pinned to CPU 0 with one worker, the generator to
# CPU 1 with one loop thread, so "per core" figures mean what they say. Both
# processes' CPU and RSS come from /proc (the generator samples the server
# through --server-pid and itself through getrusage).
#
# Usage: bench/run-suite.sh [--clients N] [--quick] [--no-record]
#   CABLE=path/to/cable  (default: build-rel/bin/cable, else build-bench/bin/cable)
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=10000
QUICK=0
RECORD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --quick) QUICK=1; CLIENTS=1000; shift ;;
    --no-record) RECORD=0; shift ;;
    *) echo "usage: $0 [--clients N] [--quick] [--no-record]" >&2; exit 2 ;;
  esac
done

CABLE=${CABLE:-}
if [ -z "$CABLE" ]; then
  for c in build-rel/bin/cable build-bench/bin/cable build/bin/cable; do
    if [ -x "$c" ]; then CABLE=$c; break; fi
  done
fi
[ -x "${CABLE:-}" ] || { echo "no cable binary; build first (BUILD_DIR=build-rel BUILD_TYPE=Release ./scripts/build cable)" >&2; exit 2; }

OUT=${OUT:-bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
PORT=${PORT:-28080}
BPORT=${BPORT:-28090}
URL=ws://127.0.0.1:$PORT/cable
BURL=http://127.0.0.1:$BPORT/_broadcast
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
SERVER_PID=

# taskset when there is more than one CPU (taskset execs, so $! is the server).
PIN0=() PIN1=()
if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null; then
  PIN0=(taskset -c "$SERVER_CPU") PIN1=(taskset -c "$GEN_CPU")
fi

start_server() {
  stop_server
  ulimit -n "$(ulimit -Hn)"
  "${PIN0[@]}" "$CABLE" serve --host 127.0.0.1 --port "$PORT" --http_broadcast_port "$BPORT" \
    --backend benchmark --broadcast_adapter http --workers 1 --log_level warn \
    >"$OUT/server-$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "cable serve did not start; see $OUT/server-$1.log" >&2
  exit 1
}

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=
}
trap stop_server EXIT

bench() { # bench NAME args...: one run, JSON + HTML into $OUT; never aborts the suite
  local name=$1; shift
  echo "== $name: cable bench $*" >&2
  set +e
  "${PIN1[@]}" "$CABLE" bench "$@" --url "$URL" --threads 1 --server-pid "$SERVER_PID" \
    --json-file "$OUT/$name.json" --report "$OUT/$name.html" --label "$name" --max-time 10m \
    >"$OUT/$name.txt"
  local rc=$?
  set -e
  cat "$OUT/$name.txt" >&2
  echo "$name exit $rc" >>"$OUT/exit-codes.txt"
}

PAYLOAD="--payload-size 100"
# S1/S2: connect rate and memory per connection on a fresh server.
start_server connect
bench connect connect --clients "$CLIENTS" --connect-concurrency 500 --hold 5s --settle 2s
# S3a: one burst of 100 broadcasts to every client on one stream.
start_server burst
bench burst broadcast --clients "$CLIENTS" $PAYLOAD --burst 100 --settle 2s --wait 30s --broadcast-url "$BURL"
# S3b: steady rate, coordinated-omission safe (latency from the scheduled time).
start_server steady
if [ "$QUICK" = 1 ]; then D=5s; else D=20s; fi
bench steady broadcast --clients "$CLIENTS" $PAYLOAD --rate 10 --duration "$D" --settle 2s --wait 30s --warmup 1 --broadcast-url "$BURL"
# S6-ish: perform echo round trips through the in-process RPC backend.
start_server echo
bench echo echo --clients 1000 $PAYLOAD --rate 2000 --count 20000 --settle 1s
stop_server

if [ "$RECORD" = 1 ]; then
  bench/record.sh "$OUT" >>docs/benchmarks.md
  echo "appended to docs/benchmarks.md (raw reports in $OUT)" >&2
fi
