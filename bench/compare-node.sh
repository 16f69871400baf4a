#!/usr/bin/env bash
# Generator efficiency: CPU per delivered message of `cable bench` versus a
# minimal Node.js `ws` client (node-ws-client.js) driving the same server
# with the same burst. Both generators run pinned to CPU 1, the server to
# CPU 0; each run gets a fresh server. tsung and artillery were the first
# choice of reference tool; see docs/benchmarks.md for why this one is used.
# Usage: bench/compare-node.sh [CLIENTS] [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-2000}
MESSAGES=${2:-100}
CABLE=${CABLE:-build-bench/bin/cable}
PORT=${PORT:-28180}
BPORT=${BPORT:-28190}
WORK=$(mktemp -d)
trap 'kill $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
(cd "$WORK" && npm i ws@8 --silent >/dev/null 2>&1) || { echo "npm i ws failed" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

serve() {
  taskset -c 0 "$CABLE" serve --host 127.0.0.1 --port "$PORT" --http_broadcast_port "$BPORT" \
    --backend benchmark --broadcast_adapter http --workers 1 --log_level warn >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.1; done
  exit 1
}

serve
echo "node ws:" >&2
NODE_PATH=$WORK/node_modules taskset -c 1 node bench/node-ws-client.js "ws://127.0.0.1:$PORT/cable" \
  "http://127.0.0.1:$BPORT/_broadcast" "$CLIENTS" "$MESSAGES" | tee "$WORK/node.json"
kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true

serve
echo "cable bench:" >&2
taskset -c 1 "$CABLE" bench broadcast "ws://127.0.0.1:$PORT/cable" --clients "$CLIENTS" \
  --burst "$MESSAGES" --payload-size 100 --threads 1 --broadcast-url "http://127.0.0.1:$BPORT/_broadcast" \
  --wait 60s -q --json | jq -c '{clients: .config.clients, messages: .messages.published, received: .messages.unique,
    message_cpu_s: .generator.message_cpu_s, cpu_us_per_message: .generator.cpu_us_per_message,
    p50_us: .latency_us.p50, p99_us: .latency_us.p99, max_us: .latency_us.max, loadavg: .environment.loadavg_1m_start}'
