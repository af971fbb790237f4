#!/usr/bin/env bash
# A local aia-node cluster without Kubernetes: one Redis (AOF on) and NODES nodes on loopback,
# sharing the Redis store, one key ring and one HS256 secret. See deploy/README.md.
#
#   deploy/local-cluster.sh [start] [NODE ARGS...]   start what is not running, wait until ready
#   deploy/local-cluster.sh stop                     SIGTERM the nodes, wait, then stop Redis
#   deploy/local-cluster.sh status                   one line per process (exit 0 all up,
#                                                    1 partly up, 3 nothing running)
#
# Environment (defaults): NODES (3), BASE_PORT (8001: HTTP ports 8001..), CLUSTER_BASE (7001:
# cluster ports 7001..), REDIS_PORT (6390), STATE_DIR (./cluster-data), AIA_NODE
# (<repo>/build/bin/aia-node), REDIS_SERVER (redis-server), START_TIMEOUT (60 s),
# STOP_TIMEOUT (45 s). Extra arguments after `start` go to every node (e.g. --log-level=debug).
set -euo pipefail

prog=$(basename "$0")
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
host=127.0.0.1

die() {
  echo "$prog: $*" >&2
  exit 1
}
say() { echo "$prog: $*"; }

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# -- settings ------------------------------------------------------------------------------------

state_dir=${STATE_DIR:-./cluster-data}
[[ $state_dir == /* ]] || state_dir=$PWD/${state_dir#./}
settings_file=$state_dir/cluster.env

nodes=${NODES:-3}
base_port=${BASE_PORT:-8001}
cluster_base=${CLUSTER_BASE:-7001}
redis_port=${REDIS_PORT:-6390}
node_bin=${AIA_NODE:-$repo_root/build/bin/aia-node}
redis_bin=${REDIS_SERVER:-redis-server}
start_timeout=${START_TIMEOUT:-60}
stop_timeout=${STOP_TIMEOUT:-45}

# The settings a running cluster was started with (written by `start`) win over the environment,
# so that `stop` and `status` find what `start` started.
load_settings() {
  [[ -f $settings_file ]] || return 0
  local k v
  while IFS='=' read -r k v; do
    case $k in
      NODES) nodes=$v ;;
      BASE_PORT) base_port=$v ;;
      CLUSTER_BASE) cluster_base=$v ;;
      REDIS_PORT) redis_port=$v ;;
      AIA_NODE) node_bin=$v ;;
    esac
  done <"$settings_file"
}

save_settings() {
  printf 'NODES=%s\nBASE_PORT=%s\nCLUSTER_BASE=%s\nREDIS_PORT=%s\nAIA_NODE=%s\n' \
    "$nodes" "$base_port" "$cluster_base" "$redis_port" "$node_bin" >"$settings_file"
}

validate_settings() {
  local name value
  for name in nodes base_port cluster_base redis_port start_timeout stop_timeout; do
    value=${!name}
    [[ $value =~ ^[0-9]+$ ]] || die "${name^^} must be a whole number, not '$value'"
  done
  ((nodes >= 1)) || die "NODES must be at least 1"
  ((base_port >= 1 && base_port + nodes - 1 <= 65535)) || die "BASE_PORT out of range"
  ((cluster_base >= 1 && cluster_base + nodes - 1 <= 65535)) || die "CLUSTER_BASE out of range"
  ((redis_port >= 1 && redis_port <= 65535)) || die "REDIS_PORT out of range"
  if ((base_port <= cluster_base + nodes - 1 && cluster_base <= base_port + nodes - 1)); then
    die "the HTTP ports ($base_port..) and cluster ports ($cluster_base..) overlap"
  fi
  if ((redis_port >= base_port && redis_port < base_port + nodes)) \
    || ((redis_port >= cluster_base && redis_port < cluster_base + nodes)); then
    die "REDIS_PORT $redis_port collides with a node port"
  fi
}

http_port() { echo $((base_port + $1 - 1)); }
cluster_port() { echo $((cluster_base + $1 - 1)); }
node_dir() { echo "$state_dir/node$1"; }
node_pid_file() { echo "$state_dir/node$1.pid"; }
redis_pid_file() { echo "$state_dir/redis.pid"; }

# -- processes -----------------------------------------------------------------------------------

# The pid in file $1 if that process runs and its command line holds $2 (not a recycled pid).
live_pid() {
  local file=$1 marker=$2 pid args
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $args == *"$marker"* ]] || return 1
  echo "$pid"
}

node_pid() { live_pid "$(node_pid_file "$1")" "$(node_dir "$1")/data"; }
# Redis sets its process title to "redis-server HOST:PORT".
redis_pid() { live_pid "$(redis_pid_file)" ":$redis_port"; }

# True if something accepts connections on loopback port $1.
port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

redis_ping() {
  local reply
  reply=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/$host/$redis_port" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3 && echo "$line"
  ) || return 1
  [[ $reply == "+PONG"* ]]
}

http_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$host:$1$2" 2>/dev/null || true
}

# The node's cluster_members gauge, or "-" if /metrics does not answer.
cluster_members() {
  local v
  v=$(curl -fs --max-time 2 "http://$host:$1/metrics" 2>/dev/null \
    | awk '$1 == "cluster_members" { printf "%d", $2; exit }') || true
  echo "${v:--}"
}

# True if pid $1 runs (a zombie waiting for its parent to reap it does not).
running() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $stat && $stat != Z* ]]
}

# Waits until pid $1 exits, for at most $2 seconds; false if it still runs.
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while running "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# -- start ---------------------------------------------------------------------------------------

start_redis() {
  local pid
  if pid=$(redis_pid); then
    say "redis already running (pid $pid, port $redis_port)"
    return
  fi
  command -v "$redis_bin" >/dev/null 2>&1 \
    || die "redis-server not found (install it, or set REDIS_SERVER to its path)"
  port_open "$redis_port" \
    && die "port $redis_port is in use by something else; set REDIS_PORT to a free port"
  mkdir -p "$state_dir/redis"
  nohup "$redis_bin" --bind "$host" --port "$redis_port" --dir "$state_dir/redis" \
    --appendonly yes --daemonize no --logfile "$state_dir/redis/redis.log" \
    </dev/null >/dev/null 2>&1 &
  pid=$!
  echo "$pid" >"$(redis_pid_file)"
  local deadline=$((SECONDS + 20))
  until redis_ping; do
    if ! running "$pid"; then
      tail -n 20 "$state_dir/redis/redis.log" >&2 || true
      die "redis-server exited at start (log: $state_dir/redis/redis.log)"
    fi
    ((SECONDS < deadline)) || die "redis-server did not answer PING within 20 s"
    sleep 0.1
  done
  say "redis started (pid $pid, redis://$host:$redis_port, AOF in $state_dir/redis)"
}

ensure_secret() {
  local file=$state_dir/hs256-secret
  [[ -s $file ]] && return
  (
    umask 077
    if command -v openssl >/dev/null 2>&1; then
      openssl rand -hex 32 >"$file"
    else
      od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file"
      echo >>"$file"
    fi
  )
  chmod 600 "$file"
  say "generated the shared HS256 secret $file"
}

# Starts node $1 (if not running) with the extra node arguments in "${@:2}".
start_node() {
  local i=$1 pid dir hport cport
  shift
  dir=$(node_dir "$i")
  hport=$(http_port "$i")
  cport=$(cluster_port "$i")
  if pid=$(node_pid "$i"); then
    say "node$i already running (pid $pid)"
    return
  fi
  port_open "$hport" && die "port $hport (node$i HTTP) is in use; set BASE_PORT"
  port_open "$cport" && die "port $cport (node$i cluster) is in use; set CLUSTER_BASE"
  mkdir -p "$dir/data"
  [[ -f $dir/stderr.log ]] && mv -f "$dir/stderr.log" "$dir/stderr.log.prev"
  local args=(--host "$host" --port "$hport" --data-dir "$dir/data"
    --cluster.port="$cport" --cluster.host="$host" --cluster.node_name="node$i"
    --store.keyring_file="$state_dir/keyring"
    --auth.hs256_secret_file="$state_dir/hs256-secret")
  if ((i > 1)); then
    args+=(--cluster.seeds="$host:$cluster_base")
  fi
  # The node reads REDIS_URL; an inherited AIA_REDIS_URL would win over it, so drop that.
  env -u AIA_REDIS_URL REDIS_URL="redis://$host:$redis_port" nohup "$node_bin" "${args[@]}" "$@" \
    </dev/null >"$dir/stdout.log" 2>"$dir/stderr.log" &
  pid=$!
  echo "$pid" >"$(node_pid_file "$i")"
  say "node$i starting (pid $pid, http://$host:$hport, cluster $host:$cport)"
}

# Waits until node $1 prints its listening line; dies with its log tail if it exits first.
wait_listening() {
  local i=$1 dir pid deadline=$((SECONDS + start_timeout))
  dir=$(node_dir "$i")
  pid=$(<"$(node_pid_file "$i")")
  until grep -q 'aia-node: listening on' "$dir/stdout.log" 2>/dev/null; do
    if ! running "$pid"; then
      echo "--- last lines of $dir/stderr.log:" >&2
      tail -n 15 "$dir/stderr.log" >&2 || true
      die "node$i exited at start; '$prog stop' stops the rest"
    fi
    ((SECONDS < deadline)) \
      || die "node$i did not listen within $start_timeout s (log: $dir/stderr.log)"
    sleep 0.1
  done
}

# Waits until every node answers /readyz 200 and counts all nodes in cluster_members.
wait_ready() {
  local deadline=$((SECONDS + start_timeout)) i ok pending
  say "waiting for $nodes node(s) to be ready with cluster_members $nodes ..."
  while :; do
    ok=1
    pending=""
    for ((i = 1; i <= nodes; i++)); do
      if [[ $(http_code "$(http_port "$i")" /readyz) != 200 ]] \
        || [[ $(cluster_members "$(http_port "$i")") != "$nodes" ]]; then
        ok=0
        pending+=" node$i"
      fi
    done
    ((ok)) && return 0
    if ((SECONDS >= deadline)); then
      print_status >&2 || true
      die "not ready within $start_timeout s:$pending (logs: $state_dir/node*/stderr.log;" \
        "'$prog stop' stops the cluster)"
    fi
    sleep 0.25
  done
}

# Fails before starting anything if a port of a process still to start is taken.
check_ports() {
  local i busy=()
  if ! redis_pid >/dev/null && port_open "$redis_port"; then
    busy+=("$redis_port (redis; set REDIS_PORT)")
  fi
  for ((i = 1; i <= nodes; i++)); do
    node_pid "$i" >/dev/null && continue
    port_open "$(http_port "$i")" && busy+=("$(http_port "$i") (node$i HTTP; set BASE_PORT)")
    port_open "$(cluster_port "$i")" \
      && busy+=("$(cluster_port "$i") (node$i cluster; set CLUSTER_BASE)")
  done
  if ((${#busy[@]})); then
    printf '%s: port in use: %s\n' "$prog" "${busy[@]}" >&2
    die "nothing started"
  fi
}

cmd_start() {
  command -v curl >/dev/null 2>&1 || die "curl not found (needed for the readiness probes)"
  local running=0 i
  local want_nodes=$nodes want_base=$base_port want_cluster=$cluster_base want_redis=$redis_port
  local want_bin=$node_bin
  load_settings  # what a previous start here recorded, if anything
  redis_pid >/dev/null && running=1
  for ((i = 1; i <= nodes; i++)); do
    node_pid "$i" >/dev/null && running=1
  done
  if ((!running)); then
    nodes=$want_nodes base_port=$want_base cluster_base=$want_cluster redis_port=$want_redis
    node_bin=$want_bin
  else
    # Something of a previous start runs: keep its settings (stop it to change them).
    [[ "$want_nodes $want_base $want_cluster $want_redis" == \
      "$nodes $base_port $cluster_base $redis_port" ]] \
      || say "a cluster started with NODES=$nodes BASE_PORT=$base_port" \
        "CLUSTER_BASE=$cluster_base REDIS_PORT=$redis_port runs in $state_dir; keeping those" \
        "settings ('$prog stop' first to change them)"
    local all=1
    redis_pid >/dev/null || all=0
    for ((i = 1; i <= nodes; i++)); do
      node_pid "$i" >/dev/null || all=0
    done
    if ((all)); then
      say "already running in $state_dir"
      print_status || true
      return 0
    fi
    say "partly running in $state_dir: starting what is missing"
  fi
  [[ -x $node_bin ]] \
    || die "aia-node binary not found or not executable: $node_bin (build it with 'make'," \
      "or set AIA_NODE)"
  node_bin=$(cd "$(dirname "$node_bin")" && pwd)/$(basename "$node_bin")
  check_ports
  mkdir -p "$state_dir"
  save_settings

  start_redis
  ensure_secret
  # Node 1 first: it creates the key ring the others share, and the others seed from it.
  start_node 1 "$@"
  wait_listening 1
  for ((i = 2; i <= nodes; i++)); do
    start_node "$i" "$@"
  done
  for ((i = 2; i <= nodes; i++)); do
    wait_listening "$i"
  done
  wait_ready
  say "cluster ready in $state_dir"
  print_status || true
  echo
  echo "Tokens: HS256, kid 'default', secret $state_dir/hs256-secret (deploy/README.md shows"
  echo "how to mint one). Logs: $state_dir/node<N>/stderr.log. Stop: $prog stop"
}

# -- status --------------------------------------------------------------------------------------

# Prints the table; returns 0 if everything runs and is ready, 1 if partly, 3 if nothing runs.
print_status() {
  local i pid hport state members up=0 total=$((nodes + 1)) ready=0
  printf '%-7s %-24s %-17s %-8s %-10s %s\n' NAME URL CLUSTER PID STATE MEMBERS
  if pid=$(redis_pid); then
    up=$((up + 1))
    redis_ping && state=up || state=no-answer
    [[ $state == up ]] && ready=$((ready + 1))
  else
    pid=-
    state=stopped
  fi
  printf '%-7s %-24s %-17s %-8s %-10s %s\n' redis "redis://$host:$redis_port" - "$pid" "$state" -
  for ((i = 1; i <= nodes; i++)); do
    hport=$(http_port "$i")
    members=-
    if pid=$(node_pid "$i"); then
      up=$((up + 1))
      if [[ $(http_code "$hport" /readyz) == 200 ]]; then
        state=ready
        ready=$((ready + 1))
      else
        state=not-ready
      fi
      members=$(cluster_members "$hport")
    else
      pid=-
      state=stopped
    fi
    printf '%-7s %-24s %-17s %-8s %-10s %s\n' "node$i" "http://$host:$hport" \
      "$host:$(cluster_port "$i")" "$pid" "$state" "$members"
  done
  ((up == 0)) && return 3
  ((ready == total)) && return 0
  return 1
}

cmd_status() {
  load_settings
  [[ -f $settings_file ]] || {
    say "no cluster state in $state_dir (not started)"
    return 3
  }
  local rc=0
  print_status || rc=$?
  return "$rc"
}

# -- stop ----------------------------------------------------------------------------------------

cmd_stop() {
  load_settings
  local i pid pids=() names=() stopped_any=0
  for ((i = 1; i <= nodes; i++)); do
    if pid=$(node_pid "$i"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("node$i")
    fi
  done
  if ((${#pids[@]})); then
    say "sent SIGTERM to ${names[*]}; waiting up to $stop_timeout s for them to drain"
    stopped_any=1
  fi
  for ((i = 0; i < ${#pids[@]}; i++)); do
    if ! wait_exit "${pids[i]}" "$stop_timeout"; then
      say "${names[i]} (pid ${pids[i]}) still runs after $stop_timeout s: SIGKILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
      wait_exit "${pids[i]}" 5 || true
    fi
  done
  for ((i = 1; i <= nodes; i++)); do
    rm -f "$(node_pid_file "$i")"
  done
  if pid=$(redis_pid); then
    stopped_any=1
    kill -TERM "$pid" 2>/dev/null || true  # Redis fsyncs the AOF and exits
    if ! wait_exit "$pid" 30; then
      say "redis (pid $pid) still runs after 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 5 || true
    fi
  fi
  rm -f "$(redis_pid_file)"
  if ((stopped_any)); then
    say "stopped (state kept in $state_dir)"
  else
    say "nothing running in $state_dir"
  fi
}

# -- main ----------------------------------------------------------------------------------------

cmd=${1:-start}
case $cmd in
  start)
    shift $(($# > 0 ? 1 : 0))
    validate_settings
    cmd_start "$@"
    ;;
  -h | --help | help)
    usage
    ;;
  --*)
    # `local-cluster.sh --log-level=debug`: start with node arguments.
    validate_settings
    cmd_start "$@"
    ;;
  stop)
    cmd_stop
    ;;
  status)
    cmd_status
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
