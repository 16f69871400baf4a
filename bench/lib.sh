# shellcheck shell=bash
# Shared by the bench/ scripts (source it after `cd` to the repository root):
# the cable binary, CPU placement, free loopback ports, background processes
# killed by one EXIT trap, bounded waits for a port, a `cable bench` wrapper
# that files JSON + HTML reports, /proc CPU sampling, and the helpers that
# turn the JSON reports into markdown lines.
#
# Placement (spec/benchmarking.md §5.1): the server side runs on SERVER_CPU
# (default 0) with one worker, the generator on GEN_CPU (default 1) with one
# loop thread. Every process a script starts goes through `spawn`, so the EXIT
# trap stops exactly those processes, by pid.

# ---------------------------------------------------------------- binary, output

# Globals set here are read by the scripts that source this file.
# shellcheck disable=SC2034

# lib_init NAME: CABLE, OUT=bench/results/<timestamp>-NAME, pinning, fd limit, trap.
lib_init() {
  local name=$1 c
  CABLE=${CABLE:-}
  if [ -z "$CABLE" ]; then
    for c in build-rel/bin/cable build-bench/bin/cable build/bin/cable; do
      if [ -x "$c" ]; then CABLE=$c; break; fi
    done
  fi
  if [ ! -x "${CABLE:-}" ]; then
    echo "no cable binary; build first (BUILD_DIR=build-rel BUILD_TYPE=Release ./scripts/build cable) or set CABLE=" >&2
    exit 2
  fi
  STAMP=$(date -u +%Y%m%dT%H%M%SZ)
  OUT=${OUT:-bench/results/$STAMP-$name}
  mkdir -p "$OUT"
  SERVER_CPU=${SERVER_CPU:-0}
  GEN_CPU=${GEN_CPU:-1}
  # taskset when there is more than one CPU (taskset execs, so $! is the process).
  PIN0=() PIN1=()
  PINNED=0
  if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null; then
    PIN0=(taskset -c "$SERVER_CPU") PIN1=(taskset -c "$GEN_CPU")
    PINNED=1
  fi
  ulimit -n "$(ulimit -Hn)"
  CLK_TCK=$(getconf CLK_TCK)
  SPAWNED=()
  trap lib_cleanup EXIT
  trap 'exit 130' INT TERM
}

need() { # need CMD...: exit 2 naming the first missing command
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "$c is not installed" >&2; exit 2; }
  done
}

# ---------------------------------------------------------------- processes

# spawn LOG CMD...: start CMD in the background (output to LOG), remember its
# pid for the EXIT trap; the pid is left in LAST_PID.
spawn() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  LAST_PID=$!
  SPAWNED+=("$LAST_PID")
}

# stop_pid PID [SECONDS]: SIGTERM, wait up to SECONDS (default 10), then SIGKILL.
stop_pid() {
  local pid=$1 limit=${2:-10} i
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

lib_cleanup() {
  local i
  for ((i = ${#SPAWNED[@]} - 1; i >= 0; i--)); do
    stop_pid "${SPAWNED[i]}" 5
  done
  SPAWNED=()
}

# ---------------------------------------------------------------- ports

_LIB_PORTS=" "
# free_port VAR: a loopback TCP port nobody listens on, below the ephemeral
# range when possible (client sockets cannot take it before the server binds),
# never handed out twice by one script.
free_port() {
  local var=$1 lo hi p i
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
  for ((i = 0; i < 500; i++)); do
    p=$((20000 + RANDOM % 12000))
    if [ "$i" -lt 400 ] && [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ]; then continue; fi
    case "$_LIB_PORTS" in *" $p "*) continue ;; esac
    if [ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then continue; fi
    _LIB_PORTS+="$p "
    printf -v "$var" %s "$p"
    return 0
  done
  echo "no free loopback port found" >&2
  exit 1
}

# wait_port PORT PID WHAT LOG [SECONDS]: until 127.0.0.1:PORT accepts; fail
# early if PID died, after SECONDS (default 10) otherwise.
wait_port() {
  local port=$1 pid=$2 what=$3 log=$4 limit=${5:-10} i
  for ((i = 0; i < limit * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$what exited before listening on $port; see $log:" >&2
      tail -5 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$what did not listen on $port within ${limit}s; see $log" >&2
  exit 1
}

# ---------------------------------------------------------------- servers

# start_cable NAME PORT ARGS...: a fresh `cable serve` on 127.0.0.1:PORT with
# one worker, pinned to SERVER_CPU; log in $OUT/server-NAME.log; pid in LAST_PID.
start_cable() {
  local name=$1 port=$2; shift 2
  spawn "$OUT/server-$name.log" "${PIN0[@]}" "$CABLE" serve --host 127.0.0.1 --port "$port" \
    --workers 1 --log_level warn "$@"
  wait_port "$port" "$LAST_PID" "cable serve ($name)" "$OUT/server-$name.log"
}

# start_redis PORT: redis-server on the generator's CPU, no persistence.
start_redis() {
  local port=$1
  spawn "$OUT/redis.log" "${PIN1[@]}" redis-server --bind 127.0.0.1 --port "$port" \
    --save '' --appendonly no --protected-mode no --daemonize no
  wait_port "$port" "$LAST_PID" redis-server "$OUT/redis.log"
  REDIS_PID=$LAST_PID
}

# start_nats PORT: nats-server on the generator's CPU.
start_nats() {
  local port=$1
  spawn "$OUT/nats.log" "${PIN1[@]}" nats-server -a 127.0.0.1 -p "$port"
  wait_port "$port" "$LAST_PID" nats-server "$OUT/nats.log"
  NATS_PID=$LAST_PID
}

# ---------------------------------------------------------------- CPU sampling

# proc_cpu_s PID...: user+system CPU seconds of the processes (all threads),
# 0 for a process that is gone.
proc_cpu_s() {
  local pid ticks=0 stat fields
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a fields <<<"${stat##*) }"   # fields 3 (state) on; comm may hold spaces
    ticks=$((ticks + fields[11] + fields[12]))   # utime (14) + stime (15)
  done
  awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f\n", t / hz }'
}

# tree_pids PID: PID and all its descendants.
tree_pids() {
  local pid=$1 child
  echo "$pid"
  for child in $(pgrep -P "$pid"); do
    tree_pids "$child"
  done
}

tree_cpu_s() { # tree_cpu_s PID: CPU seconds of PID and its descendants
  # shellcheck disable=SC2046
  proc_cpu_s $(tree_pids "$1")
}

run_delay_s() { # run_delay_s PID: seconds its threads spent runnable but waiting for a CPU
  cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $2 } END { printf "%.3f\n", ns / 1e9 }'
}

fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }
fdiv() { awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { if (b == 0) print "-"; else printf "%.*f\n", d, a / b }'; }

loadavg() { cut -d' ' -f1 /proc/loadavg; }

# ---------------------------------------------------------------- cable bench

# bench NAME ARGS...: one `cable bench` run pinned to GEN_CPU with one loop
# thread against $URL, sampling $SERVER_PID; JSON, HTML and the table into
# $OUT/NAME.*. Processes named in the associative array EXTRA_PIDS
# (label -> pid) are sampled from /proc before and after the run into
# $OUT/NAME.extra.json ({"label": cpu_s, ...}). Never aborts the script;
# the exit code goes to $OUT/exit-codes.txt and BENCH_RC.
declare -A EXTRA_PIDS=()
bench() {
  local name=$1; shift
  local k before=() after=() i=0
  echo "== $name: cable bench $*" >&2
  for k in "${!EXTRA_PIDS[@]}"; do before+=("$(proc_cpu_s "${EXTRA_PIDS[$k]}")"); done
  set +e
  "${PIN1[@]}" "$CABLE" bench "$@" --url "$URL" --threads 1 --server-pid "$SERVER_PID" \
    --json-file "$OUT/$name.json" --report "$OUT/$name.html" --label "$name" --max-time 10m \
    >"$OUT/$name.txt"
  BENCH_RC=$?
  set -e
  for k in "${!EXTRA_PIDS[@]}"; do after+=("$(proc_cpu_s "${EXTRA_PIDS[$k]}")"); done
  if [ "${#EXTRA_PIDS[@]}" -gt 0 ]; then
    {
      echo "{"
      for k in "${!EXTRA_PIDS[@]}"; do
        [ "$i" -gt 0 ] && echo ","
        printf '"%s": %s' "$k" "$(fsub "${after[i]}" "${before[i]}")"
        i=$((i + 1))
      done
      echo "}"
    } >"$OUT/$name.extra.json"
  fi
  cat "$OUT/$name.txt" >&2
  echo "$name exit $BENCH_RC" >>"$OUT/exit-codes.txt"
}

# ---------------------------------------------------------------- npm tools

# npm_tool NAME PACKAGE...: node_modules for PACKAGE... cached in
# bench/.cache/NAME (git-ignored), installed into a temp dir on first use.
# Prints the cache directory; returns 1 (with npm's log tail) when npm fails.
npm_tool() {
  local name=$1; shift
  local dir=bench/.cache/$name tmp
  if [ -f "$dir/.installed" ]; then echo "$dir"; return 0; fi
  command -v npm >/dev/null || { echo "npm is not installed" >&2; return 1; }
  tmp=$(mktemp -d)
  echo "installing $* from npm into $dir (once)" >&2
  echo '{"private": true}' >"$tmp/package.json"
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: artillery depends on playwright, whose
  # install step would fetch browsers from a CDN.
  if ! (cd "$tmp" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 600 \
        npm install --no-audit --no-fund "$@" >install.log 2>&1); then
    echo "npm install $* failed:" >&2
    grep -v '^npm error  *at ' "$tmp/install.log" | tail -8 >&2
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$dir"
  mkdir -p bench/.cache
  mv "$tmp" "$dir"
  touch "$dir/.installed"
  echo "$dir"
}

# ---------------------------------------------------------------- markdown

# jqf FILE EXPR: a value from a JSON report, "-" when absent.
jqf() {
  local v
  v=$(jq -r "$2" "$1" 2>/dev/null) || v=-
  [ -n "$v" ] && [ "$v" != null ] || v=-
  echo "$v"
}
# jms FILE EXPR: microseconds in the report as milliseconds with 2 decimals.
jms() { jqf "$1" "if ($2) == null then null else ($2) / 1000 | . * 100 | round / 100 end"; }
# jint FILE EXPR: a number rounded to an integer.
jint() { jqf "$1" "if ($2) == null then null else ($2) | round end"; }

row() { # row CELL...: one markdown table row
  local out="|" c
  for c in "$@"; do out+=" $c |"; done
  echo "$out"
}

# machine_md FILE SCRIPT: the paragraph naming machine, git revision and placement.
machine_md() {
  local f=$1 script=$2 sha
  sha=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  echo "Machine: $(jqf "$f" .environment.cpu_model), $(jqf "$f" .environment.cpus_online) CPUs,"
  echo "$(jqf "$f" .environment.kernel); $(jqf "$f" .tool.name) $(jqf "$f" .tool.version), worktree git $sha; \`$script\`."
}

# loads_md NAME...: "name 0.5, name 1.2" from $OUT/NAME.json.
loads_md() {
  local n out=""
  for n in "$@"; do
    [ -f "$OUT/$n.json" ] || continue
    out+="${out:+, }$n $(jqf "$OUT/$n.json" .environment.loadavg_1m_start)"
  done
  echo "$out"
}

# problems_md NAME...: the runs' exit codes, problems and warnings as a list.
problems_md() {
  local n
  echo "Exit codes: $(tr '\n' ';' <"$OUT/exit-codes.txt" 2>/dev/null | sed 's/;$//')."
  for n in "$@"; do
    [ -f "$OUT/$n.json" ] || continue
    jq -r --arg r "$n" '(.problems[] | "- \($r): \(.)"), (.warnings[] | "- \($r) (warning): \(.)")' "$OUT/$n.json"
  done
}

# publish_md FILE: print the markdown section in FILE on stdout and, with
# RECORD=1, append it to docs/benchmarks.md.
publish_md() {
  cat "$1"
  if [ "${RECORD:-0}" = 1 ]; then
    cat "$1" >>docs/benchmarks.md
    echo "appended to docs/benchmarks.md (raw reports in $OUT)" >&2
  else
    echo "raw reports in $OUT; --record appends this section to docs/benchmarks.md" >&2
  fi
}
