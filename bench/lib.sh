# Shared by bench/run.sh and bench/run_cluster.sh (sourced, not run): paths, the default node
# options, the temporary folder and the children stopped on exit, logging, waiting, readings of
# processes and of the machine, fields of ws_loadgen's JSON line.
# Source it after `set -euo pipefail`, with bench_name set: the log prefix ("[bench 12:00:00]")
# and the temporary folder's name (aia-$bench_name.XXXXXX).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-build-bench}
[[ $build_dir = /* ]] || build_dir="$root/$build_dir"
bin="$build_dir/bin"

# The queue bound is raised (and the rate limits lifted: one admin token drives every user) so
# that the closed loop measures capacity, not admission control;
# sessions must outlive the whole run so that RSS readings see every user.
read -r -a node_args <<<"${NODE_ARGS:---real_time.max_queue_size=100000 --session.idle_timeout=600 \
--gateway.threads=1 --actors.scheduler_threads=2 --actors.analyzers=2 --log_level=warn --dev \
--limits.requests_per_minute=0 --limits.ws_messages_per_minute=0 --limits.connections_per_ip=0}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aia-$bench_name.XXXXXX")
children=()     # every process started here, stopped on exit
last_child=""   # stopped after all the others (Redis: the nodes may still write while they drain)

# -- processes ---------------------------------------------------------------------------------

cleanup() {
  local pid
  for pid in "${children[@]}"; do
    [[ $pid = "$last_child" ]] && continue
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${children[@]}"; do
    [[ $pid = "$last_child" ]] && continue
    wait_gone "$pid" 15 || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n $last_child ]]; then
    kill -TERM "$last_child" 2>/dev/null || true
    wait_gone "$last_child" 15 || kill -KILL "$last_child" 2>/dev/null || true
    wait "$last_child" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$bench_name $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# Waits up to $2 seconds for process $1 to end; false if it still runs.
wait_gone() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    [[ $(ps -o stat= -p "$1" 2>/dev/null) = Z* ]] && return 0
    sleep 0.1
  done
  return 1
}

# Waits up to $3 seconds for a line matching $2 in file $1 (while process $4 lives).
wait_for_line() {
  local file=$1 pattern=$2 limit=$3 pid=$4 i
  for ((i = 0; i < limit * 10; i++)); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Builds the binaries named (unless BENCH_NO_BUILD=1) in build_dir, configured Release if it
# does not exist yet; dies if one is missing.
build_binaries() {
  if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    if [[ ! -f $build_dir/CMakeCache.txt ]]; then
      log "configuring $build_dir (Release)"
      cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DAIA_BUILD_TESTS=OFF >/dev/null
    fi
    log "building $* in $build_dir"
    cmake --build "$build_dir" -j2 --target "$@" >"$tmp/build.log" \
      || { tail -n 40 "$tmp/build.log" >&2; die "build failed"; }
  fi
  local b
  for b in "$@"; do
    [[ -x $bin/$b ]] || die "missing $bin/$b"
  done
}

# -- figures -----------------------------------------------------------------------------------

# Numeric field $1 of the flat JSON line in file $2 (first match).
json_num() { grep -o "\"$1\":[-0-9.e+]*" "$2" | head -n1 | cut -d: -f2; }
# The error object ({"code":n,...}) of the JSON line in file $1.
json_errors() { grep -o '"errors":{[^}]*}' "$1" | head -n1 | cut -d: -f2-; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**missed**"; fi; }

# CPU seconds (user + system) consumed so far by process $1 (0 once it is gone).
cpu_seconds() {
  local ticks
  ticks=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}')
  awk -v t="${ticks:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}
# CPU seconds the whole machine spent busy so far (all processes, all cores).
machine_busy() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' \
    /proc/stat
}
# CPU seconds the hypervisor took from this VM so far (steal time, all cores).
machine_steal() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.2f", $9 / hz }' /proc/stat
}

# The servers and the load generator share the cores: waits (at most QUIET_WAIT s, default 60)
# until the rest of the machine has used less than 15% of them for 6 s, so that other work
# (e.g. compilers) does not skew figures.
wait_for_calm() {
  local quiet_wait=${QUIET_WAIT:-60} calm=0 waited b0 busy_pct
  for ((waited = 0; waited < quiet_wait && calm < 3; waited += 2)); do
    b0=$(machine_busy)
    sleep 2
    busy_pct=$(calc "100 * ($(machine_busy) - $b0) / (2 * $(nproc))" 0)
    if ((busy_pct < 15)); then
      calm=$((calm + 1))
    else
      calm=0
    fi
    ((waited % 10 == 0 && calm == 0)) && log "machine ${busy_pct}% busy; waiting for calm"
  done
  return 0  # the loop's last && may be false: no failure
}

# The machine's readings when the bench starts: busy_start, steal_start, load_start.
machine_start() {
  busy_start=$(machine_busy)
  steal_start=$(machine_steal)
  load_start=$(cut -d' ' -f1-3 /proc/loadavg)
}
# The machine's readings when it ends: busy_end, stolen (s).
machine_end() {
  busy_end=$(machine_busy)
  stolen=$(calc "$(machine_steal) - $steal_start" 1)
}
# With $1 = CPU seconds of the bench's own processes, over elapsed s since machine_start: others
# (CPU s of other processes, clamped at 0 as the counters are not sampled exact to the tick),
# others_pct and stolen_pct (shares of the whole machine).
account_others() {
  others=$(calc "$busy_end - $busy_start - $1" 1)
  others=$(calc "($others < 0) ? 0 : $others" 1)
  others_pct=$(calc "100 * $others / ($elapsed * $(nproc))" 0)
  stolen_pct=$(calc "100 * $stolen / ($elapsed * $(nproc))" 0)
}

# The first line of a report's machine description: "Machine: N cores, <CPU model>,".
machine_line() {
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- \
    | sed 's/^ //'),"
}
memory_gib() { awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo; }
