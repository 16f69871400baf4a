#!/usr/bin/env bash
# What a scripted scenario costs the generator (docs/bench.md#scripted-scenarios):
# CPU time of the `cable bench run` process divided by the messages it
# received, in the broadcast-heavy chat example (scenarios/bench/chat.yml:
# every chatter hears every other chatter, so the receipts grow with the
# square of the room). The target is at most 2 µs per received message.
#
# (1) chat: scenarios/bench/chat.yml at --scale S (default 100: 500 chatters,
#     10 messages each, ~2.5 million receipts plus ~250,000 whispers) against
#     `cable serve --backend demo`.
# (2) baseline: the fixed broadcast scenario (`cable bench broadcast`) with
#     the same audience and about as many deliveries, for the cost of the
#     receive path without a script.
#
# The CPU figure is the generator's own getrusage at the end of the run
# (generator.cpu_s in the report: connects, steps and receipts, user +
# system) over the stamped messages it received (messages.received, the
# speakers' own echoes included: they are read and recognised too).
#
# Placement on two cores: `cable serve --workers 1` pinned to CPU 0, the
# generator (`--threads 1`) pinned to CPU 1; a fresh server per run.
#
# Usage: bench/script-cpu.sh [--scale S] [--record]
#   CABLE=path/to/cable
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SCALE=100
# shellcheck disable=SC2034  # read by publish_md (lib.sh)
RECORD=0
usage() { echo "usage: $0 [--scale S] [--record]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=${2:?}; shift 2 ;;
    --record) RECORD=1; shift ;;
    *) usage ;;
  esac
done
need jq

lib_init script-cpu
free_port PORT
free_port BPORT
# shellcheck disable=SC2153,SC2034  # free_port assigns by name; `bench` reads URL
URL=ws://127.0.0.1:$PORT/cable
SERVER_PID=
CHATTERS=$((SCALE * 5))

server() { # server NAME: a fresh `cable serve` with the demo and benchmark backends
  stop_pid "$SERVER_PID"
  start_cable "$1" "$PORT" --backend demo,benchmark --http_broadcast_port "$BPORT"
  SERVER_PID=$LAST_PID
}

server chat
bench chat run scenarios/bench/chat.yml --scale "$SCALE"
server baseline
# As many deliveries as the chat's speak step (CHATTERS x 10 to CHATTERS), at its
# pace: the room says CHATTERS x 10 things in about a second.
URL="ws://127.0.0.1:$PORT/cable?user=bench"
bench baseline broadcast --clients "$CHATTERS" --count $((CHATTERS * 10)) --rate $((CHATTERS * 10)) \
  --publish-batch 100 --broadcast-url "http://127.0.0.1:$BPORT/_broadcast" --settle 0.5s --wait 30s
stop_pid "$SERVER_PID"

# ---- report
j() { jqf "$OUT/$1.json" "$2"; }
per_msg() { # per_msg RUN: generator CPU s / messages received, in µs
  fdiv "$(j "$1" .generator.cpu_s)" "$(jqf "$OUT/$1.json" '.messages.received / 1e6')" 3
}
if [ "$PINNED" = 1 ]; then
  PLACEMENT="\`cable serve --workers 1\` pinned to CPU $SERVER_CPU, the generator (\`--threads 1\`) pinned to CPU $GEN_CPU"
else
  PLACEMENT="One CPU: nothing pinned, everything shares it"
fi
{
  echo
  echo "## Scripted scenarios: generator CPU per received message ($(date -u +%Y-%m-%d))"
  echo
  machine_md "$OUT/chat.json" bench/script-cpu.sh
  echo "$PLACEMENT; a fresh \`cable serve --backend demo,benchmark\` per run."
  echo "1-minute load average at the start of each run: $(loads_md chat baseline)."
  echo "Reproduce: \`bench/script-cpu.sh --scale $SCALE\`."
  echo
  echo "\`chat\` is \`cable bench run scenarios/bench/chat.yml --scale $SCALE\` ($CHATTERS chatters in one room, 10 messages each,"
  echo "then a whisper each); \`baseline\` is \`cable bench broadcast\` to $CHATTERS subscribers with about as many deliveries."
  echo "Generator CPU is the process's user + system time for the whole run (connects included) from the report;"
  echo "per message it is divided by every stamped (or numbered) message received."
  echo
  echo "| run | clients | messages received | generator CPU s | µs per received message | message phase µs/msg | latency p50 / p99 ms | missing |"
  echo "|---|---|---|---|---|---|---|---|"
  for r in chat baseline; do
    [ -f "$OUT/$r.json" ] || continue
    row "$r" "$(j "$r" .connections.ready)" "$(j "$r" .messages.received)" "$(j "$r" .generator.cpu_s)" \
      "$(per_msg "$r")" "$(j "$r" .generator.cpu_us_per_message)" \
      "$(jms "$OUT/$r.json" .latency_us.p50) / $(jms "$OUT/$r.json" .latency_us.p99)" "$(j "$r" .messages.missing)"
  done
  echo
  problems_md chat baseline
} >"$OUT/section.md"
publish_md "$OUT/section.md"
