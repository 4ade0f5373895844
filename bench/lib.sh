# Shared by the benchmark scripts (sourced, not run): building, a process's CPU (cpu_ticks), fake upstreams, the
# nginx hop (start_nginx: workloads.sh, cancel.sh, floor.sh), the gateway in production mode (start_gateway:
# history-read.sh, limits-cost.sh, cache-hit.sh...), bounded waits. Everything started through these functions, or
# added to BENCH_PIDS, is stopped on exit.
#
# Environment: DATABASE_URL (postgres://postgres@127.0.0.1:5432/sluice_bench, created when missing), REDIS_URL
# (redis://127.0.0.1:6379/15),
# JAVA (the java that runs the gateway, default java on the PATH; the fake and the load client always run on java),
# GATEWAY_OPTS (JVM options, -Xms256m -Xmx1g), GATEWAY_JAR (run the gateway with -jar from this jar instead of
# GW_CP), GATEWAY_ARGS (more --name=value arguments for every gateway started), LOG_DIR (target/bench-logs),
# SKIP_BUILD=1 with CP and GW_CP set.

# The benchmarks' own database and Redis index, apart from the tests' (database test, Redis index 0): a run leaves
# millions of history and usage rows behind, and CI runs the tests on this machine's services as a session leaves
# them, where an admin report over those rows outlasted a test's timeout.
BENCH_DATABASE=sluice_bench
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$BENCH_DATABASE}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
if [[ "$DATABASE_URL" == */$BENCH_DATABASE ]] && command -v psql > /dev/null \
    && [[ -z "$(psql -qtA "${DATABASE_URL%/*}/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DATABASE'" 2>/dev/null)" ]]; then
  psql -q "${DATABASE_URL%/*}/postgres" -c "CREATE DATABASE $BENCH_DATABASE" > /dev/null
fi
JAVA=${JAVA:-java}
GATEWAY_OPTS=${GATEWAY_OPTS:-"-Xms256m -Xmx1g"}
LOG_DIR=${LOG_DIR:-target/bench-logs}
mkdir -p "$LOG_DIR"
# Absolute, for the paths handed to processes with another working directory (the profiler's file, nginx's prefix).
LOG_DIR=$(cd "$LOG_DIR" && pwd)
# Reactor Netty logs each broken connection at WARN; under load the client counts them instead.
QUIET="-Dlogback.configurationFile=$PWD/bench/logback.xml"

BENCH_PIDS=()
bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap bench_cleanup EXIT INT TERM

# Sum of utime + stime (/proc/PID/stat) over comma-separated pids, in clock ticks (100 a second); "" if one is
# gone or none given. The same reading as LoadClient's --cpu-pid.
cpu_ticks() {
  local pid t total=0
  [[ -n "$1" ]] || return 0
  for pid in ${1//,/ }; do
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || true
    [[ -n "$t" ]] || return 0
    total=$((total + t))
  done
  echo "$total"
}

bench_build() {
  if [[ -z "${SKIP_BUILD:-}" ]]; then
    echo "building..." >&2
    CP=$(timeout 600 bench/classpath.sh)
    GW_CP=$(timeout 600 bench/classpath.sh runtime)
  fi
  : "${CP:?CP (bench classpath) is not set}"
  : "${GW_CP:=$CP}"
}

# name url pid seconds: waits until url answers 2xx, while pid stays alive.
wait_http() {
  local name=$1 url=$2 pid=$3 limit=$4
  for _ in $(seq "$((limit * 5))"); do
    if curl -sf -o /dev/null --max-time 1 "$url"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited early" >&2; return 1; fi
    sleep 0.2
  done
  echo "$name not ready after ${limit}s" >&2
  return 1
}

# Seconds in a duration like 30s / 2m / 500ms, rounded up (for the outer timeouts).
seconds() {
  local d=$1
  case "$d" in
    *ms) echo $(( (${d%ms} + 999) / 1000 )) ;;
    *s) echo "${d%s}" ;;
    *m) echo $(( ${d%m} * 60 )) ;;
    *) echo "$d" ;;
  esac
}

# port tokens interval log: a fake upstream; FAKE_PID is its pid.
start_fake() {
  java "$QUIET" -Xms128m -Xmx512m -cp "$CP" dev.sluice.bench.FakeUpstream \
      --port "$1" --tokens "$2" --interval "$3" > "$LOG_DIR/$4" 2>&1 &
  FAKE_PID=$!
  BENCH_PIDS+=("$FAKE_PID")
  wait_http "fake upstream :$1" "http://127.0.0.1:$1/v1/models" "$FAKE_PID" 30
}

# name port fast-port paced-port slow-port: the nginx hop of bench/nginx-hop.conf, run from LOG_DIR/<name>; NGINX_PID
# is its master, NGINX_PIDS its master and workers (comma-separated, for the CPU columns). NGINX: the binary (nginx).
start_nginx() {
  local dir="$LOG_DIR/$1" port=$2 workers=""
  # nginx listens with reuseport: the workers of an earlier run that lost their master would share the port silently,
  # serve part of the rows and leave their CPU uncounted.
  if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
    echo "port $port is taken (an nginx left from an earlier run?): $(ss -Hltnp "sport = :$port")" >&2
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@FAST_PORT@|$3|g" -e "s|@PACED_PORT@|$4|g" \
      -e "s|@SLOW_PORT@|$5|g" -e "s|@NOFILE@|$(ulimit -n)|g" bench/nginx-hop.conf > "$dir/nginx.conf"
  local cmd=("${NGINX:-nginx}" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf")
  timeout 30 "${cmd[@]}" -g "pid $dir/nginx.pid;" -t > "$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; return 1; }
  "${cmd[@]}" -g "pid $dir/nginx.pid; daemon off;" > "$dir/nginx.out" 2>&1 &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  wait_http nginx "http://127.0.0.1:$port/nginx-health" "$NGINX_PID" 30 || return 1
  for _ in $(seq 50); do
    workers=$(pgrep -P "$NGINX_PID" | paste -sd, -) || true
    [[ -n "$workers" ]] && break
    sleep 0.1
  done
  NGINX_PIDS="$NGINX_PID,$workers"
}

# [alias=port ...] [cache object]: for each pair, a provider "<alias>-upstream" at the fake on that port and the
# alias to it ("bench=9181" if none); rate limits and quotas on with budgets no run reaches; the cache as given,
# else off, so that identical benchmark prompts are not answered from it.
gateway_json() {
  local big=1000000000 pairs=${1:-bench=9181} cache=${2:-'{"enabled":false}'} providers="" aliases="" pair alias port
  for pair in $pairs; do
    alias=${pair%%=*}
    port=${pair#*=}
    providers+="${providers:+,}\"$alias-upstream\":{\"type\":\"openai\",\"base-url\":\"http://127.0.0.1:$port/v1\",\"api-keys\":[\"bench\"],\"models\":[\"*\"],\"max-concurrency\":20000,\"max-queue\":20000}"
    aliases+="${aliases:+,}\"$alias\":{\"strategy\":\"ordered\",\"targets\":[\"$alias-upstream/bench-model\"]}"
  done
  cat <<JSON
{"sluice":{
  "providers":{$providers},
  "aliases":{$aliases},
  "limits":{"per-ip":{"requests-per-minute":$big},"per-user":{"requests-per-minute":$big,"max-concurrent-streams":$big}},
  "quotas":{"daily-requests":$big,"daily-tokens":$big},
  "cache":$cache}}
JSON
}

# prod refuses placeholder and low-entropy secrets: one made for this run (the same for every gateway it starts).
BENCH_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# port log json [--spring.arg=value...]: the gateway in production mode (DATABASE_URL and REDIS_URL switch it
# to the prod profile: credentials required, Redis-backed limits); GATEWAY_PID is its pid. Sign-up is opened,
# which prod closes by default, because the benchmarks register their own account (register_and_login).
start_gateway() {
  local port=$1 log=$2 json=$3 main
  shift 3
  # The image's training sets GATEWAY_JAR and no GW_CP.
  if [[ -n "${GATEWAY_JAR:-}" ]]; then main=(-jar "$GATEWAY_JAR"); else main=(-cp "$GW_CP" dev.sluice.gateway.SluiceApplication); fi
  # shellcheck disable=SC2086
  DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" \
  SLUICE_AUTH_JWT_SECRET=${SLUICE_AUTH_JWT_SECRET:-$BENCH_JWT_SECRET} \
  SLUICE_AUTH_REGISTRATION=${SLUICE_AUTH_REGISTRATION:-open} \
  SPRING_APPLICATION_JSON="$json" \
      "$JAVA" $GATEWAY_OPTS "${main[@]}" \
      --server.port="$port" --logging.level.root=WARN ${GATEWAY_ARGS:-} "$@" > "$LOG_DIR/$log" 2>&1 &
  GATEWAY_PID=$!
  BENCH_PIDS+=("$GATEWAY_PID")
  if ! wait_http gateway "http://127.0.0.1:$port/actuator/health/readiness" "$GATEWAY_PID" 120; then
    echo "--- gateway log (tail) ---" >&2
    tail -n 40 "$LOG_DIR/$log" >&2 || true
    return 1
  fi
}

# Stops the gateway gracefully (it flushes its write-behind buffers), bounded.
stop_gateway() {
  kill "$GATEWAY_PID" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$GATEWAY_PID" 2>/dev/null || true
  wait "$GATEWAY_PID" 2>/dev/null || true
}

# base email password: registers the account and prints an access token (valid 1 h).
register_and_login() {
  local base=$1 body
  body=$(jq -cn --arg e "$2" --arg p "$3" '{email: $e, password: $p}')
  curl -sf --max-time 10 "$base/api/v1/auth/register" -H 'Content-Type: application/json' -d "$body" > /dev/null
  curl -sf --max-time 10 "$base/api/v1/auth/login" -H 'Content-Type: application/json' -d "$body" | jq -er .access_token
}

# Best effort: deletes the benchmark's account (and by cascade its keys, quota rows and conversations).
delete_account() {
  if [[ -z "${KEEP_DATA:-}" ]] && command -v psql > /dev/null; then
    timeout 30 psql -q "$DATABASE_URL" -c "DELETE FROM users WHERE email = '$1'" > /dev/null 2>&1 \
      || echo "could not delete the account $1" >&2
  fi
}

# The commit measured, for a table's heading: its short hash, "+ local changes" when tracked files differ from it.
commit_label() {
  local commit
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
  [[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit="$commit + local changes"
  echo "$commit"
}

machine() {
  echo "$(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
}

loadavg() {
  cut -d' ' -f1-3 /proc/loadavg
}
