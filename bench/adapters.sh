#!/usr/bin/env bash
# Broadcast ingress adapters and node-to-node pub/sub (spec anycable-server.md §8).
#
# (a) One `cable serve --broadcast_adapter http,redis,redisx,nats --pubsub none`
#     with N subscribers on one stream (BenchmarkChannel, stream `all`); for
#     each adapter `cable bench broadcast --publish <adapter>` at a steady rate
#     the server sustains (found first with short HTTP probes unless --rate is
#     given; the same rate for every adapter) and one burst.
# (b) Cross-node delivery: nodes A and B with `--pubsub redis` (then nats)
#     sharing the brokers; the clients connect to A, publications go to B's
#     HTTP /_broadcast, so every delivery crosses the pub/sub. Baseline: A alone
#     (`--pubsub none`), publications to A's own /_broadcast.
#
# Placement on two cores: every `cable serve` (both nodes in (b)) is pinned to
# CPU 0 with one worker; the generator (`cable bench --threads 1`),
# redis-server and nats-server share CPU 1. A fresh server (fresh pair in (b))
# per run; the brokers live for the whole script. Broker and node B CPU are
# sampled from /proc before and after every run (whole run, connect included).
#
# Usage: bench/adapters.sh [--clients N] [--quick] [--record] [--rate R] [--xrate R]
#   --clients N  subscribers (default 1000)
#   --quick      1000 clients at most, 5 s steady runs, smaller bursts and probes
#   --rate R     steady rate for (a) in messages/s (skips the probes)
#   --xrate R    steady rate for (b) (default: half of the rate used in (a))
#   --record     append the markdown section to docs/benchmarks.md
#   CABLE=path/to/cable; PROBE_P99_MS (default 50): a probe passes with no
#   loss, ≥ 95 % of the offered deliveries/s and p99 below this.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=1000
QUICK=0
RECORD=0
RATE=
XRATE=
usage() { echo "usage: $0 [--clients N] [--quick] [--record] [--rate R] [--xrate R]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --record) RECORD=1; shift ;;
    --rate) RATE=${2:?}; shift 2 ;;
    --xrate) XRATE=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
need jq ss redis-server nats-server
if [ "$QUICK" = 1 ]; then
  [ "$CLIENTS" -gt 1000 ] && CLIENTS=1000
  DURATION=5s PROBE_DURATION=2s DELIVERIES=200000
else
  DURATION=20s PROBE_DURATION=3s DELIVERIES=1000000
fi
BURST=$((DELIVERIES / CLIENTS)); [ "$BURST" -lt 100 ] && BURST=100
PROBE_P99_MS=${PROBE_P99_MS:-50}

lib_init adapters
free_port PORT; free_port BPORT; free_port PORT_B; free_port BPORT_B; free_port RPORT; free_port NPORT
# shellcheck disable=SC2153  # free_port assigns PORT by name
URL=ws://127.0.0.1:$PORT/cable
BURL=http://127.0.0.1:$BPORT/_broadcast
BURL_B=http://127.0.0.1:$BPORT_B/_broadcast
REDIS_URL=redis://127.0.0.1:$RPORT
NATS_URL=nats://127.0.0.1:$NPORT
BROKERS=(--redis_url "$REDIS_URL" --nats_servers "$NATS_URL")
SERVER_PID='' NODE_B_PID=''

start_redis "$RPORT"
start_nats "$NPORT"
EXTRA_PIDS=([redis]=$REDIS_PID [nats]=$NATS_PID)

stop_nodes() {
  stop_pid "$SERVER_PID"; stop_pid "$NODE_B_PID"
  SERVER_PID='' NODE_B_PID=''
  unset 'EXTRA_PIDS[node_b]'
}
ingress_node() { # ingress_node NAME: node A with every ingress adapter, no pub/sub
  stop_nodes
  start_cable "$1" "$PORT" --http_broadcast_port "$BPORT" --backend benchmark \
    --broadcast_adapter http,redis,redisx,nats --pubsub none "${BROKERS[@]}"
  SERVER_PID=$LAST_PID
}
pubsub_nodes() { # pubsub_nodes NAME redis|nats: nodes A and B sharing the pub/sub
  stop_nodes
  start_cable "$1-a" "$PORT" --http_broadcast_port "$BPORT" --backend benchmark \
    --broadcast_adapter http --pubsub "$2" "${BROKERS[@]}"
  SERVER_PID=$LAST_PID
  start_cable "$1-b" "$PORT_B" --http_broadcast_port "$BPORT_B" --backend benchmark \
    --broadcast_adapter http --pubsub "$2" "${BROKERS[@]}"
  NODE_B_PID=$LAST_PID
  EXTRA_PIDS[node_b]=$NODE_B_PID
}
publish_args() { # publish_args ADAPTER: the `cable bench` flags that publish through it
  case "$1" in
    http) PUB=(--publish http --broadcast-url "$BURL") ;;
    redis) PUB=(--publish redis --redis-url "$REDIS_URL") ;;
    redisx) PUB=(--publish redisx --redis-url "$REDIS_URL") ;;
    nats) PUB=(--publish nats --nats-url "$NATS_URL") ;;
  esac
}
COMMON=(broadcast --clients "$CLIENTS" --payload-size 100 --settle 2s --wait 30s)
steady() { bench "$1" "${COMMON[@]}" --rate "$2" --duration "$DURATION" --warmup 1 "${@:3}"; }
burst() { bench "$1" "${COMMON[@]}" --burst "$BURST" "${@:2}"; }

# ---- (a) probes: the highest steady rate (HTTP ingress) the node sustains
sustained() { # sustained RATE: did probe-RATE pass? (true/false)
  jq -r --argjson off "$(($1 * CLIENTS))" --argjson p99 "$PROBE_P99_MS" \
    '.exit_code == 0 and .messages.received_per_s >= 0.95 * $off and .latency_us.p99 <= $p99 * 1000' \
    "$OUT/probe-$1.json" 2>/dev/null || echo false
}
PROBES=()
if [ -z "$RATE" ]; then
  publish_args http
  for target in 20000 50000 100000 200000 400000 800000; do   # offered deliveries/s
    r=$((target / CLIENTS)); [ "$r" -lt 1 ] && r=1
    ingress_node "probe-$r"
    steady "probe-$r" "$r" "${PUB[@]}"
    PROBES+=("probe-$r")
    ok=$(sustained "$r")
    echo "probe $r msg/s: sustained=$ok" >&2
    [ "$ok" = true ] || { FAILED=$r; break; }
    RATE=$r
  done
  # one more probe halfway between the last rate sustained and the first not
  if [ -n "$RATE" ] && [ -n "${FAILED:-}" ] && [ $(((RATE + FAILED) / 2)) -gt "$RATE" ]; then
    r=$(((RATE + FAILED) / 2))
    ingress_node "probe-$r"
    steady "probe-$r" "$r" "${PUB[@]}"
    PROBES+=("probe-$r")
    [ "$(sustained "$r")" = true ] && RATE=$r
  fi
  if [ -z "$RATE" ]; then
    RATE=$(jqf "$OUT/${PROBES[0]}.json" .config.rate)
    PROBE_NOTE="No probe passed (the machine is too busy or the criteria too strict); the lowest probe rate is used."
  fi
fi
[ -n "$XRATE" ] || XRATE=$((RATE / 2 > 0 ? RATE / 2 : 1))

# ---- (a) every ingress adapter into one node
ADAPTERS=(http redis redisx nats)
for a in "${ADAPTERS[@]}"; do
  publish_args "$a"
  ingress_node "$a-steady"; steady "$a-steady" "$RATE" "${PUB[@]}"
  ingress_node "$a-burst"; burst "$a-burst" "${PUB[@]}"
done

# ---- (b) cross-node delivery through the pub/sub, and the one-node baseline
ingress_node same-node-steady
steady same-node-steady "$XRATE" --publish http --broadcast-url "$BURL"
ingress_node same-node-burst
burst same-node-burst --publish http --broadcast-url "$BURL"
for ps in redis nats; do
  pubsub_nodes "x-$ps-steady" "$ps"; steady "x-$ps-steady" "$XRATE" --publish http --broadcast-url "$BURL_B"
  pubsub_nodes "x-$ps-burst" "$ps"; burst "x-$ps-burst" --publish http --broadcast-url "$BURL_B"
done
stop_nodes

# ---- report
x() { jqf "$OUT/$1.extra.json" ".$2"; }
j() { jqf "$OUT/$1.json" "$2"; }
delivered() {
  local m; m=$(j "$1" .messages.missing)
  echo "$(j "$1" .messages.unique) / $(j "$1" .messages.expected)$([ "$m" != 0 ] && [ "$m" != - ] && echo " ($m missing)")"
}
latency() { echo "$(jms "$OUT/$1.json" .latency_us.p50) / $(jms "$OUT/$1.json" .latency_us.p99) / $(jms "$OUT/$1.json" .latency_us.max)"; }
server_cpu() { echo "$(j "$1" .server.message_cpu_s) s, $(j "$1" .server.cpu_us_per_message) µs/del, max $(j "$1" .server.max_cpu_pct) %"; }
gen_cpu() { echo "$(j "$1" .generator.message_cpu_s) s, $(j "$1" .generator.cpu_us_per_message) µs/del"; }
shape() { # shape RUN: "steady 100/s" or "burst of 1000"
  if [ "$(j "$1" .config.burst)" != 0 ] && [ "$(j "$1" .config.burst)" != - ]; then
    echo "burst of $(j "$1" .config.burst)"
  else
    echo "steady $(j "$1" .config.rate)/s for $(j "$1" .config.duration_s) s"
  fi
}
if [ "$PINNED" = 1 ]; then
  PLACEMENT="Every \`cable serve\` (both nodes in (b)) pinned to CPU $SERVER_CPU with \`--workers 1\`; \`cable bench --threads 1\`, redis-server $(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2) and nats-server $(nats-server --version | grep -o '[0-9][0-9.]*' | head -1) pinned together to CPU $GEN_CPU"
else
  PLACEMENT="One CPU: nothing pinned, every process shares it"
fi
all_runs=("${PROBES[@]}")
for a in "${ADAPTERS[@]}"; do all_runs+=("$a-steady" "$a-burst"); done
all_runs+=(same-node-steady same-node-burst x-redis-steady x-redis-burst x-nats-steady x-nats-burst)

{
  echo
  echo "## $(date -u +%Y-%m-%d): broadcast adapters and pub/sub ($CLIENTS subscribers, one stream, 100-byte payloads)"
  echo
  machine_md "$OUT/http-steady.json" bench/adapters.sh
  echo "$PLACEMENT. Server side: \`cable serve --backend benchmark\`, clients subscribed to BenchmarkChannel (stream \`all\`)."
  echo "1-minute load average at the start of each run: $(loads_md "${all_runs[@]}") (above ~1 the machine was shared and figures are lower bounds)."
  echo
  echo "### Ingress adapters into one node"
  echo
  echo "\`cable serve --broadcast_adapter http,redis,redisx,nats --pubsub none\` (explicit: with \`redisx\` listed the default would be Redis pub/sub),"
  if [ "${#PROBES[@]}" -gt 0 ]; then
    echo "steady rate $RATE msg/s for every adapter: the highest HTTP rate in the probes below with no loss, ≥ 95 % of the offered deliveries/s and p99 ≤ $PROBE_P99_MS ms."
    echo "Probes ($PROBE_DURATION each, HTTP): $(for p in "${PROBES[@]}"; do printf '%s msg/s → %s del/s, p99 %s ms; ' "$(j "$p" .config.rate)" "$(jint "$OUT/$p.json" .messages.received_per_s)" "$(jms "$OUT/$p.json" .latency_us.p99)"; done | sed 's/; $/./')"
  else
    echo "steady rate $RATE msg/s (given with --rate)."
  fi
  [ -n "${PROBE_NOTE:-}" ] && echo "$PROBE_NOTE"
  echo "Latency is publish → receipt per delivery, from the scheduled time in steady runs. Broker CPU is the whole run (connect included)."
  echo "The publisher sends each publication when the previous one is answered. Over HTTP the node itself answers, so an HTTP burst moves at the"
  echo "node's pace; broker publications are answered by the broker and reach the node back to back, so it can take many in one loop turn and"
  echo "write them to each socket together (compare the server µs per delivery). The same holds in (b), where B answers the HTTP requests."
  echo
  echo "| adapter | run | delivered | deliveries/s | latency p50 / p99 / max ms | server CPU (messages) | generator CPU (messages) | redis CPU s | nats CPU s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for a in "${ADAPTERS[@]}"; do
    for r in "$a-steady" "$a-burst"; do
      row "$a" "$(shape "$r")" "$(delivered "$r")" "$(jint "$OUT/$r.json" .messages.received_per_s)" "$(latency "$r")" \
        "$(server_cpu "$r")" "$(gen_cpu "$r")" "$(x "$r" redis)" "$(x "$r" nats)"
    done
  done
  echo
  echo "### Cross-node delivery through the pub/sub"
  echo
  echo "Nodes A and B (\`--broadcast_adapter http --pubsub redis|nats\`, same brokers, both on CPU $SERVER_CPU); clients on A, publications to B's \`/_broadcast\`,"
  echo "so every delivery goes B → broker → A. Baseline: A alone with \`--pubsub none\`, publications to A. Steady rate $XRATE msg/s."
  echo
  echo "| setup | run | delivered | deliveries/s | latency p50 / p99 / max ms | node A CPU (messages) | node B CPU s | redis CPU s | nats CPU s | generator CPU (messages) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for s in same-node x-redis x-nats; do
    case $s in same-node) label="one node" ;; x-redis) label="A ← redis ← B" ;; x-nats) label="A ← nats ← B" ;; esac
    for r in "$s-steady" "$s-burst"; do
      nb=$(x "$r" node_b); [ "$s" = same-node ] && nb=-
      row "$label" "$(shape "$r")" "$(delivered "$r")" "$(jint "$OUT/$r.json" .messages.received_per_s)" "$(latency "$r")" \
        "$(server_cpu "$r")" "$nb" "$(x "$r" redis)" "$(x "$r" nats)" "$(gen_cpu "$r")"
    done
  done
  echo
  problems_md "${all_runs[@]}"
  echo
} >"$OUT/section.md"
publish_md "$OUT/section.md"
