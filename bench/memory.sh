#!/usr/bin/env bash
# Memory per subscribed idle connection: 10,000 clients connect, subscribe
# and stay idle on a fresh `cable serve`; the server's RSS and PSS growth
# divided by the clients, for the two configurations that need no
# application: public streams (`--public --norpc`) and JWT identification
# (`--jwt_secret S --enforce_jwt --norpc`, a token per client).
#
# Placement as the other scripts: server --workers 1 on CPU 0, generator
# --threads 1 on CPU 1.
#
# Usage: bench/memory.sh [--clients N] [--record]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

CLIENTS=10000
RECORD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=${2:?}; shift 2 ;;
    --record) RECORD=1; shift ;;
    *) echo "usage: $0 [--clients N] [--record]" >&2; exit 2 ;;
  esac
done
need jq

lib_init memory
free_port PORT
# shellcheck disable=SC2153  # free_port assigns PORT by name
URL=ws://127.0.0.1:$PORT/cable
SERVER_PID=
JWT_SECRET=bench-jwt-secret

run() { # run NAME SERVER_ARGS -- BENCH_ARGS
  local name=$1; shift
  local server_args=() bench_args=()
  while [ "$1" != -- ]; do server_args+=("$1"); shift; done
  shift
  bench_args=("$@")
  stop_pid "$SERVER_PID"
  start_cable "$name" "$PORT" --norpc "${server_args[@]}"
  SERVER_PID=$LAST_PID
  bench "$name" connect --clients "$CLIENTS" --stream-type public --connect-concurrency 500 \
    --hold 5s --settle 2s "${bench_args[@]}"
}
run public --public --
run jwt --public_streams --jwt_secret "$JWT_SECRET" --enforce_jwt -- --jwt-secret "$JWT_SECRET"
stop_pid "$SERVER_PID"

{
  echo "### Memory per subscribed idle connection ($(date -u +%Y-%m-%d), $CLIENTS clients, git $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "Command: \`bench/memory.sh --clients $CLIENTS\` with \`$CABLE\`."
  echo
  echo "| configuration | RSS before → connected | RSS per client | PSS per client | connects/s |"
  echo "|---|---|---|---|---|"
  for name in public jwt; do
    jq -r --arg n "$name" '"| \($n) | \(.server.before.rss_kb) → \(.server.connected.rss_kb) KB | \(.server.rss_per_connection_bytes) B | \(.server.pss_per_connection_bytes) B | \(.connections.rate_per_s) |"' \
      "$OUT/$name.json"
  done
} >"$OUT/section.md"
publish_md "$OUT/section.md"
