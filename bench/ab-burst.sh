#!/usr/bin/env bash
# Same burst fan-out against two `cable serve` binaries, alternating, to see
# whether a change to the delivery path costs anything: 2,000 clients on
# BenchmarkChannel, 5 bursts of 200 broadcasts (2,000,000 deliveries), one
# server worker pinned to CPU 0, the generator (this tree's) on CPU 1.
# Usage: bench/ab-burst.sh OLD_CABLE NEW_CABLE [ROUNDS]
set -euo pipefail
OLD=${1:?old cable binary}; NEW=${2:?new cable binary}; ROUNDS=${3:-3}
BENCH="$(cd "$(dirname "$0")/.." && pwd)/build/bin/cable"
out=$(mktemp); trap 'rm -f "$out"' EXIT
for round in $(seq "$ROUNDS"); do
  for bin in "$OLD" "$NEW"; do
    port=$((20000 + RANDOM % 10000))
    taskset -c 0 "$bin" serve --backend benchmark --workers 1 --port "$port" \
      --http_broadcast_port $((port + 1)) --broadcast_adapter http --log_level warn &
    pid=$!
    for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
    taskset -c 1 "$BENCH" bench broadcast "ws://127.0.0.1:$port/cable" \
      --broadcast-url "http://127.0.0.1:$((port + 1))/_broadcast" --clients 2000 --burst 200 \
      --bursts 5 --burst-interval 1s --server-pid "$pid" --json >"$out" 2>/dev/null || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$bin" "$out" <<'PY'
import json, sys
text = open(sys.argv[2]).read()
d = json.loads(text[text.index('{'):])
m, s, l = d['messages'], d['server'], d['latency_us']
print(f"{sys.argv[1]:40} received {m['received']} missing {m['missing']} "
      f"p50 {l['p50']/1000:.1f} ms p99 {l['p99']/1000:.1f} ms "
      f"server {s['message_cpu_s']*1e6/max(1, m['received']):.3f} us/delivery")
PY
  done
done
