#!/usr/bin/env bash
# Streaming baseline: the fake upstream called directly, then through the gateway, at concurrency 1 and
# 1000 (§10 of the design). The gateway runs in production mode (bench/lib.sh: PostgreSQL and Redis at
# DATABASE_URL and REDIS_URL) and is called with the access token of an account made for the run, deleted at the
# end. Prints one Markdown table. Every step is time-bounded; everything started here is stopped on exit.
#
#   bench/stream-baseline.sh                 # build, then run all
#   SKIP_BUILD=1 CP=... GW_CP=... bench/stream-baseline.sh
#   SKIP_GATEWAY=1 bench/stream-baseline.sh  # the direct runs only
#   SKIP_DIRECT=1 bench/stream-baseline.sh   # the gateway runs only (to compare two builds in one session)
#
# Knobs (environment): DURATION (30s), CONCURRENCY ("1 1000"), TOKENS (64), INTERVAL (20ms), WARMUP (streams
# before measuring: 300 at concurrency 1, else twice the concurrency; the gateway's JIT needs thousands to settle),
# FAKE_PORT (9100), FAST_PORT (9101), GATEWAY_PORT (8080), GATEWAY_OPTS (-Xms256m -Xmx1g),
# GATEWAY_JSON (replaces the generated SPRING_APPLICATION_JSON), LOG_DIR (target/bench-logs).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30s}
CONCURRENCY=${CONCURRENCY:-"1 1000"}
TOKENS=${TOKENS:-64}
INTERVAL=${INTERVAL:-20ms}
FAKE_PORT=${FAKE_PORT:-9100}
FAST_PORT=${FAST_PORT:-9101}
GATEWAY_PORT=${GATEWAY_PORT:-8080}
# shellcheck source=bench/lib.sh
source bench/lib.sh
ROWS="$LOG_DIR/rows.md"
: > "$ROWS"

# Thousands of sockets per process: take every file descriptor we are allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_build

# label url model key concurrency cpu-pid
run_load() {
  local label=$1 url=$2 model=$3 key=$4 conc=$5 pid=$6
  local warmup warmup_conc
  if [[ "$conc" -le 1 ]]; then
    # Warm the client's JIT with many short-lived users before measuring one.
    warmup=${WARMUP:-300}; warmup_conc=100
  else
    warmup=${WARMUP:-$((conc * 2))}; warmup_conc=$conc
  fi
  local bound=$(( $(seconds "$DURATION") + 240 ))
  echo "== $label: $model x$conc for $DURATION" >&2
  timeout "$((bound + 30))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
      --url "$url" --model "$model" --header "Authorization: Bearer $key" --stream true \
      --concurrency "$conc" --duration "$DURATION" --warmup "$warmup" --warmup-concurrency "$warmup_conc" \
      --deadline "${bound}s" --label "$label" --cpu-pid "$pid" \
      | tee "$LOG_DIR/$label-$model-$conc.txt" >&2
  tail -n 1 "$LOG_DIR/$label-$model-$conc.txt" >> "$ROWS"
}

# A fast fake for concurrency 1: short replies give thousands of latency samples instead of a few dozen.
start_fake "$FAST_PORT" 8 0ms fast.log
FAST_PID=$FAKE_PID
start_fake "$FAKE_PORT" "$TOKENS" "$INTERVAL" fake.log

for conc in $CONCURRENCY; do
  [[ -n "${SKIP_DIRECT:-}" ]] && break
  if [[ "$conc" -le 1 ]]; then
    run_load direct-fast "http://127.0.0.1:$FAST_PORT/v1/chat/completions" bench-model bench "$conc" "$FAST_PID"
  fi
  run_load direct "http://127.0.0.1:$FAKE_PORT/v1/chat/completions" bench-model bench "$conc" "$FAKE_PID"
done

GATEWAY_OK=1
if [[ -z "${SKIP_GATEWAY:-}" ]]; then
  # Auth, rate limits and quotas stay on, with budgets no benchmark reaches; the cache is off so that
  # identical benchmark prompts are not served from it.
  GATEWAY_JSON=${GATEWAY_JSON:-$(gateway_json "bench=$FAKE_PORT bench-fast=$FAST_PORT")}
  # Production mode (PostgreSQL, Redis), as design §10 measures it: an account's access token, limits and
  # quotas checked on every request.
  if start_gateway "$GATEWAY_PORT" gateway.log "$GATEWAY_JSON"; then
    EMAIL="bench-stream-$(date +%s)-$$@sluice.invalid"
    trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
    KEY=$(register_and_login "http://127.0.0.1:$GATEWAY_PORT" "$EMAIL" "bench password 1234")
    for conc in $CONCURRENCY; do
      if [[ "$conc" -le 1 ]]; then
        run_load gateway-fast "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" bench-fast "$KEY" "$conc" "$GATEWAY_PID"
      fi
      run_load gateway "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" bench "$KEY" "$conc" "$GATEWAY_PID"
    done
  else
    GATEWAY_OK=0
  fi
fi

echo
echo "Streams of $TOKENS tokens x $INTERVAL (fast: 8 tokens, no pause), $DURATION per run;" \
     "$(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), load avg $(cut -d' ' -f1-3 /proc/loadavg)."
echo "CPU µs/req: CPU time of the process behind the URL (the fake when direct, the gateway otherwise)."
echo
java "$QUIET" -cp "$CP" dev.sluice.bench.LoadClient --table-header
cat "$ROWS"
[[ "$GATEWAY_OK" == 1 ]]
