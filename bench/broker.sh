#!/usr/bin/env bash
# Reliable streams under load (docs/reliable-streams.md): what the memory
# broker costs the fan-out, how fast a history request is answered with
# 10,000 clients connected, and a restore of thousands of sessions at once.
#
# (1) Fan-out: N subscribers (default 10,000) on one stream (BenchmarkChannel,
#     stream `all`), HTTP broadcasts at a steady rate the server sustains
#     (short probes with the broker find it unless --rate is given), 100-byte
#     payloads; `cable serve` without a broker and with `--broker memory`,
#     alternated twice at the same rate, then once with the broker on
#     actioncable-v1-ext-json (every delivery's stream position checked), and
#     bursts of 1,000,000 deliveries without and with the broker, alternated
#     twice (the most the server delivers). Target: broker/none ≥ 0.9×.
# (2) History with N clients (default 10,000) connected: 1,000 of them on
#     actioncable-v1-ext-json drop, each for long enough to miss about 100
#     messages of its stream, reconnect with their sid and send `history`;
#     the drops are spread evenly over 10 s, so they come back one by one
#     and the figure is the fetch, not a storm of handshakes (part 3 is the
#     storm). The figure is `cable bench`'s "history -> confirmed" (request
#     sent → confirm_history). Target: p99 ≤ 5 ms. Twice:
#     - light: N - 1,000 idle clients (a second `cable bench connect
#       --hold`, subscribed to a stream nobody publishes to) plus 1,000
#       active over 10 streams at 10 broadcasts/s each, away 10 s;
#     - busy: all N active over 100 streams at 5 broadcasts/s each
#       (N x 5 deliveries/s), away 20 s.
#     The server keeps 200 messages per stream (--history_limit 200), so a
#     client away a little longer is not refused.
# (3) Restore: R clients (default 5,000) on actioncable-v1-ext-json, one
#     stream, 10 broadcasts/s; all of them dropped at once and back after
#     2 s; every session must be restored without a Connect call and nothing
#     missed (default --history_limit 100: the storm must be over within
#     ~8 s). The server's /metrics (anycable_go_connect_calls_total,
#     _sessions_restored_total, ...) are read after the run.
#
# Placement on two cores: `cable serve --workers 1` pinned to CPU 0, the
# generator (`cable bench --threads 1`) to CPU 1; a fresh server per run.
#
# Usage: bench/broker.sh [--clients N] [--restore R] [--quick] [--record] [--rate R] [--only 1|2|3]
#   --clients N  subscribers in (1), connected clients in (2) (default 10000)
#   --restore R  clients in (3) (default 5000)
#   --quick      1000 clients, 500 in (3), short runs: a smoke test, not for recording
#   --rate R     broadcasts/s for (1) (skips the probes)
#   --only K     run part K only (1, 2 or 3)
#   --record     append the markdown section to docs/benchmarks.md
#   CABLE=path/to/cable; PROBE_P99_MS (default 250): a probe passes with no
#   loss, ≥ 95 % of the offered deliveries/s and p99 below this.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=10000
RESTORE=5000
QUICK=0
RECORD=0
RATE=
ONLY=
usage() { echo "usage: $0 [--clients N] [--restore R] [--quick] [--record] [--rate R] [--only 1|2|3]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --restore) RESTORE=${2:?}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --record) RECORD=1; shift ;;
    --rate) RATE=${2:?}; shift 2 ;;
    --only) ONLY=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
case "$ONLY" in ''|1|2|3) ;; *) usage ;; esac
need jq ss curl
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

PROBE_P99_MS=${PROBE_P99_MS:-250}
# (2) runs NAME:ACTIVE:STREAMS:RATE_PER_STREAM:PAUSE_S (ACTIVE 0: all clients),
# H reconnecting clients spread over HSPREAD s
HRUNS=(history-light:1000:10:10:10 history-busy:0:100:5:20)
H=1000 HSPREAD=10 HAT=3 HTAIL=3
RRATE=10 RAT=3 RPAUSE=2 RDURATION=10                   # (3)
if [ "$QUICK" = 1 ]; then
  [ "$CLIENTS" -gt 1000 ] && CLIENTS=1000
  [ "$RESTORE" -gt 500 ] && RESTORE=500
  DURATION=5s PROBE_DURATION=2s PROBE_RATES=(50 200)
  HRUNS=(history-light:500:10:20:5 history-busy:0:10:20:5) H=200 HSPREAD=2 HAT=2 HTAIL=2
  RDURATION=6
else
  DURATION=15s PROBE_DURATION=4s PROBE_RATES=(20 50 100)
fi
BURST=$((1000000 / CLIENTS)); [ "$BURST" -lt 100 ] && BURST=100

lib_init broker
free_port PORT; free_port BPORT
# shellcheck disable=SC2153  # free_port assigns PORT by name
URL=ws://127.0.0.1:$PORT/cable
BURL=http://127.0.0.1:$BPORT/_broadcast
SERVER_PID=
EXT=(--subprotocol actioncable-v1-ext-json)
RUNS=()

server() { # server NAME ARGS...: a fresh `cable serve --backend benchmark` for one run
  stop_pid "$SERVER_PID"
  start_cable "$1" "$PORT" --http_broadcast_port "$BPORT" --backend benchmark \
    --broadcast_adapter http "${@:2}"
  SERVER_PID=$LAST_PID
}
broker_args() { # broker_args none|memory: the server flags for it
  if [ "$1" = memory ]; then BROKER=(--broker memory); else BROKER=(); fi
}
sbench() { # sbench NAME ARGS...: `bench`, plus the server's run-queue wait over the run in NAME.sched
  local before
  before=$(run_delay_s "$SERVER_PID")
  bench "$@"
  fsub "$(run_delay_s "$SERVER_PID")" "$before" >"$OUT/$1.sched"
}
run() { # run NAME BROKER BENCH-ARGS...: a fresh server with BROKER, one `cable bench` run
  broker_args "$2"
  server "$1" "${BROKER[@]}"
  sbench "$1" broadcast --broadcast-url "$BURL" "${@:3}"
  RUNS+=("$1")
}

# ---- (1) sustained fan-out without and with the broker
FANOUT=(--clients "$CLIENTS" --payload-size 100 --settle 2s --wait 30s)
PROBES=()
if part 1; then
  sustained() { # sustained NAME RATE: did the probe pass? (true/false)
    jq -r --argjson off "$(($2 * CLIENTS))" --argjson p99 "$PROBE_P99_MS" \
      '.exit_code == 0 and .messages.received_per_s >= 0.95 * $off and .latency_us.p99 <= $p99 * 1000' \
      "$OUT/$1.json" 2>/dev/null || echo false
  }
  if [ -z "$RATE" ]; then
    for r in "${PROBE_RATES[@]}"; do
      run "probe-$r" memory "${FANOUT[@]}" --rate "$r" --duration "$PROBE_DURATION" --warmup 1
      PROBES+=("probe-$r")
      ok=$(sustained "probe-$r" "$r")
      echo "probe $r msg/s with the broker: sustained=$ok" >&2
      [ "$ok" = true ] || break
      RATE=$r
    done
    if [ -z "$RATE" ]; then
      RATE=${PROBE_RATES[0]}
      PROBE_NOTE="No probe passed (the machine is too busy or the criteria too strict); the lowest probe rate is used."
    fi
  fi
  for i in 1 2; do
    run "none-$i" none "${FANOUT[@]}" --rate "$RATE" --duration "$DURATION" --warmup 1
    run "memory-$i" memory "${FANOUT[@]}" --rate "$RATE" --duration "$DURATION" --warmup 1
  done
  run memory-ext memory "${FANOUT[@]}" --rate "$RATE" --duration "$DURATION" --warmup 1 "${EXT[@]}"
  for i in 1 2; do
    run "none-burst-$i" none "${FANOUT[@]}" --burst "$BURST"
    run "memory-burst-$i" memory "${FANOUT[@]}" --burst "$BURST"
  done
fi

# ---- (2) history fetch with CLIENTS connected
clients_num() { # clients_num: the server's connected clients from /metrics (0 when unknown)
  curl -sS --max-time 2 "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
    awk '$1 == "anycable_go_clients_num" { n = $2 } END { print n + 0 }'
}
HNAMES=()
IDLE_PID=
if part 2; then
  for spec in "${HRUNS[@]}"; do
    IFS=: read -r name active streams per_stream pause <<<"$spec"
    [ "$active" = 0 ] || [ "$active" -gt "$CLIENTS" ] && active=$CLIENTS
    idle=$((CLIENTS - active))
    h=$((H < active ? H : active))
    broker_args memory
    server "$name" "${BROKER[@]}" --history_limit 200 --metrics_http /metrics
    if [ "$idle" -gt 0 ]; then
      # The idle clients: connected and subscribed (stream `all`, which the
      # run does not publish to) until stopped; plain protocol, no pongs due.
      spawn "$OUT/$name-idle.txt" "${PIN1[@]}" "$CABLE" bench connect --url "$URL" --threads 1 \
        --clients "$idle" --hold 30m --quiet --max-time 30m
      IDLE_PID=$LAST_PID
      for ((i = 0; i < 300; i++)); do
        [ "$(clients_num)" -ge "$idle" ] && break
        kill -0 "$IDLE_PID" 2>/dev/null || break
        sleep 0.1
      done
      echo "$name: $(clients_num) idle clients connected" >&2
    fi
    idle_connected=$(clients_num)
    # Publishing lasts until the last client is back and a little longer;
    # the publisher batches up to 10 publications a request when behind.
    sbench "$name" broadcast --broadcast-url "$BURL" --clients "$active" --streams "$streams" \
      --payload-size 100 --settle 2s --wait 10s --rate "$((streams * per_stream))" --publish-batch 10 \
      --duration "$((HAT + HSPREAD + pause + HTAIL))s" --warmup 1 "${EXT[@]}" --reconnect "$h" \
      --reconnect-at "${HAT}s" --reconnect-pause "${pause}s" --reconnect-spread "${HSPREAD}s"
    echo "{\"idle_clients\": $idle, \"idle_connected\": $idle_connected}" >"$OUT/$name.idle.json"
    stop_pid "$IDLE_PID"
    IDLE_PID=
    RUNS+=("$name")
    HNAMES+=("$name")
  done
fi

# ---- (3) every session restored at once
METRICS=(connect_calls_total sessions_restored_total history_requests_total history_rejected_total broker_store_failed_total)
if part 3; then
  broker_args memory
  server restore "${BROKER[@]}" --metrics_http /metrics
  sbench restore broadcast --broadcast-url "$BURL" --clients "$RESTORE" --payload-size 100 --settle 2s \
    --wait 10s --rate "$RRATE" --duration "${RDURATION}s" --warmup 1 "${EXT[@]}" \
    --reconnect "$RESTORE" --reconnect-at "${RAT}s" --reconnect-pause "${RPAUSE}s"
  RUNS+=(restore)
  curl -sS --max-time 10 "http://127.0.0.1:$PORT/metrics" >"$OUT/restore.metrics" || true
fi
stop_pid "$SERVER_PID"

# ---- report
j() { jqf "$OUT/$1.json" "$2"; }
ms() { jms "$OUT/$1.json" "$2"; }
metric() { # metric NAME: the value of anycable_go_NAME in the restore run's /metrics
  awk -v n="anycable_go_$1" '$1 == n { print $2 + 0; found = 1 } END { if (!found) print "-" }' \
    "$OUT/restore.metrics" 2>/dev/null || echo -
}
delivered() {
  local m; m=$(j "$1" .messages.missing)
  echo "$(j "$1" .messages.unique) / $(j "$1" .messages.expected)$([ "$m" != 0 ] && [ "$m" != - ] && echo " ($m missing)")"
}
latency() { echo "$(ms "$1" .latency_us.p50) / $(ms "$1" .latency_us.p99) / $(ms "$1" .latency_us.max)"; }
pct3() { echo "$(ms "$1" "$2.p50") / $(ms "$1" "$2.p99") / $(ms "$1" "$2.max")"; }
server_cpu() { echo "$(j "$1" .server.message_cpu_s) s, $(j "$1" .server.cpu_us_per_message) µs/del, max $(j "$1" .server.max_cpu_pct) %"; }
gen_cpu() { echo "$(j "$1" .generator.message_cpu_s) s, $(j "$1" .generator.cpu_us_per_message) µs/del"; }
positions() { # positions RUN: "checked: N positioned, G gaps, D dup, E epoch changes" or "-"
  if [ "$(j "$1" .positions.checked)" = true ]; then
    echo "$(j "$1" .positions.positioned) positioned, $(j "$1" .positions.gaps) gaps, $(j "$1" .positions.duplicates) dup, $(j "$1" .positions.epoch_changes) epoch changes"
  else
    echo "not checked"
  fi
}
shape() {
  if [ "$(j "$1" .config.burst)" != 0 ] && [ "$(j "$1" .config.burst)" != - ]; then
    echo "burst of $(j "$1" .config.burst)"
  else
    echo "steady $(j "$1" .config.rate)/s for $(j "$1" .config.duration_s) s"
  fi
}
mean2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f\n", (a + b) / 2 }'; }
waited() { cat "$OUT/$1.sched" 2>/dev/null || echo -; }  # waited RUN: server run-queue wait, s
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }
verdict() { # verdict OK-EXPR: "met" or "missed" (awk condition on nothing but numbers)
  awk "BEGIN { exit !($1) }" 2>/dev/null && echo met || echo "**missed**"
}
if [ "$PINNED" = 1 ]; then
  PLACEMENT="\`cable serve --workers 1\` pinned to CPU $SERVER_CPU, \`cable bench --threads 1\` pinned to CPU $GEN_CPU"
else
  PLACEMENT="One CPU: nothing pinned, both share it"
fi
first=${RUNS[0]}

{
  echo
  echo "## $(date -u +%Y-%m-%d): reliable streams: broker fan-out, history fetch, mass restore"
  echo
  machine_md "$OUT/$first.json" bench/broker.sh
  echo "$PLACEMENT; a fresh server per run, \`--backend benchmark\` (BenchmarkChannel), HTTP broadcasts, 100-byte payloads."
  echo "1-minute load average at the start of each run: $(loads_md "${RUNS[@]}") (above ~1 the machine was shared and figures are lower bounds)."
  echo "\"Server waited for CPU\" is the time the server's threads were runnable but not running during the run (\`/proc/PID/task/*/schedstat\`): other processes on CPU $SERVER_CPU."
  if part 1; then
    echo
    echo "### Fan-out to $CLIENTS subscribers without and with \`--broker memory\`"
    echo
    if [ "${#PROBES[@]}" -gt 0 ]; then
      echo "Rate $RATE broadcasts/s for every steady run: the highest in probes with the broker ($PROBE_DURATION each) with no loss, ≥ 95 % of the offered deliveries/s and p99 ≤ $PROBE_P99_MS ms:"
      for p in "${PROBES[@]}"; do printf '%s/s → %s del/s, p99 %s ms; ' "$(j "$p" .config.rate)" "$(jint "$OUT/$p.json" .messages.received_per_s)" "$(ms "$p" .latency_us.p99)"; done | sed 's/; $/./'
      echo
    else
      echo "Rate $RATE broadcasts/s (given with --rate)."
    fi
    [ -n "${PROBE_NOTE:-}" ] && echo "$PROBE_NOTE"
    echo "Without and with the broker alternated twice; latency publish → receipt from the scheduled time; server CPU in the message phase."
    echo
    echo "| broker | protocol | run | delivered | deliveries/s | latency p50 / p99 / max ms | server CPU (messages) | server waited for CPU s | generator CPU (messages) | positions |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for r in none-1 memory-1 none-2 memory-2 memory-ext none-burst-1 memory-burst-1 none-burst-2 memory-burst-2; do
      [ -f "$OUT/$r.json" ] || continue
      b=${r%%-*}; proto=$(j "$r" .config.subprotocol)
      row "$b" "$proto" "$(shape "$r")" "$(delivered "$r")" "$(jint "$OUT/$r.json" .messages.received_per_s)" \
        "$(latency "$r")" "$(server_cpu "$r")" "$(waited "$r")" "$(gen_cpu "$r")" "$(positions "$r")"
    done
    none_d=$(mean2 "$(j none-1 .messages.received_per_s)" "$(j none-2 .messages.received_per_s)")
    mem_d=$(mean2 "$(j memory-1 .messages.received_per_s)" "$(j memory-2 .messages.received_per_s)")
    none_c=$(mean2 "$(j none-1 .server.cpu_us_per_message)" "$(j none-2 .server.cpu_us_per_message)")
    mem_c=$(mean2 "$(j memory-1 .server.cpu_us_per_message)" "$(j memory-2 .server.cpu_us_per_message)")
    none_p=$(mean2 "$(j none-1 .latency_us.p99)" "$(j none-2 .latency_us.p99)")
    mem_p=$(mean2 "$(j memory-1 .latency_us.p99)" "$(j memory-2 .latency_us.p99)")
    steady_ratio=$(ratio "$mem_d" "$none_d")
    burst_ratio=$(ratio "$(mean2 "$(j memory-burst-1 .messages.received_per_s)" "$(j memory-burst-2 .messages.received_per_s)")" \
      "$(mean2 "$(j none-burst-1 .messages.received_per_s)" "$(j none-burst-2 .messages.received_per_s)")")
    echo
    echo "Broker / none (means of two runs each): steady deliveries/s **${steady_ratio}×**, server CPU per delivery $(ratio "$mem_c" "$none_c")×,"
    echo "p99 $(ratio "$mem_p" "$none_p")×; burst deliveries/s (the most the server delivers) **${burst_ratio}×**. Target ≥ 0.9×: $(verdict "$steady_ratio >= 0.9 && $burst_ratio >= 0.9")."
  fi
  if part 2; then
    echo
    echo "### History fetch with $CLIENTS clients connected"
    echo
    echo "H clients on actioncable-v1-ext-json drop (RST) from ${HAT} s into publishing on, spread evenly over ${HSPREAD} s, and each comes back"
    echo "after the pause with \`?sid=\`: its session is restored and it sends \`history\` with its last position, for about 100 messages."
    echo "\"history → confirmed\" is the time from sending \`history\` to \`confirm_history\` (the replay included), per client."
    echo "\`cable serve --broker memory --history_limit 200\`. In the light run the other clients are idle (a second \`cable bench connect --hold\` on"
    echo "CPU $GEN_CPU, subscribed to a stream nobody publishes to); in the busy run every client is subscribed and receiving."
    echo "anycable-go's memory broker: 0.93 ms average history fetch (k6, 1,500 clients, 5 streams, anycable \`etc/k6/results/2023-10-broker.md\`)."
    echo
    echo "| run | connected (idle + active) | publishing | H, away | restored / dropped | replayed per client | missed | history → confirmed p50 / p99 / max ms | mean ms | reconnect → ready p50 / p99 / max ms | server CPU (messages) | server waited for CPU s | p99 ≤ 5 ms |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for r in "${HNAMES[@]}"; do
      [ -f "$OUT/$r.json" ] || continue
      p99=$(j "$r" .reconnect.history_us.p99)
      idle=$(jqf "$OUT/$r.idle.json" .idle_connected)
      streams=$(j "$r" .config.streams)
      row "${r#history-}" "$idle + $(j "$r" .connections.ready)" \
        "$(j "$r" .config.rate)/s over $streams streams ($(fdiv "$(j "$r" .config.rate)" "$streams" 0)/s each, $(jint "$OUT/$r.json" .messages.received_per_s) del/s)" \
        "$(j "$r" .config.reconnect), $(j "$r" .config.reconnect_pause_s) s" "$(j "$r" .reconnect.restored) / $(j "$r" .reconnect.dropped)" \
        "$(fdiv "$(j "$r" .reconnect.replayed)" "$(j "$r" .reconnect.history_confirmed)" 1)" "$(j "$r" .reconnect.missed)" \
        "$(pct3 "$r" .reconnect.history_us)" "$(ms "$r" .reconnect.history_us.mean)" "$(pct3 "$r" .reconnect.ready_us)" \
        "$(server_cpu "$r")" "$(waited "$r")" "$(verdict "${p99/-/1e18} <= 5000")"
    done
  fi
  if part 3; then
    r=restore
    echo
    echo "### Restore of $RESTORE sessions at once"
    echo
    echo "$RESTORE clients on actioncable-v1-ext-json, one stream, $RRATE broadcasts/s for ${RDURATION} s; all $RESTORE drop (RST) ${RAT} s in and come back ${RPAUSE} s later"
    echo "with \`?sid=\`, then send \`history\`. Server \`--broker memory --metrics_http /metrics\` (default \`--history_limit 100\`), metrics read after the run."
    echo "Reconnect times run from each client's TCP connect; all $RESTORE connect in the same instant."
    echo
    echo "| dropped | restored | not restored | failed | replayed per client | missed | messages delivered | reconnect → ready p50 / p99 / max ms | → replayed p50 / p99 / max ms | history → confirmed p50 / p99 / max ms | server CPU (messages) | server waited for CPU s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    row "$(j $r .reconnect.dropped)" "$(j $r .reconnect.restored)" "$(j $r .reconnect.not_restored)" "$(j $r .reconnect.failed)" \
      "$(fdiv "$(j $r .reconnect.replayed)" "$(j $r .reconnect.history_confirmed)" 1)" \
      "$(j $r .reconnect.missed)" "$(delivered $r)" "$(pct3 $r .reconnect.ready_us)" "$(pct3 $r .reconnect.recovered_us)" \
      "$(pct3 $r .reconnect.history_us)" "$(server_cpu $r)" "$(waited $r)"
    echo
    # shellcheck disable=SC2016  # the backquotes are markdown
    echo "Server metrics: $(for m in "${METRICS[@]}"; do printf '`%s` %s, ' "anycable_go_$m" "$(metric "$m")"; done | sed 's/, $/./')"
    connects=$(metric connect_calls_total); restored=$(metric sessions_restored_total)
    echo "Connect calls = the $RESTORE initial connects only: $(verdict "\"$connects\" == $RESTORE"); sessions restored = $RESTORE: $(verdict "\"$restored\" == $RESTORE");"
    echo "missed = 0: $(verdict "\"$(j $r .reconnect.missed)\" == 0 && \"$(j $r .messages.missing)\" == 0")."
  fi
  echo
  problems_md "${RUNS[@]}"
  echo
} >"$OUT/section.md"
publish_md "$OUT/section.md"
