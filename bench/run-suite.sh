#!/usr/bin/env bash
# Runs the standard `cable bench` scenarios against a fresh `cable serve`
# (in-process BenchmarkChannel backend, HTTP broadcasts) and prints a dated
# markdown section with the figures (appended to docs/benchmarks.md with
# --record).
#
# Placement: the server is pinned to CPU 0 with one worker, the generator to
# CPU 1 with one loop thread, so "per core" figures mean what they say. Both
# processes' CPU and RSS come from /proc (the generator samples the server
# through --server-pid and itself through getrusage).
#
# Usage: bench/run-suite.sh [--clients N] [--quick] [--record]
#   CABLE=path/to/cable  (default: build-rel/bin/cable, else build-bench/bin/cable)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=10000
QUICK=0
RECORD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --quick) QUICK=1; CLIENTS=1000; shift ;;
    --record) RECORD=1; shift ;;
    --no-record) RECORD=0; shift ;;
    *) echo "usage: $0 [--clients N] [--quick] [--record]" >&2; exit 2 ;;
  esac
done

lib_init suite
free_port PORT
free_port BPORT
# shellcheck disable=SC2153  # free_port assigns PORT by name
URL=ws://127.0.0.1:$PORT/cable
BURL=http://127.0.0.1:$BPORT/_broadcast
SERVER_PID=

server() { # server NAME: a fresh server for one scenario
  stop_pid "$SERVER_PID"
  start_cable "$1" "$PORT" --http_broadcast_port "$BPORT" --backend benchmark --broadcast_adapter http
  SERVER_PID=$LAST_PID
}

PAYLOAD=(--payload-size 100)
# S1/S2: connect rate and memory per connection on a fresh server.
server connect
bench connect connect --clients "$CLIENTS" --connect-concurrency 500 --hold 5s --settle 2s
# S3a: one burst of 100 broadcasts to every client on one stream.
server burst
bench burst broadcast --clients "$CLIENTS" "${PAYLOAD[@]}" --burst 100 --settle 2s --wait 30s --broadcast-url "$BURL"
# S3b: steady rate, coordinated-omission safe (latency from the scheduled time).
server steady
if [ "$QUICK" = 1 ]; then D=5s; else D=20s; fi
bench steady broadcast --clients "$CLIENTS" "${PAYLOAD[@]}" --rate 10 --duration "$D" --settle 2s --wait 30s --warmup 1 --broadcast-url "$BURL"
# S6-ish: perform echo round trips through the in-process RPC backend.
server echo
bench echo echo --clients 1000 "${PAYLOAD[@]}" --rate 2000 --count 20000 --settle 1s
stop_pid "$SERVER_PID"

bench/record.sh "$OUT" >"$OUT/section.md"
publish_md "$OUT/section.md"
