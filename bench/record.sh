#!/usr/bin/env bash
# Prints a dated markdown section for docs/benchmarks.md from the JSON
# reports a bench/run-suite.sh run left in DIR.
# Usage: bench/record.sh DIR
set -euo pipefail
OUT=$(cd "${1:?usage: bench/record.sh DIR}" && pwd)
cd "$(dirname "$0")/.."
. bench/lib.sh
q() { jqf "$OUT/$1.json" "$2"; }
ms() { jms "$OUT/$1.json" "$2"; }
lat() { # lat RUN: "p50 a / p90 b / p99 c / p99.9 d / max e ms"
  echo "latency p50 $(ms "$1" .latency_us.p50) / p90 $(ms "$1" .latency_us.p90) / p99 $(ms "$1" .latency_us.p99) / p99.9 $(ms "$1" .latency_us.p999) / max $(ms "$1" .latency_us.max) ms"
}
delivered() { # delivered RUN
  echo "$(q "$1" .messages.unique) / $(q "$1" .messages.expected) delivered, $(q "$1" .messages.missing) missing, $(q "$1" .messages.duplicates) dup"
}
any=
for run in echo steady burst connect; do [ -f "$OUT/$run.json" ] && any=$OUT/$run.json; done

cat <<MD

## $(date -u +%Y-%m-%d): \`cable bench\` suite ($(q burst .config.clients) clients, one stream, 100-byte payloads)

$(machine_md "$any" bench/run-suite.sh)
Server \`cable serve --backend benchmark --workers 1\` pinned to CPU 0, generator
\`cable bench --threads 1\` pinned to CPU 1. 1-minute load average at the start of each run:
$(loads_md connect burst steady echo) (above ~1 the machine was shared and figures are lower bounds).

| run | result | figure |
|---|---|---|
$(row connect "$(q connect .connections.ready) / $(q connect .connections.target) ready, $(q connect .connections.failed) failed" \
  "$(q connect .connections.rate_per_s) conn+subscribe/s; time to confirm p50 $(ms connect .connections.ready_us.p50) ms, p99 $(ms connect .connections.ready_us.p99) ms")
$(row "connect: server memory" "RSS $(q connect .server.before.rss_kb) KB → $(q connect .server.connected.rss_kb) KB" \
  "$(q connect .server.rss_per_connection_bytes) B RSS / $(q connect .server.pss_per_connection_bytes) B PSS per subscribed connection; kernel TCP memory $(q connect .server.kernel_tcp_mem_kb.before) → $(q connect .server.kernel_tcp_mem_kb.connected) KB (both ends)")
$(row "burst of 100" "$(delivered burst)" "$(lat burst); $(q burst .messages.received_per_s) deliveries/s")
$(row "steady $(q steady .config.rate)/s for $(q steady .config.duration_s) s" "$(delivered steady)" "$(lat steady); $(q steady .messages.received_per_s) deliveries/s")
$(row "echo ($(q echo .config.clients) clients, $(q echo .config.rate)/s)" "$(q echo .messages.unique) / $(q echo .messages.expected) replies" \
  "RTT p50 $(ms echo .latency_us.p50) / p99 $(ms echo .latency_us.p99) / max $(ms echo .latency_us.max) ms")

CPU and memory of both processes (message phase = publishing + drain):

| run | server CPU s (connect / messages) | server µs per delivery | server max CPU % | server max RSS KB | generator CPU s (total / messages) | generator µs per delivery | generator busiest thread % | generator RSS KB |
|---|---|---|---|---|---|---|---|---|
MD
for run in connect burst steady echo; do
  [ -f "$OUT/$run.json" ] || continue
  row "$run" "$(q $run .server.connect_cpu_s) / $(q $run .server.message_cpu_s)" "$(q $run .server.cpu_us_per_message)" \
    "$(q $run .server.max_cpu_pct)" "$(q $run .server.max_rss_kb)" "$(q $run .generator.cpu_s) / $(q $run .generator.message_cpu_s)" \
    "$(q $run .generator.cpu_us_per_message)" "$(q $run .generator.max_thread_cpu_pct)" "$(q $run .generator.max_rss_kb)"
done
echo
problems_md connect burst steady echo
echo
