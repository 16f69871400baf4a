#!/usr/bin/env bash
# Connection rate by authentication mode (spec benchmarking.md §5.2 S2):
#   noauth       cable serve --noauth --norpc
#   jwt          cable serve --jwt_secret S --enforce_jwt --norpc; cable bench --jwt-secret S
#   rpc          cable serve --rpc_host <cable rpc>: RPC Connect over gRPC
#   rpc+channel  the same, subscribing to BenchmarkChannel (RPC Connect + RPC Subscribe)
# Each mode runs twice: until welcome (--no-subscribe) and until the
# subscription is confirmed. The first three subscribe to a signed stream
# (`$pubsub`, checked in `cable serve`, no RPC), so only the authentication
# differs between them.
#
# Placement: `cable serve --workers 1` on CPU 0, `cable bench --threads 1` on
# CPU 1, `cable rpc` on RPC_CPU (default CPU 0, with the server: all
# server-side work on one core, as JWT has it). A fresh server (and `cable
# rpc`) per run. `cable rpc`'s CPU is sampled from /proc before and after
# each run. In RPC mode the server runs with --disconnect_mode never, so the
# Disconnect calls made when the run closes its clients do not land in the
# sampled window.
#
# Usage: bench/connect-auth.sh [--clients N] [--quick] [--record] [--connect-rate R]
#   --clients N        clients per run (default 10000; --quick: 1000)
#   --connect-rate R   connects started per second (default 0: as fast as 500
#                      handshakes in flight allow)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=10000
RECORD=0
CONNECT_RATE=0
usage() { echo "usage: $0 [--clients N] [--quick] [--record] [--connect-rate R]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --quick) CLIENTS=1000; shift ;;
    --record) RECORD=1; shift ;;
    --connect-rate) CONNECT_RATE=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
need jq ss

lib_init connect-auth
RPC_CPU=${RPC_CPU:-$SERVER_CPU}
PIN_RPC=()
[ "$PINNED" = 1 ] && PIN_RPC=(taskset -c "$RPC_CPU")
free_port PORT; free_port RPORT
# shellcheck disable=SC2153  # free_port assigns PORT by name
URL=ws://127.0.0.1:$PORT/cable
JWT_SECRET=bench-jwt-secret
STREAMS_SECRET=bench-streams-secret
SERVER_PID='' RPC_PID=''

stop_all() {
  stop_pid "$SERVER_PID"; stop_pid "$RPC_PID"
  SERVER_PID='' RPC_PID=''
  EXTRA_PIDS=()
}
server() { # server RUN MODE: fresh cable serve (and cable rpc) for one run
  stop_all
  case "$2" in
    noauth) start_cable "$1" "$PORT" --streams_secret "$STREAMS_SECRET" --noauth --norpc ;;
    jwt) start_cable "$1" "$PORT" --streams_secret "$STREAMS_SECRET" --jwt_secret "$JWT_SECRET" --enforce_jwt --norpc ;;
    rpc*)
      spawn "$OUT/rpc-$1.log" "${PIN_RPC[@]}" "$CABLE" rpc --channels benchmark --host "127.0.0.1:$RPORT" --log-level warn
      RPC_PID=$LAST_PID
      wait_port "$RPORT" "$RPC_PID" "cable rpc" "$OUT/rpc-$1.log"
      EXTRA_PIDS=([rpc]=$RPC_PID)
      start_cable "$1" "$PORT" --streams_secret "$STREAMS_SECRET" --rpc_host "127.0.0.1:$RPORT" \
        --disconnect_mode never ;;
  esac
  SERVER_PID=$LAST_PID
}

MODES=(noauth jwt rpc rpc+channel)
RUNS=()
for mode in "${MODES[@]}"; do
  auth=()
  [ "$mode" = jwt ] && auth=(--jwt-secret "$JWT_SECRET")
  for until in welcome confirm; do
    [ "$mode" = rpc+channel ] && [ "$until" = welcome ] && continue   # same as rpc
    run=$mode-$until
    run=${run/+/-}
    sub=(--stream-type signed --streams-secret "$STREAMS_SECRET")
    [ "$mode" = rpc+channel ] && sub=(--stream-type rpc)
    [ "$until" = welcome ] && sub=(--no-subscribe)
    server "$run" "$mode"
    bench "$run" connect --clients "$CLIENTS" --connect-rate "$CONNECT_RATE" --connect-concurrency 500 \
      "${auth[@]}" "${sub[@]}"
    RUNS+=("$run")
  done
done
stop_all

# ---- report
j() { jqf "$OUT/$1.json" "$2"; }
pct() { echo "$(jms "$OUT/$1.json" ".connections.$2.p50") / $(jms "$OUT/$1.json" ".connections.$2.p99")"; }
per_conn() { # per_conn CPU_S RUN: µs of CPU per ready connection
  fdiv "$(awk -v c="$1" 'BEGIN { print c * 1e6 }')" "$(j "$2" .connections.ready)" 0
}
rpc_cpu() { jqf "$OUT/$1.extra.json" .rpc; }
side_cpu() { # server CPU over the connect phase + cable rpc over the whole run
  local r; r=$(rpc_cpu "$1"); [ "$r" = - ] && r=0
  awk -v a="$(j "$1" .server.connect_cpu_s)" -v b="$r" 'BEGIN { printf "%.3f\n", a + b }'
}
ratio() { # ratio A B FIELD: A's FIELD over B's, "×" with 2 decimals
  local a b; a=$(j "$1" "$3"); b=$(j "$2" "$3")
  if [ "$a" = - ] || [ "$b" = - ]; then echo "-"; else echo "$(fdiv "$a" "$b" 2)×"; fi
}

{
  echo
  echo "## $(date -u +%Y-%m-%d): connection rate by authentication ($CLIENTS clients, noauth / JWT / RPC)"
  echo
  machine_md "$OUT/jwt-confirm.json" bench/connect-auth.sh
  if [ "$PINNED" = 1 ]; then
    echo "\`cable serve --workers 1\` pinned to CPU $SERVER_CPU, \`cable rpc --channels benchmark\` (gRPC, its own process) pinned to CPU $RPC_CPU,"
    echo "\`cable bench connect --threads 1\` pinned to CPU $GEN_CPU."
  else
    echo "One CPU: nothing pinned."
  fi
  echo "Connects: $([ "$CONNECT_RATE" = 0 ] && echo "as fast as 500 handshakes in flight allow" || echo "$CONNECT_RATE started per second"); streams signed with \`--streams_secret\`"
  echo "(rpc+channel subscribes to BenchmarkChannel through RPC instead). RPC runs use \`--disconnect_mode never\`."
  echo "1-minute load average at the start of each run: $(loads_md "${RUNS[@]}") (above ~1 the machine was shared and figures are lower bounds)."
  echo
  echo "Server CPU is its connect phase; \`cable rpc\` CPU is the whole run (it has nothing else to do); server-side = both, per ready connection."
  echo
  echo "| auth | until | ready / target | failed | conn/s | welcome p50 / p99 ms | confirmed p50 / p99 ms | server CPU s | cable rpc CPU s | server-side µs/conn | generator CPU s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "${RUNS[@]}"; do
    mode=${r%-*}; [ "$mode" = rpc-channel ] && mode=rpc+channel
    confirmed=$(pct "$r" ready_us); [ "${r##*-}" = welcome ] && confirmed=-
    row "$mode" "${r##*-}" "$(j "$r" .connections.ready) / $(j "$r" .connections.target)" "$(j "$r" .connections.failed)" \
      "$(jint "$OUT/$r.json" .connections.rate_per_s)" "$(pct "$r" welcome_us)" "$confirmed" \
      "$(j "$r" .server.connect_cpu_s)" "$(rpc_cpu "$r")" "$(per_conn "$(side_cpu "$r")" "$r")" "$(j "$r" .generator.cpu_s)"
  done
  echo
  echo "JWT vs RPC Connect, conn/s: $(ratio jwt-welcome rpc-welcome .connections.rate_per_s) until welcome,"
  echo "$(ratio jwt-confirm rpc-confirm .connections.rate_per_s) until confirmed (AnyCable documents JWT as at least 2× faster than RPC)."
  echo
  problems_md "${RUNS[@]}"
  echo
} >"$OUT/section.md"
publish_md "$OUT/section.md"
