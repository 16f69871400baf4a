#!/usr/bin/env bash
# Presence under load (spec §2.6, docs/bench.md#presence): how long a join
# takes to reach every member of a busy stream, and what one presence event
# costs the server.
#
# (1) join: N members (default 1,000) on one public stream ($pubsub `all`)
#     subscribe and join at R joins/s (default 200) against `cable serve
#     --broker memory`. Each join reaches the members already there, so the
#     run makes about N²/2 deliveries (~500,000 for 1,000): the fan-out is
#     the cost. Figures: join → seen by each other member (p50 / p99 / max),
#     server CPU per join (the message phase, from /proc via --server-pid)
#     and per delivery, and the server's CPU over the whole run read from
#     /proc/PID/stat before and after (connects included).
# (2) churn: on a fresh server, the same N members join, then the last 10 %
#     leave and join again (`leave`, 1 s away, `join`) at 50 actions/s (at
#     most half the churners a second) for 10 s: leave → seen and join → seen
#     with every member already there.
# (3) with --redis: (1) again with `--broker redis --pubsub redis` against a
#     redis-server on the generator's CPU (one node: the Redis round trips
#     and the pub/sub hop are in the path).
#
# Placement on two cores: `cable serve --workers 1` pinned to CPU 0, the
# generator (`cable bench --threads 1`) and redis-server on CPU 1; a fresh
# server per run.
#
# Usage: bench/presence.sh [--clients N] [--rate R] [--redis] [--quick] [--record]
#   --clients N  members (default 1000)
#   --rate R     joins/s (default 200)
#   --redis      also run (3)
#   --quick      200 members, short churn: a smoke test, not for recording
#   --record     append the markdown section to docs/benchmarks.md
#   CABLE=path/to/cable
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=1000
RATE=200
REDIS=0
QUICK=0
# shellcheck disable=SC2034  # read by publish_md (lib.sh)
RECORD=0
usage() { echo "usage: $0 [--clients N] [--rate R] [--redis] [--quick] [--record]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --rate) RATE=${2:?}; shift 2 ;;
    --redis) REDIS=1; shift ;;
    --quick) QUICK=1; shift ;;
    --record) RECORD=1; shift ;;
    *) usage ;;
  esac
done
need jq ss
[ "$REDIS" = 0 ] || need redis-server

CHURN_PAUSE=1s CHURN_DURATION=10s
if [ "$QUICK" = 1 ]; then
  [ "$CLIENTS" -gt 200 ] && CLIENTS=200
  CHURN_DURATION=2s
fi
CHURN=$((CLIENTS / 10))
[ "$CHURN" -ge 1 ] || CHURN=1
# Each churner is away 1 s per action: half of them away at a time at most,
# so no action finds every churner gone.
CHURN_RATE=$((CHURN / 2 < 50 ? CHURN / 2 : 50))
[ "$CHURN_RATE" -ge 1 ] || CHURN_RATE=1

lib_init presence
free_port PORT
# shellcheck disable=SC2153,SC2034  # free_port assigns PORT by name; `bench` reads URL
URL=ws://127.0.0.1:$PORT/cable
SERVER_PID=
RUNS=()
# Joins take CLIENTS/RATE s; the drain may need longer when the server is behind.
COMMON=(--clients "$CLIENTS" --rate "$RATE" --settle 2s --wait 30s)

server() { # server NAME ARGS...: a fresh `cable serve` with presence on public streams
  stop_pid "$SERVER_PID"
  start_cable "$1" "$PORT" --norpc --public --broadcast_adapter http "${@:2}"
  SERVER_PID=$LAST_PID
}
run() { # run NAME SERVER-ARGS -- BENCH-ARGS...: a fresh server, one `cable bench presence`
  local name=$1 args=() before waited
  shift
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  server "$name" "${args[@]}"
  before=$(proc_cpu_s "$SERVER_PID")
  waited=$(run_delay_s "$SERVER_PID")
  bench "$name" presence "${COMMON[@]}" "$@"
  fsub "$(proc_cpu_s "$SERVER_PID")" "$before" >"$OUT/$name.cpu"
  fsub "$(run_delay_s "$SERVER_PID")" "$waited" >"$OUT/$name.sched"
  RUNS+=("$name")
}

run join-memory --broker memory -- 
run churn-memory --broker memory -- --churn "$CHURN" --churn-rate "$CHURN_RATE" \
  --churn-pause "$CHURN_PAUSE" --duration "$CHURN_DURATION"
if [ "$REDIS" = 1 ]; then
  free_port RPORT
  start_redis "$RPORT"
  run join-redis --broker redis --pubsub redis --redis_url "redis://127.0.0.1:$RPORT" --
fi
stop_pid "$SERVER_PID"

# ---- report
j() { jqf "$OUT/$1.json" "$2"; }
ms() { jms "$OUT/$1.json" "$2"; }
pct3() { echo "$(ms "$1" "$2.p50") / $(ms "$1" "$2.p99") / $(ms "$1" "$2.max")"; }
events() { # events RUN: "seen / expected (missing, duplicates)"
  echo "$(j "$1" .presence.seen) / $(j "$1" .presence.expected) ($(j "$1" .presence.missing) missing, $(j "$1" .presence.duplicates) dup)"
}
whole_cpu() { cat "$OUT/$1.cpu" 2>/dev/null || echo -; }
waited() { cat "$OUT/$1.sched" 2>/dev/null || echo -; }  # waited RUN: server run-queue wait, s
saturated() { # saturated RUN: the busiest loop interval, and whether that made it saturated
  echo "$(j "$1" .generator.max_thread_cpu_pct) %$([ "$(j "$1" .generator.saturated)" = true ] && echo " (saturated)")"
}
if [ "$PINNED" = 1 ]; then
  PLACEMENT="\`cable serve --workers 1\` pinned to CPU $SERVER_CPU, \`cable bench --threads 1\` (and redis-server) pinned to CPU $GEN_CPU"
else
  PLACEMENT="One CPU: nothing pinned, everything shares it"
fi
first=${RUNS[0]}
{
  echo
  echo "## Presence: $CLIENTS members joining one stream at $RATE/s ($(date -u +%Y-%m-%d))"
  echo
  machine_md "$OUT/$first.json" bench/presence.sh
  echo "$PLACEMENT; a fresh server per run, \`--norpc --public\`, members on the \`\$pubsub\` stream \`all\`."
  echo "1-minute load average at the start of each run: $(loads_md "${RUNS[@]}") (above ~1 the machine was shared and figures are lower bounds)."
  echo "Reproduce: \`bench/presence.sh --clients $CLIENTS --rate $RATE$([ "$REDIS" = 1 ] && echo " --redis")\`."
  echo
  echo "Each member subscribes and joins at its turn (client n at n/$RATE s); its join reaches every member already subscribed, so"
  echo "the k-th join makes k − 1 deliveries. Latency is join (or leave) sent → each other member receiving the event, one sample"
  echo "per receipt; \"events\" counts the receipts every member had to get, per member, from its subscription on."
  echo "Server CPU per action is the message phase's CPU (joins, churn, drain) over joins + leaves; \"whole run\" is"
  echo "\`/proc/PID/stat\` utime + stime before and after the \`cable bench\` run (connects and the final query included)."
  echo "\"Server waited for CPU\" is the time its threads were runnable but not running during the run"
  echo "(\`/proc/PID/task/*/schedstat\`): other processes on CPU $SERVER_CPU; latency tails grow with it."
  echo
  echo "| run | broker | joins / leaves | events seen / expected | join → seen p50 / p99 / max ms | leave → seen p50 / p99 / max ms | server CPU per action µs | per delivery µs | server CPU whole run s | server waited for CPU s | generator busiest thread |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "${RUNS[@]}"; do
    [ -f "$OUT/$r.json" ] || continue
    leave="-"
    [ "$(j "$r" .presence.leaves)" != 0 ] && leave=$(pct3 "$r" .presence.leave_us)
    row "$r" "${r#*-}" "$(j "$r" .presence.joins) / $(j "$r" .presence.leaves)" "$(events "$r")" \
      "$(pct3 "$r" .presence.join_us)" "$leave" "$(jint "$OUT/$r.json" .presence.server_cpu_us_per_action)" \
      "$(j "$r" .server.cpu_us_per_message)" "$(whole_cpu "$r")" "$(waited "$r")" "$(saturated "$r")"
  done
  echo
  echo "Churn run: the last $CHURN members leave and join again at $CHURN_RATE actions/s for $CHURN_DURATION, $CHURN_PAUSE away each time."
  echo
  problems_md "${RUNS[@]}"
} >"$OUT/section.md"
publish_md "$OUT/section.md"
