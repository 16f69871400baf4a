#!/usr/bin/env bash
# 20,000 clients on one node: the most a process may open here is 20,000
# descriptors, so two `cable bench` generators (shards 1/2 and 2/2 of one
# run) hold 19,200 subscribed clients on one `cable serve` for 60 s while
# broadcasts arrive at 10/s on each client's stream; the merged report gives
# loss, latency percentiles and the server's RSS and CPU per delivery.
# Then a third generator tries to connect 1,000 more clients: the server,
# now at its descriptor limit, must refuse them and keep serving the others.
#
# Placement: `cable serve --workers 1` on CPU 0, both generators on CPU 1.
#
# Usage: bench/twenty-k.sh [--clients N] [--duration D] [--record]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=19200
DURATION=60s
RECORD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --record) RECORD=1; shift ;;
    *) echo "usage: $0 [--clients N] [--duration D] [--record]" >&2; exit 2 ;;
  esac
done
need jq

lib_init twenty-k
free_port PORT
free_port BPORT
URL=ws://127.0.0.1:$PORT/cable
BURL=http://127.0.0.1:$BPORT/_broadcast
start_cable twentyk "$PORT" --http_broadcast_port "$BPORT" --broadcast_adapter http --public --norpc
SERVER_PID=$LAST_PID
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
RSS_BEFORE=$(rss_kb "$SERVER_PID")

# Both shards get the whole run's flags; each connects half the clients and
# publishes to its own stream at 10/s (20/s over the two streams).
SHARD_ARGS=(broadcast --url "$URL" --clients "$CLIENTS" --streams 2 --stream-type public
  --rate 20 --duration "$DURATION" --warmup 2 --payload-size 100 --broadcast-url "$BURL"
  --threads 1 --connect-concurrency 400 --start-at +25s --settle 2s --wait 30s
  --server-pid "$SERVER_PID" --max-time 10m)
for i in 1 2; do
  spawn "$OUT/shard-$i.txt" "${PIN1[@]}" "$CABLE" bench "${SHARD_ARGS[@]}" --shard "$i/2" \
    --json-file "$OUT/shard-$i.json" --label "shard $i/2"
  SHARD_PIDS[i]=$LAST_PID
done

# While the shards hold their clients: 1,000 more must be refused cleanly.
# Wait until both shards are connected (the server then holds them all).
deadline=$((SECONDS + 120))
while [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -lt "$CLIENTS" ]; do
  [ $SECONDS -lt $deadline ] || { echo "the shards did not connect within 120 s" >&2; exit 1; }
  sleep 1
done
RSS_CONNECTED=$(rss_kb "$SERVER_PID")
set +e
"${PIN1[@]}" "$CABLE" bench connect --url "$URL" --clients 1000 --stream-type public --threads 1 \
  --connect-timeout 3s --hold 0s --json-file "$OUT/extra.json" >"$OUT/extra.txt" 2>&1
set -e
EXTRA_READY=$(jq '.connections.ready // 0' "$OUT/extra.json" 2>/dev/null || echo "?")
for i in 1 2; do wait "${SHARD_PIDS[i]}" || true; done
ALIVE=no
kill -0 "$SERVER_PID" 2>/dev/null && ALIVE=yes

"$CABLE" bench merge "$OUT/shard-1.json" "$OUT/shard-2.json" --json-file "$OUT/merged.json" \
  >"$OUT/merged.txt" || true
cat "$OUT/merged.txt" >&2

{
  echo "### 20,000 clients on one node ($(date -u +%Y-%m-%d), $(nproc) CPUs)"
  echo
  echo "Command: \`bench/twenty-k.sh --clients $CLIENTS --duration $DURATION\`"
  echo
  echo '```'
  cat "$OUT/merged.txt"
  echo '```'
  echo
  echo "- Server RSS: $RSS_BEFORE KB at start, $RSS_CONNECTED KB with $CLIENTS subscribed clients" \
    "($(( (RSS_CONNECTED - RSS_BEFORE) * 1024 / CLIENTS )) B per client)."
  echo "- At the descriptor limit: $EXTRA_READY of 1,000 extra clients connected; server still running: $ALIVE."
} >"$OUT/section.md"
publish_md "$OUT/section.md"
