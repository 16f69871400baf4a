#!/usr/bin/env bash
# Prints a dated markdown section for docs/benchmarks.md from the JSON
# reports a bench/run-suite.sh run left in DIR.
# Usage: bench/record.sh DIR
set -euo pipefail
DIR=$1
q() { jq -r "$2" "$DIR/$1.json" 2>/dev/null || echo "-"; }
ms() { jq -r "($2) / 1000 | . * 100 | round / 100" "$DIR/$1.json" 2>/dev/null || echo "-"; }
sha=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
any=$(ls "$DIR"/*.json | head -1)
cat <<MD

## $(date -u +%Y-%m-%d): \`cable bench\` suite ($(q burst .config.clients) clients, one stream, 100-byte payloads)

Machine: $(jq -r '.environment.cpu_model' "$any"), $(jq -r '.environment.cpus_online' "$any") CPUs,
$(jq -r '.environment.kernel' "$any"); git $sha. Server \`cable serve --backend benchmark --workers 1\`
pinned to CPU 0, generator \`cable bench --threads 1\` pinned to CPU 1 (\`bench/run-suite.sh\`).
1-minute load average at the start of each run: connect $(q connect .environment.loadavg_1m_start),
burst $(q burst .environment.loadavg_1m_start), steady $(q steady .environment.loadavg_1m_start),
echo $(q echo .environment.loadavg_1m_start) (above ~1 the machine was shared and figures are lower bounds).

| run | result | figure |
|---|---|---|
| connect | $(q connect '.connections.ready') / $(q connect '.connections.target') ready, $(q connect '.connections.failed') failed | $(q connect '.connections.rate_per_s') conn+subscribe/s; time to confirm p50 $(ms connect '.connections.ready_us.p50') ms, p99 $(ms connect '.connections.ready_us.p99') ms |
| connect: server memory | RSS $(q connect '.server.before.rss_kb') KB → $(q connect '.server.connected.rss_kb') KB | $(q connect '.server.rss_per_connection_bytes') B RSS / $(q connect '.server.pss_per_connection_bytes') B PSS per subscribed connection; kernel TCP memory $(q connect '.server.kernel_tcp_mem_kb.before') → $(q connect '.server.kernel_tcp_mem_kb.connected') KB (both ends) |
| burst of 100 | $(q burst '.messages.unique') / $(q burst '.messages.expected') delivered, $(q burst '.messages.missing') missing, $(q burst '.messages.duplicates') dup | latency p50 $(ms burst '.latency_us.p50') / p90 $(ms burst '.latency_us.p90') / p99 $(ms burst '.latency_us.p99') / p99.9 $(ms burst '.latency_us.p999') / max $(ms burst '.latency_us.max') ms; $(q burst '.messages.received_per_s') deliveries/s |
| steady $(q steady '.config.rate')/s for $(q steady '.config.duration_s') s | $(q steady '.messages.unique') / $(q steady '.messages.expected') delivered, $(q steady '.messages.missing') missing, $(q steady '.messages.duplicates') dup | latency p50 $(ms steady '.latency_us.p50') / p90 $(ms steady '.latency_us.p90') / p99 $(ms steady '.latency_us.p99') / p99.9 $(ms steady '.latency_us.p999') / max $(ms steady '.latency_us.max') ms; $(q steady '.messages.received_per_s') deliveries/s |
| echo ($(q echo '.config.clients') clients, $(q echo '.config.rate')/s) | $(q echo '.messages.unique') / $(q echo '.messages.expected') replies | RTT p50 $(ms echo '.latency_us.p50') / p99 $(ms echo '.latency_us.p99') / max $(ms echo '.latency_us.max') ms |

CPU and memory of both processes (message phase = publishing + drain):

| run | server CPU s (connect / messages) | server µs per delivery | server max CPU % | server max RSS KB | generator CPU s (total / messages) | generator µs per delivery | generator busiest thread % | generator RSS KB |
|---|---|---|---|---|---|---|---|---|
MD
for run in connect burst steady echo; do
  [ -f "$DIR/$run.json" ] || continue
  echo "| $run | $(q $run '.server.connect_cpu_s') / $(q $run '.server.message_cpu_s') | $(q $run '.server.cpu_us_per_message') | $(q $run '.server.max_cpu_pct') | $(q $run '.server.max_rss_kb') | $(q $run '.generator.cpu_s') / $(q $run '.generator.message_cpu_s') | $(q $run '.generator.cpu_us_per_message') | $(q $run '.generator.max_thread_cpu_pct') | $(q $run '.generator.max_rss_kb') |"
done
echo
echo "Exit codes: $(tr '\n' ';' < "$DIR/exit-codes.txt" 2>/dev/null | sed 's/;$//'). Problems and warnings:"
echo
for run in connect burst steady echo; do
  [ -f "$DIR/$run.json" ] || continue
  jq -r --arg r "$run" '(.problems[] | "- \($r): \(.)"), (.warnings[] | "- \($r) (warning): \(.)")' "$DIR/$run.json"
done
echo
