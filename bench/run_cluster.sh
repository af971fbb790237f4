#!/usr/bin/env bash
# Benchmarks aia-node's cluster path against one node on the same Redis: the cost of the remote
# hop (every user's socket on a node that does not own the user) and the time from kill -9 of a
# node to all its batches answered again. See bench/README.md ("Cluster: remote hop and failover").
#
# Usage: bench/run_cluster.sh
# Environment (all optional):
#   BUILD_DIR        build tree, default build-bench (configured Release if it does not exist)
#   BENCH_NO_BUILD   1 = use the binaries in BUILD_DIR as they are
#   CL_RATE CL_CONNS CL_SECONDS   open loop, same for both (default 2000 events/s, 500, 15 s)
#   CL_WARMUP        seconds of warm-up before each measured window (default 2)
#   CL_ROUNDS        open-loop rounds, 1 node and cluster alternating (default 3; medians)
#   MAX_CONNS MAX_WINDOW MAX_SECONDS MAX_ROUNDS   closed loop (default 100, 8, 8 s, 2 rounds)
#   KILL_AFTER       seconds into the window when node b is killed (default 5)
#   KILL_SECONDS     length of the failover run's window (default CL_SECONDS)
#   NODE_ARGS        aia-node options for every node (default: those of bench/run.sh)
#   CLUSTER_ARGS     extra options for the three clustered nodes only (default none)
#   QUIET_WAIT       seconds to wait at most for other processes to leave the CPU (default 60)
#   REDIS_SERVER     redis-server binary (default redis-server)
set -euo pipefail

bench_name=bench-cluster
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"  # root, bin, node_args, tmp, children, helpers
redis_bin=${REDIS_SERVER:-redis-server}

cl_rate=${CL_RATE:-2000}
cl_conns=${CL_CONNS:-500}
cl_seconds=${CL_SECONDS:-15}
cl_warmup=${CL_WARMUP:-2}
cl_rounds=${CL_ROUNDS:-3}
max_conns=${MAX_CONNS:-100}
max_window=${MAX_WINDOW:-8}
max_seconds=${MAX_SECONDS:-8}
max_rounds=${MAX_ROUNDS:-2}
kill_after=${KILL_AFTER:-5}
kill_seconds=${KILL_SECONDS:-$cl_seconds}
read -r -a cluster_args <<<"${CLUSTER_ARGS:-}"
redis_pid=""

# -- helpers -----------------------------------------------------------------------------------

# The median of the numbers given (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) printf "%.3f\n", a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

now_s() { date +%s.%N; }

# Free loopback TCP ports, $1 of them (the kernel's choice; bound together so all differ).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

redis() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }

# -- servers -----------------------------------------------------------------------------------

declare -A node_pid node_port
servers=()   # pids whose CPU counts as "ours" (Redis and the nodes)

# Starts node $1 (a name) with Redis database $2, then the extra arguments; sets node_pid[$1],
# node_port[$1].
start_node() {
  local name=$1 db=$2 out="$tmp/node-$1"
  shift 2
  mkdir -p "$out/data"
  env -u AIA_REDIS_URL REDIS_URL="redis://127.0.0.1:$redis_port/$db" \
    "$bin/aia-node" --port 0 --data-dir "$out/data" --store.keyring_file="$tmp/keyring" \
    --auth.hs256_secret_file="$tmp/hs256-secret" "${node_args[@]}" "$@" \
    </dev/null >"$out/stdout" 2>"$out/stderr" &
  local pid=$!
  children+=("$pid")
  servers+=("$pid")
  wait_for_line "$out/stdout" 'aia-node: listening on' 60 "$pid" \
    || { tail -n 20 "$out/stderr" >&2; die "node $name did not start"; }
  node_pid[$name]=$pid
  node_port[$name]=$(grep -o 'listening on [^ ]*' "$out/stdout" | grep -o '[0-9]*$')
  log "node $name: pid $pid, http port ${node_port[$name]} (redis db $db${*:+, $*})"
}

# The node's cluster_members gauge ("-" if /metrics does not answer).
cluster_members() {
  local v
  v=$(curl -fs --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null \
    | awk '$1 == "cluster_members" { printf "%d", $2; exit }') || true
  echo "${v:--}"
}
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
  "http://127.0.0.1:$1/readyz" 2>/dev/null || true) = 200 ]]; }

# CPU seconds used so far by the servers; for one that died (node b), its last sample.
servers_cpu() {
  local pid total=0
  for pid in "${servers[@]}"; do
    if [[ -r /proc/$pid/stat ]]; then
      total=$(calc "$total + $(cpu_seconds "$pid")" 3)
    elif [[ -s $tmp/cpu-$pid ]]; then
      total=$(calc "$total + $(<"$tmp/cpu-$pid")" 3)
    fi
  done
  echo "$total"
}

# Waits (at most 20 s) until every server together uses less than a quarter of a core.
wait_idle() {
  local i c0
  for ((i = 0; i < 20; i++)); do
    c0=$(servers_cpu)
    sleep 1
    awk "BEGIN { exit !($(servers_cpu) - $c0 < 0.25) }" && return 0
  done
  log "warning: the servers are still busy after 20 s"
}

# Runs ws_loadgen with the given arguments; its JSON line goes to file $1, the share of the
# machine that other processes (and the hypervisor) took meanwhile to "$1.env" as
# "others_pct steal_pct".
loadgen() {
  local out=$1
  shift
  local shown="$*"
  shown=${shown//$token/<token>}
  log "ws_loadgen $shown"
  local b0 s0 o0 t0 rc=0
  b0=$(machine_busy)
  s0=$(machine_steal)
  o0=$(servers_cpu)
  t0=$(now_s)
  timeout 300 "$bin/ws_loadgen" --json "$@" >"$tmp/lg.txt" 2>"$tmp/lg.err" || rc=$?
  ((rc == 0)) || log "ws_loadgen exited with $rc"
  local el others steal
  el=$(calc "$(now_s) - $t0" 3)
  grep -v '^{' "$tmp/lg.txt" >&2 || true
  cat "$tmp/lg.err" >&2
  cp "$tmp/lg.txt" "$out.txt"
  grep '^{' "$tmp/lg.txt" >"$out" || die "ws_loadgen printed no figures"
  local b1 o1 lg_cpu
  b1=$(machine_busy)
  o1=$(servers_cpu)
  lg_cpu=$(json_num loadgen_cpu_s "$out")
  others=$(calc "$b1 - $b0 - ($o1 - $o0) - $lg_cpu" 2)
  others=$(calc "($others < 0) ? 0 : $others" 2)
  steal=$(calc "$(machine_steal) - $s0" 2)
  log "CPU during the run: machine $(calc "$b1 - $b0" 2) s busy, servers $(calc "$o1 - $o0" 2) s," \
    "load generator $lg_cpu s, others $others s (stolen $steal s) in $el s"
  echo "$(calc "100 * $others / ($el * $(nproc))" 0) $(calc "100 * $steal / ($el * $(nproc))" 0)" \
    >"$out.env"
}
others_of() { cut -d' ' -f1 "$1.env"; }
steal_of() { cut -d' ' -f2 "$1.env"; }

# -- build -------------------------------------------------------------------------------------

build_binaries aia-node ws_loadgen
for c in "$redis_bin" redis-cli curl python3; do
  command -v "$c" >/dev/null 2>&1 || die "$c not found"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# -- a quiet machine ---------------------------------------------------------------------------

wait_for_calm
log "machine at start: load average $(cut -d' ' -f1-3 /proc/loadavg); busiest processes:"
top -bn1 -w 120 | sed -n '7,12p' >&2 || true

started=$(now_s)
machine_start

# -- Redis, secret, token ----------------------------------------------------------------------

read -r redis_port cport_a cport_b cport_c <<<"$(free_ports 4)"
mkdir -p "$tmp/redis"
"$redis_bin" --bind 127.0.0.1 --port "$redis_port" --dir "$tmp/redis" --save '' \
  --appendonly yes --daemonize no --logfile "$tmp/redis/redis.log" </dev/null >/dev/null 2>&1 &
redis_pid=$!
last_child=$redis_pid  # stopped last on exit
children+=("$redis_pid")
servers+=("$redis_pid")
for ((i = 0; i < 100; i++)); do
  [[ $(redis PING 2>/dev/null) = PONG ]] && break
  kill -0 "$redis_pid" 2>/dev/null || { cat "$tmp/redis/redis.log" >&2; die "redis-server exited"; }
  sleep 0.1
done
[[ $(redis PING 2>/dev/null) = PONG ]] || die "redis-server does not answer on port $redis_port"
redis FLUSHALL >/dev/null
log "redis-server pid $redis_pid on port $redis_port (AOF on, no RDB snapshots)"

(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$tmp/hs256-secret")
token=$(python3 - "$tmp/hs256-secret" <<'EOF'
import base64, hashlib, hmac, json, sys, time
secret = open(sys.argv[1], "rb").read().strip()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
part = lambda d: b64(json.dumps(d, separators=(",", ":")).encode())
now = int(time.time())
signed = part({"alg": "HS256", "typ": "JWT", "kid": "default"}) + "." + part(
    {"iss": "aia-node", "aud": "aia-personalization", "sub": "bench", "role": "admin",
     "iat": now, "exp": now + 3600})
print(signed + "." + b64(hmac.new(secret, signed.encode(), hashlib.sha256).digest()))
EOF
)

# -- the nodes ---------------------------------------------------------------------------------

# The single node (no cluster, Redis database 1) and the cluster a, b, c (database 0) run side by
# side, so that their runs can alternate; each has its own data. The single node starts first
# and creates the key ring the others share.
start_node single 1
start_node a 0 --cluster.port="$cport_a" --cluster.host=127.0.0.1 --cluster.node_name=a \
  "${cluster_args[@]}"
start_node b 0 --cluster.port="$cport_b" --cluster.host=127.0.0.1 --cluster.node_name=b \
  --cluster.seeds="127.0.0.1:$cport_a" "${cluster_args[@]}"
start_node c 0 --cluster.port="$cport_c" --cluster.host=127.0.0.1 --cluster.node_name=c \
  --cluster.seeds="127.0.0.1:$cport_a" "${cluster_args[@]}"
for ((i = 0; i < 300; i++)); do
  ok=1
  for n in a b c; do
    { ready "${node_port[$n]}" && [[ $(cluster_members "${node_port[$n]}") = 3 ]]; } || ok=0
  done
  ((ok)) && break
  sleep 0.2
done
((ok)) || die "the cluster did not become ready with 3 members within 60 s"
ready "${node_port[single]}" || die "the single node is not ready"
log "cluster ready: a, b, c each count 3 members"

port_single=${node_port[single]}
port_a=${node_port[a]}
common=(--token "$token" --connections "$cl_conns" --warmup "$cl_warmup")
remote=(--nodes a,b,c --avoid-owner a)

# Warm-up: the same users as the measured runs, so every session exists on its owner.
loadgen "$tmp/warm-local.json" --port "$port_single" "${common[@]}" --rate "$cl_rate" \
  --duration 3
loadgen "$tmp/warm-remote.json" --port "$port_a" "${remote[@]}" "${common[@]}" \
  --rate "$cl_rate" --duration 3

# -- open loop: the same load against 1 node and through the remote hop, alternating -----------

for ((r = 1; r <= cl_rounds; r++)); do
  wait_idle
  loadgen "$tmp/local-$r.json" --port "$port_single" "${common[@]}" --rate "$cl_rate" \
    --duration "$cl_seconds"
  wait_idle
  loadgen "$tmp/remote-$r.json" --port "$port_a" "${remote[@]}" "${common[@]}" \
    --rate "$cl_rate" --duration "$cl_seconds"
done

# -- closed loop: maximum throughput, alternating ----------------------------------------------

for ((r = 1; r <= max_rounds; r++)); do
  wait_idle
  loadgen "$tmp/local-max-$r.json" --port "$port_single" --token "$token" --max \
    --duration "$max_seconds" --warmup 2 --connections "$max_conns" --window "$max_window"
  wait_idle
  loadgen "$tmp/remote-max-$r.json" --port "$port_a" "${remote[@]}" --token "$token" --max \
    --duration "$max_seconds" --warmup 2 --connections "$max_conns" --window "$max_window"
done

# -- failover: kill -9 node b under the open-loop load at node a -------------------------------

wait_idle
members_before=$(cluster_members "$port_a")
b_pid=${node_pid[b]}
# The CPU of node b, sampled until it dies (bash reaps it at once; then it cannot be read).
(
  while [[ -r /proc/$b_pid/stat ]]; do
    cpu_seconds "$b_pid" >"$tmp/cpu-$b_pid.new" && mv -f "$tmp/cpu-$b_pid.new" "$tmp/cpu-$b_pid"
    sleep 0.1
  done
) &
children+=("$!")
loadgen "$tmp/kill.json" --port "$port_a" "${remote[@]}" "${common[@]}" --rate "$cl_rate" \
  --duration "$kill_seconds" --kill-pid "$b_pid" --kill-after "$kill_after"
if [[ -n $(ps -o stat= -p "$b_pid" 2>/dev/null | grep -v '^Z') ]]; then
  log "warning: node b (pid $b_pid) still runs after the kill run; killing it"
  kill -KILL "$b_pid" 2>/dev/null || true
fi
b_status=0
wait "$b_pid" 2>/dev/null || b_status=$?
log "node b exit status $b_status (137 = SIGKILL)"
# Reaped: no longer ours to signal (its CPU stays counted from its last sample).
kept=()
for pid in "${children[@]}"; do [[ $pid = "$b_pid" ]] || kept+=("$pid"); done
children=("${kept[@]}")
members_after_a=$(cluster_members "$port_a")
members_after_c=$(cluster_members "${node_port[c]}")
down_a=$(curl -fs --max-time 2 "http://127.0.0.1:$port_a/metrics" 2>/dev/null \
  | awk '$1 == "cluster_member_down_total" { printf "%d", $2; exit }' || true)

# -- stop, account -----------------------------------------------------------------------------

error_lines() { grep -c '"level":"error"' "$tmp/node-$1/stderr" 2>/dev/null || true; }
warn_lines() { grep -c '"level":"warn"' "$tmp/node-$1/stderr" 2>/dev/null || true; }
node_errors="single $(error_lines single), a $(error_lines a), b $(error_lines b), c $(error_lines c)"
node_warns="single $(warn_lines single), a $(warn_lines a), b $(warn_lines b), c $(warn_lines c)"
machine_end
elapsed=$(calc "$(now_s) - $started" 0)
ours_cpu=0
for n in single a c; do
  ours_cpu=$(calc "$ours_cpu + $(cpu_seconds "${node_pid[$n]}")" 2)
done
ours_cpu=$(calc "$ours_cpu + $(cpu_seconds "$redis_pid") + $(<"$tmp/cpu-$b_pid")" 2)
for f in "$tmp"/*.json; do
  ours_cpu=$(calc "$ours_cpu + $(json_num loadgen_cpu_s "$f")" 2)
done
# Node b's CPU: its last sample, at most 0.1 s before the kill.
account_others "$ours_cpu"

# -- report ------------------------------------------------------------------------------------

col() {  # $1 = field, then files: the field of each, comma-separated
  local f=$1 sep="" x
  shift
  for x in "$@"; do
    printf '%s%s' "$sep" "$(json_num "$f" "$x")"
    sep=", "
  done
}
med() {  # $1 = field, then files: the median of that field
  local f=$1 x vals=()
  shift
  for x in "$@"; do vals+=("$(json_num "$f" "$x")"); done
  median "${vals[@]}"
}
locals=()
remotes=()
for ((r = 1; r <= cl_rounds; r++)); do
  locals+=("$tmp/local-$r.json")
  remotes+=("$tmp/remote-$r.json")
done
local_max=()
remote_max=()
for ((r = 1; r <= max_rounds; r++)); do
  local_max+=("$tmp/local-max-$r.json")
  remote_max+=("$tmp/remote-max-$r.json")
done
for q in p50 p99 p999 answered_eps; do
  declare "l_$q=$(med "$q" "${locals[@]}")"
  declare "r_$q=$(med "$q" "${remotes[@]}")"
done
# Per round: remote minus local, and the median of those differences.
d50=()
d99=()
for ((r = 1; r <= cl_rounds; r++)); do
  d50+=("$(calc "$(json_num p50 "${remotes[r - 1]}") - $(json_num p50 "${locals[r - 1]}")" 3)")
  d99+=("$(calc "$(json_num p99 "${remotes[r - 1]}") - $(json_num p99 "${locals[r - 1]}")" 3)")
done
d50_med=$(median "${d50[@]}")
d99_med=$(median "${d99[@]}")
l_max_eps=$(med answered_eps "${local_max[@]}")
r_max_eps=$(med answered_eps "${remote_max[@]}")
recovery=$(json_num recovery_ms "$tmp/kill.json")
kill_at=$(json_num kill_at_s "$tmp/kill.json")
if awk "BEGIN { exit !($recovery >= 0) }"; then
  recovery_text="$recovery ms"
  recovery_verdict=$(verdict "$recovery < 2000")
else
  recovery_text="not recovered: $(json_num outstanding_unanswered "$tmp/kill.json") of"
  recovery_text+=" $(json_num outstanding_at_kill "$tmp/kill.json") batches never answered"
  recovery_verdict="**missed**"
fi

run_row() {  # $1 = label, $2 = json file
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%% |\n' "$1" \
    "$(json_num answered_eps "$2")" "$(json_num p50 "$2")" "$(json_num p99 "$2")" \
    "$(json_num p999 "$2")" "$(json_num max "$2")" "$(json_errors "$2")" \
    "$(json_num unanswered "$2")" "$(json_num unexpected "$2")" "$(others_of "$2")"
}
report() {
  echo "## aia-node cluster benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_line
  echo "$(memory_gib) RAM; Redis" \
    "$("$redis_bin" --version | grep -o 'v=[^ ]*'), the nodes and the load generator on the same" \
    "cores, all on 127.0.0.1. aia-node binary built" \
    "$(date -u -r "$bin/aia-node" '+%Y-%m-%d %H:%M UTC')."
  echo "Every node: \`${node_args[*]}\` with the shared key ring and HS256 secret. **1 node**:"
  echo "no cluster, \`REDIS_URL=redis://127.0.0.1:$redis_port/1\` (the local path). **Cluster**:"
  echo "nodes a, b, c on database 0 (\`--cluster.port\`, \`--cluster.node_name\`, seeds = a${cluster_args[*]:+; also \`${cluster_args[*]}\`});"
  echo "the load goes to node a with \`--nodes a,b,c --avoid-owner a\` (users"
  echo "$(grep -o '"first_user":"[^"]*"' "${remotes[0]}" | cut -d'"' -f4) ..." \
    "$(grep -o '"last_user":"[^"]*"' "${remotes[0]}" | cut -d'"' -f4), owned by b or c), so every" \
    "event takes the remote hop a → owner → a."
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| remote hop adds < 1 ms at p99 ($cl_rate events/s, $cl_conns connections," \
    "median of $cl_rounds alternating rounds) | p99 $l_p99 → $r_p99 ms: +$d99_med ms" \
    "(median of the per-round differences) | $(verdict "$d99_med < 1") |"
  echo "| recovery after kill -9 of node b < 2 s (kill → every batch outstanding at the kill" \
    "answered) | $recovery_text | $recovery_verdict |"
  echo
  echo "| open loop $cl_rate events/s, $cl_conns conns, $cl_seconds s (medians) | events/s |" \
    "p50 ms | p99 ms | p99.9 ms |"
  echo "|---|---|---|---|---|"
  echo "| 1 node (local path) | $l_answered_eps | $l_p50 | $l_p99 | $l_p999 |"
  echo "| cluster, every event remote | $r_answered_eps | $r_p50 | $r_p99 | $r_p999 |"
  echo "| remote − local (median of per-round differences) | | +$d50_med | +$d99_med | |"
  echo "| remote / local (ratio of medians) | | $(calc "$r_p50 / $l_p50" 2)× |" \
    "$(calc "$r_p99 / $l_p99" 2)× | $(calc "$r_p999 / $l_p999" 2)× |"
  echo
  echo "| closed loop, $max_conns conns × window $max_window, $max_seconds s (median of" \
    "$max_rounds rounds) | events/s | by round |"
  echo "|---|---|---|"
  echo "| 1 node | $l_max_eps | $(col answered_eps "${local_max[@]}") |"
  echo "| cluster, every event remote (through node a) | $r_max_eps |" \
    "$(col answered_eps "${remote_max[@]}") |"
  echo "| cluster / 1 node | $(calc "100 * $r_max_eps / $l_max_eps" 1)% | |"
  echo
  echo "Failover: open loop $cl_rate events/s, $cl_conns connections at node a (all users owned by"
  echo "b or c), SIGKILL of node b (pid $b_pid) sent by the load generator $kill_at s into the"
  echo "$kill_seconds s window:"
  echo
  echo "| failover | value |"
  echo "|---|---|"
  echo "| recovery: kill → the last batch outstanding at the kill answered | $recovery_text |"
  echo "| batches outstanding at the kill / settled by an error / never answered |" \
    "$(json_num outstanding_at_kill "$tmp/kill.json") / $(json_num outstanding_errored \
    "$tmp/kill.json") / $(json_num outstanding_unanswered "$tmp/kill.json") |"
  echo "| duplicate acks (resent batches already stored): in all / settling a batch acked" \
    "before the kill / before any ack; of the latter, followed by the batch's own ack" \
    "(see ws_loadgen's batch_ledger) |" \
    "$(json_num duplicate_acks "$tmp/kill.json") / $(json_num duplicate_acks_settling \
    "$tmp/kill.json") / $(json_num duplicate_acks_pending "$tmp/kill.json");" \
    "$(json_num duplicate_then_acked "$tmp/kill.json") |"
  echo "| batches answered by a duplicate ack only (their update died with node b) |" \
    "$(json_num settled_by_duplicate "$tmp/kill.json") |"
  echo "| batches sent after the kill: latency p50 / p99 / p99.9 / max |" \
    "$(json_num after_kill_p50 "$tmp/kill.json") / $(json_num after_kill_p99 "$tmp/kill.json")" \
    "/ $(json_num after_kill_p999 "$tmp/kill.json") / $(json_num after_kill_max "$tmp/kill.json")" \
    "ms (n = $(json_num after_kill_n "$tmp/kill.json"); $(json_num after_kill_errored \
    "$tmp/kill.json") errors, $(json_num after_kill_unanswered "$tmp/kill.json") unanswered) |"
  echo "| max latency (ms) of batches sent in each 0.1 s after the kill (0–0.1, 0.1–0.2, …," \
    "0.9–1 s; 1 s–end) | $(grep -o '"after_kill_max_by_100ms":\[[^]]*' "$tmp/kill.json" \
    | cut -d[ -f2 | sed 's/,/, /g') |"
  echo "| batches sent in the window before the kill: p50 / p99 / max |" \
    "$(json_num before_kill_p50 "$tmp/kill.json") / $(json_num before_kill_p99 \
    "$tmp/kill.json") / $(json_num before_kill_max "$tmp/kill.json") ms |"
  echo "| whole run: events/s, p50 / p99 / p99.9 / max ms | $(json_num answered_eps \
    "$tmp/kill.json"), $(json_num p50 "$tmp/kill.json") / $(json_num p99 "$tmp/kill.json") /" \
    "$(json_num p999 "$tmp/kill.json") / $(json_num max "$tmp/kill.json") |"
  echo "| whole run: error frames, unanswered, unexpected frames | $(json_errors \
    "$tmp/kill.json"), $(json_num unanswered "$tmp/kill.json"), $(json_num unexpected \
    "$tmp/kill.json") |"
  echo "| cluster_members at a before / after; at c after; member_down at a |" \
    "$members_before / $members_after_a; $members_after_c; ${down_a:--} |"
  echo
  echo "Every run (in order of the rounds; *others* = CPU share of other processes and the" \
    "hypervisor during that run):"
  echo
  echo "| run | events/s | p50 ms | p99 ms | p99.9 ms | max ms | error frames | unanswered" \
    "| unexpected | others |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for ((r = 1; r <= cl_rounds; r++)); do
    run_row "round $r: 1 node, open loop" "${locals[r - 1]}"
    run_row "round $r: cluster (remote), open loop" "${remotes[r - 1]}"
  done
  for ((r = 1; r <= max_rounds; r++)); do
    run_row "round $r: 1 node, closed loop" "${local_max[r - 1]}"
    run_row "round $r: cluster (remote), closed loop" "${remote_max[r - 1]}"
  done
  run_row "failover run (kill -9 b)" "$tmp/kill.json"
  echo
  echo "Node log lines at level error: $node_errors; warn: $node_warns."
  echo "Bench time $elapsed s (build excluded). Other processes used $others s of CPU" \
    "(${others_pct}% of the machine), of which $stolen s (${stolen_pct}%) stolen by the hypervisor; load average" \
    "at start $load_start."
  local worst=0 f
  for f in "${locals[@]}" "${remotes[@]}" "${local_max[@]}" "${remote_max[@]}" "$tmp/kill.json"; do
    (($(others_of "$f") > worst)) && worst=$(others_of "$f")
  done
  if ((worst > 10)); then
    echo
    echo "**Disturbed run:** in at least one measured run other processes or the hypervisor" \
      "took $worst% of the CPU; compare rounds, or re-run on a quiet machine."
  fi
}
report | tee "$root/bench/results-cluster-latest.md"
