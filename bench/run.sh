#!/usr/bin/env bash
# Benchmarks aia-node over WebSocket against a bare Beast echo server: latency at a fixed rate,
# maximum throughput, CPU per 1000 events and RSS per connected user. See bench/README.md.
#
# Usage: bench/run.sh            (or `make bench`)
# Environment (all optional):
#   BUILD_DIR       build tree, default build-bench (configured Release if it does not exist)
#   BENCH_NO_BUILD  1 = use the binaries in BUILD_DIR as they are
#   LAT_RATE LAT_CONNS LAT_SECONDS           latency run (default 5000 events/s, 1000, 20 s)
#   LAT_SWEEP       lower rates measured first, 8 s each (default "1000 2000 3000"; "" = none)
#   MAX_CONNS MAX_WINDOW MAX_SECONDS BATCH   closed-loop runs (default 100, 8, 10 s, batch 1)
#   MAX_ROUNDS      closed-loop rounds, node and echo alternating (default 3; medians reported)
#   HOLD_SMALL HOLD_LARGE                    RSS readings (default 1000 and 10000 connections)
#   NODE_ARGS       extra aia-node options (replace the defaults below)
#   QUIET_WAIT      seconds to wait at most for other processes to leave the CPU (default 60)
set -euo pipefail

bench_name=bench
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # root, bin, node_args, tmp, children, helpers

lat_rate=${LAT_RATE:-5000}
lat_conns=${LAT_CONNS:-1000}
lat_seconds=${LAT_SECONDS:-20}
read -r -a lat_sweep <<<"${LAT_SWEEP-1000 2000 3000}"
max_conns=${MAX_CONNS:-100}
max_window=${MAX_WINDOW:-8}
max_seconds=${MAX_SECONDS:-10}
max_rounds=${MAX_ROUNDS:-3}
batch=${BATCH:-1}
hold_small=${HOLD_SMALL:-1000}
hold_large=${HOLD_LARGE:-10000}

# -- helpers -----------------------------------------------------------------------------------

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# CPU ticks of process $1 by thread name: one "name ticks" line per name.
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(cat "$t/comm")" "$(sed 's/^.*) //' "$t/stat" | awk '{ print $12 + $13 }')"
  done | awk '{ a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
}
# "name secs, ..." between two thread_ticks snapshots ($1 before, $2 after).
thread_delta() {
  awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { a[$1] = $2; next }
    { printf "%s%s %.2f s", sep, $1, ($2 - a[$1]) / hz; sep = ", " }' "$1" "$2"
}
# Waits (at most 20 s) until process $1 uses less than a quarter of a core, so that the work
# left over from one phase (closing 10k sockets, say) does not land in the next one.
wait_idle() {
  local i c0
  for ((i = 0; i < 20; i++)); do
    c0=$(cpu_seconds "$1")
    sleep 1
    awk "BEGIN { exit !($(cpu_seconds "$1") - $c0 < 0.25) }" && return 0
  done
  log "warning: process $1 still busy after 20 s"
}

# Adds the load generator CPU reported in JSON file $1 to loadgen_cpu.
loadgen_cpu=0
count_loadgen_cpu() { loadgen_cpu=$(calc "$loadgen_cpu + $(json_num loadgen_cpu_s "$1")" 2); }

# Runs ws_loadgen with the given arguments; its JSON line goes to file $1.
loadgen() {
  local out=$1
  shift
  local shown="$*"
  [[ -z ${node_token:-} ]] || shown=${shown//$node_token/<token>}  # never a token in the log
  log "ws_loadgen $shown"
  timeout 300 "$bin/ws_loadgen" --json "$@" >"$tmp/lg.txt" || log "ws_loadgen exited with $?"
  grep -v '^{' "$tmp/lg.txt" >&2 || true
  grep '^{' "$tmp/lg.txt" >"$out" || die "ws_loadgen printed no figures"
  count_loadgen_cpu "$out"
}

# Holds $1 connections (users 0..$1-1) on port $2 while reading the RSS of process $3;
# sets held_rss (KiB) and held_users.
hold_rss() {
  local n=$1 port=$2 pid=$3 lg
  "$bin/ws_loadgen" --port "$port" --token "$node_token" --hold "$n" --hold-seconds 4 --json \
    >"$tmp/hold-$n.txt" 2>"$tmp/hold-$n.err" &
  lg=$!
  children+=("$lg")
  wait_for_line "$tmp/hold-$n.txt" '^holding' 120 "$lg" || die "ws_loadgen --hold $n never held"
  sleep 1.5
  held_rss=$(rss_kib "$pid")
  held_users=$(awk '/^holding/ { print $2 }' "$tmp/hold-$n.txt")
  wait "$lg" || log "ws_loadgen --hold exited with $?"
  grep -v '^{' "$tmp/hold-$n.txt" >&2 || true
  grep '^{' "$tmp/hold-$n.txt" >"$tmp/hold-$n.json" || die "ws_loadgen --hold printed no figures"
  count_loadgen_cpu "$tmp/hold-$n.json"
}

# Starts a server (args = command) whose stdout goes to file $1; sets server_pid, server_port.
start_server() {
  local out=$1
  shift
  "$@" >"$out" 2>"$out.err" &
  server_pid=$!
  children+=("$server_pid")
  wait_for_line "$out" 'listening on' 30 "$server_pid" \
    || { cat "$out.err" >&2; die "$1 did not start"; }
  server_port=$(grep -o 'listening on [^ ]*' "$out" | grep -o '[0-9]*$')
}

# Sends SIGTERM to $1 and waits up to 15 s; sets stop_status to its exit status (or "killed").
stop_server() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_status=0
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    stop_status=killed
  fi
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  [[ $stop_status = killed ]] || stop_status=$rc
}

# -- build -------------------------------------------------------------------------------------

build_binaries aia-node ws_loadgen ws_echo_server
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > hold_large + 100 )) || log "warning: open-file limit $(ulimit -n) < $hold_large"

# -- a quiet machine ---------------------------------------------------------------------------

wait_for_calm

# -- the node ----------------------------------------------------------------------------------

started=$(date +%s)
machine_start
start_server "$tmp/node.out" "$bin/aia-node" --port 0 --data-dir "$tmp/data" "${node_args[@]}"
node_pid=$server_pid
node_port=$server_port
# The node needs a token: --dev prints one for role admin, which may use every user's socket.
node_token=$(awk '/token for admin/ { getline; print; exit }' "$tmp/node.out")
[[ -n $node_token ]] || die "aia-node printed no admin token (is --dev among NODE_ARGS?)"
log "aia-node pid $node_pid on port $node_port (${node_args[*]})"

# Warm-up on users of their own, so that threads, arenas and the store exist before RSS is read.
loadgen "$tmp/warm.json" --port "$node_port" --token "$node_token" --rate 1000 --duration 2 \
  --connections 50 \
  --user-offset 900000
sleep 1
rss0=$(rss_kib "$node_pid")
hold_rss "$hold_small" "$node_port" "$node_pid"
rss1=$held_rss
held1=$held_users
hold_rss "$hold_large" "$node_port" "$node_pid"
rss2=$held_rss
held2=$held_users
per_user1=$(calc "($rss1 - $rss0) / $held1")
per_user2=$(calc "($rss2 - $rss0) / $held2")
log "RSS KiB: idle $rss0, $held1 held $rss1 ($per_user1/user), $held2 held $rss2 ($per_user2/user)"

# Lower rates first: where the latency target is met, if not at LAT_RATE.
for rate in "${lat_sweep[@]}"; do
  wait_idle "$node_pid"
  loadgen "$tmp/node-sweep-$rate.json" --port "$node_port" --token "$node_token" --rate "$rate" \
    --duration 8 \
    --warmup 1 --connections "$lat_conns" --batch "$batch"
done

wait_idle "$node_pid"
cpu_a=$(cpu_seconds "$node_pid")
thread_ticks "$node_pid" >"$tmp/threads-a"
loadgen "$tmp/node-lat.json" --port "$node_port" --token "$node_token" --rate "$lat_rate" \
  --duration "$lat_seconds" \
  --warmup 2 --connections "$lat_conns" --batch "$batch"
cpu_b=$(cpu_seconds "$node_pid")
events_lat=$(( $(json_num batches_sent "$tmp/node-lat.json") * batch ))
cpu_lat=$(calc "($cpu_b - $cpu_a) * 1000 / $events_lat" 3)
thread_ticks "$node_pid" >"$tmp/threads-b"
threads_lat=$(thread_delta "$tmp/threads-a" "$tmp/threads-b")
# With no load at all: what the node still spends (e.g. on timers of requests long answered).
sleep 5
cpu_b2=$(cpu_seconds "$node_pid")
thread_ticks "$node_pid" >"$tmp/threads-c"
threads_tail=$(thread_delta "$tmp/threads-b" "$tmp/threads-c")
cpu_tail=$(calc "$cpu_b2 - $cpu_b" 2)
# -- throughput: node and echo baseline in alternating rounds -------------------------------------

# The VM's speed drifts by tens of percent over minutes (other tenants of the host), so the two
# servers are measured in alternating rounds and each is represented by its median round.
start_server "$tmp/echo.out" "$bin/ws_echo_server" --port 0 --threads 1
echo_pid=$server_pid
echo_port=$server_port
log "ws_echo_server pid $echo_pid on port $echo_port"
cpu_max_node=0
events_max=0
for ((round = 1; round <= max_rounds; round++)); do
  wait_idle "$node_pid"
  cpu_d=$(cpu_seconds "$node_pid")
  loadgen "$tmp/node-max-$round.json" --port "$node_port" --token "$node_token" --max \
    --duration "$max_seconds" \
    --warmup 2 --connections "$max_conns" --window "$max_window" --batch "$batch"
  cpu_c=$(cpu_seconds "$node_pid")
  cpu_max_node=$(calc "$cpu_max_node + $cpu_c - $cpu_d" 3)
  events_max=$(( events_max + $(json_num batches_sent "$tmp/node-max-$round.json") * batch ))
  wait_idle "$node_pid"
  loadgen "$tmp/echo-max-$round.json" --port "$echo_port" --echo --max \
    --duration "$max_seconds" --warmup 2 --connections "$max_conns" --window "$max_window" \
    --batch "$batch"
done
# The round of median events/s of each server (its JSON file), and every round's figure.
median_round() {  # $1 = node | echo
  local r
  for ((r = 1; r <= max_rounds; r++)); do
    echo "$(json_num answered_eps "$tmp/$1-max-$r.json") $tmp/$1-max-$r.json"
  done | sort -n | awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)] }'
}
all_rounds() {  # $1 = node | echo
  local r sep=""
  for ((r = 1; r <= max_rounds; r++)); do
    printf '%s%s' "$sep" "$(json_num answered_eps "$tmp/$1-max-$r.json")"
    sep=", "
  done
}
cp "$(median_round node)" "$tmp/node-max.json"
cp "$(median_round echo)" "$tmp/echo-max.json"
cpu_max=$(calc "$cpu_max_node * 1000 / $events_max" 3)

curl -s --max-time 5 "http://127.0.0.1:$node_port/metrics" >"$tmp/metrics.txt" || true
node_rss_end=$(rss_kib "$node_pid")
node_cpu_total=$(cpu_seconds "$node_pid")
stop_server "$node_pid"
node_exit=$stop_status
node_errors=$(grep -c '"level":"error"' "$tmp/node.out.err" || true)

# From the node's own histograms (whole run): store commits of 5 ms or more.
metric() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/metrics.txt"; }
commits_total=$(metric store_commit_duration_seconds_count)
commits_fast=$(metric 'store_commit_duration_seconds_bucket{le="0.005"}')
commits_slow=$(( ${commits_total:-0} - ${commits_fast:-0} ))

loadgen "$tmp/echo-lat.json" --port "$echo_port" --echo --rate "$lat_rate" --duration 10 \
  --warmup 2 --connections "$lat_conns" --batch "$batch"
echo_cpu_total=$(cpu_seconds "$echo_pid")
stop_server "$echo_pid"
echo_exit=$stop_status
machine_end
elapsed=$(( $(date +%s) - started ))
account_others "$(calc "$node_cpu_total + $echo_cpu_total + $loadgen_cpu" 1)"

# -- report ------------------------------------------------------------------------------------

lat_p99=$(json_num p99 "$tmp/node-lat.json")
node_eps=$(json_num answered_eps "$tmp/node-max.json")
echo_eps=$(json_num answered_eps "$tmp/echo-max.json")
ratio=$(calc "100 * $node_eps / $echo_eps" 1)
lat_row() {  # $1 = label, $2 = json file
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" \
    "$(json_num answered_eps "$2")" "$(json_num p50 "$2")" "$(json_num p99 "$2")" \
    "$(json_num p999 "$2")" "$(json_num max "$2")" "$(json_errors "$2")" \
    "$(json_num late_answers "$2")" "$(json_num unanswered "$2")"
}
report() {
  echo "## aia-node WebSocket benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_line
  echo "$(memory_gib) RAM;" \
    "load generator on the same cores. Node options: \`${node_args[*]}\`."
  echo "aia-node binary built $(date -u -r "$bin/aia-node" '+%Y-%m-%d %H:%M UTC'); HEAD at bench" \
    "time \`$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)\`."
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| p99 < 5 ms at $lat_rate events/s ($lat_conns connections) | p99 $lat_p99 ms" \
    "| $(verdict "$lat_p99 < 5") |"
  echo "| < 64 KiB RSS per connected user, $held1 users | $per_user1 KiB |" \
    "$(verdict "$per_user1 < 64") |"
  echo "| < 64 KiB RSS per connected user, $held2 users | $per_user2 KiB |" \
    "$(verdict "$per_user2 < 64") |"
  echo "| throughput >= 25% of the echo server (medians of $max_rounds alternating rounds)" \
    "| $node_eps vs $echo_eps events/s = $ratio% |" \
    "$(verdict "$ratio >= 25") |"
  echo
  echo "| run | events/s answered | p50 ms | p99 ms | p99.9 ms | max ms | error frames" \
    "| answered after error | unanswered |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for rate in "${lat_sweep[@]}"; do
    lat_row "node, open loop $rate/s, $lat_conns conns, 8 s" "$tmp/node-sweep-$rate.json"
  done
  lat_row "node, open loop $lat_rate/s, $lat_conns conns, ${lat_seconds} s" "$tmp/node-lat.json"
  lat_row "node, closed loop, $max_conns conns x window $max_window (median round)" \
    "$tmp/node-max.json"
  lat_row "echo, closed loop, $max_conns conns x window $max_window (median round)" \
    "$tmp/echo-max.json"
  lat_row "echo, open loop $lat_rate/s, $lat_conns conns, 10 s" "$tmp/echo-lat.json"
  echo
  echo "| node resource | value |"
  echo "|---|---|"
  echo "| CPU per 1000 events at $lat_rate/s | $cpu_lat s |"
  echo "| CPU per 1000 events, closed loop | $cpu_max s |"
  echo "| node CPU by thread, open-loop run | $threads_lat |"
  echo "| node CPU in the 5 s after that run (no load) | $cpu_tail s ($threads_tail) |"
  echo "| closed-loop events/s by round: node | $(all_rounds node) |"
  echo "| closed-loop events/s by round: echo | $(all_rounds echo) |"
  echo "| load generator CPU, node closed loop (median round) |" \
    "$(json_num loadgen_cpu_s "$tmp/node-max.json") s in $(calc "$max_seconds + 2" 0) s |"
  echo "| store commits taking >= 5 ms (node histogram, whole run) | $commits_slow of" \
    "${commits_total:-?} |"
  echo "| RSS idle (after warm-up) | $rss0 KiB |"
  echo "| RSS holding $held1 / $held2 users | $rss1 / $rss2 KiB |"
  echo "| RSS at the end | $node_rss_end KiB |"
  echo "| batch size | $batch interaction(s) per message |"
  echo "| node exit status after SIGTERM / error log lines | $node_exit / $node_errors |"
  echo "| echo server exit status | $echo_exit |"
  echo "| hold: answer to the first batch of $held2 new connections | p50 $(json_num p50 \
    "$tmp/hold-$hold_large.json") ms, max $(json_num max "$tmp/hold-$hold_large.json") ms |"
  echo
  echo "Bench time $elapsed s (build excluded). CPU used meanwhile: node $node_cpu_total s, echo" \
    "server $echo_cpu_total s, load generator $loadgen_cpu s; other processes $others s" \
    "(${others_pct}% of the machine, of which ${stolen} s (${stolen_pct}%) stolen by the" \
    "hypervisor; load average at start $load_start)."
  if (( others_pct > 10 )); then
    echo
    echo "**Disturbed run:** other processes or the hypervisor took ${others_pct}% of the CPU" \
      "during the bench;" \
      "the node's figures are pessimistic. Re-run on a quiet machine."
  fi
}
report | tee "$root/bench/results-latest.md"
