#!/usr/bin/env bash
# Time to first token of a cache hit: the same streaming chat, over and over, through the gateway in production mode
# (PostgreSQL, Redis, an access token, rate limits and quotas on), once with "Cache-Control: no-cache" (every request
# goes to the fake upstream: the live reference) and once with "Cache-Control: max-age=3600" (the first request is
# stored, every later one is replayed from Redis). The fake answers 64 tokens x 20 ms after a first token of
# FIRST_TOKEN, like a real provider; a hit should not wait for any of it. Prints one table.
#
#   bench/cache-hit.sh
#   CONCURRENCY="1 64" DURATION=20s bench/cache-hit.sh
#
# Knobs (environment): CONCURRENCY ("1 64"), DURATION (20s), WARMUP (requests before measuring, 3000),
# FIRST_TOKEN (200ms), TOKENS (64), INTERVAL (20ms), FAKE_PORT (9183), GATEWAY_PORT (8183), and those of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

CONCURRENCY=${CONCURRENCY:-"1 64"}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3000}
FIRST_TOKEN=${FIRST_TOKEN:-200ms}
TOKENS=${TOKENS:-64}
INTERVAL=${INTERVAL:-20ms}
FAKE_PORT=${FAKE_PORT:-9183}
GATEWAY_PORT=${GATEWAY_PORT:-8183}
BASE="http://127.0.0.1:$GATEWAY_PORT"
ROWS="$LOG_DIR/cache-rows.md"
: > "$ROWS"

bench_build

java "$QUIET" -Xms128m -Xmx512m -cp "$CP" dev.sluice.bench.FakeUpstream --port "$FAKE_PORT" --tokens "$TOKENS" \
    --interval "$INTERVAL" --first-token "$FIRST_TOKEN" > "$LOG_DIR/cache-fake.log" 2>&1 &
FAKE_PID=$!
BENCH_PIDS+=("$FAKE_PID")
wait_http "fake upstream :$FAKE_PORT" "http://127.0.0.1:$FAKE_PORT/v1/models" "$FAKE_PID" 30

# The cache on (its default policy: temperature 0, or opted in with max-age), under a key prefix of this run's own,
# so that entries of earlier runs cannot answer; they expire after ten minutes.
GATEWAY_JSON=$(gateway_json "bench=$FAKE_PORT" \
    "{\"enabled\":true,\"ttl\":\"10m\",\"key-prefix\":\"sluice:bench-cache:$(date +%s)-$$:\"}")
start_gateway "$GATEWAY_PORT" cache-gateway.log "$GATEWAY_JSON"

EMAIL="bench-cache-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
TOKEN=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
AUTH="Authorization: Bearer $TOKEN"

# Bounded and checked: the opted-in request must come back from the cache before anything is measured.
check_header() { # cache-control expected
  local got
  got=$(curl -s --max-time 30 -o /dev/null -D - "$BASE/v1/chat/completions" -H "$AUTH" -H "Cache-Control: $1" \
      -H 'Content-Type: application/json' \
      -d '{"model":"bench","stream":true,"messages":[{"role":"user","content":"Say hello to the benchmark in a few words."}]}' \
      | tr -d '\r' | awk -F': ' 'tolower($1) == "x-sluice-cache" {print $2}')
  if [[ "$got" != "$2" ]]; then
    echo "with Cache-Control: $1 expected X-Sluice-Cache: $2, got '${got}'" >&2
    return 1
  fi
}
check_header "max-age=3600" miss
sleep 1 # the write leaves the request path
check_header "max-age=3600" hit
check_header "no-cache" bypass

LOADS=()
bound=$(( $(seconds "$DURATION") + 240 ))
# label cache-control concurrency
run() {
  local label=$1 control=$2 conc=$3 warmup=$WARMUP warmup_conc=$3
  if [[ "$conc" -le 1 ]]; then warmup_conc=16; fi
  if [[ "$label" == *live* ]]; then warmup=$((conc * 4 + 50)); fi # live replies take 1.5 s each
  echo "== $label ($control) x$conc for $DURATION" >&2
  LOADS+=("$label x$conc: $(loadavg)")
  timeout "$((bound + 30))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
      --url "$BASE/v1/chat/completions" --model bench --stream true --header "$AUTH" --header "Cache-Control: $control" \
      --concurrency "$conc" --duration "$DURATION" --warmup "$warmup" --warmup-concurrency "$warmup_conc" \
      --deadline "${bound}s" --label "$label" --cpu-pid "$GATEWAY_PID" \
      | tee "$LOG_DIR/cache-$label-$conc.txt" >&2
  tail -n 1 "$LOG_DIR/cache-$label-$conc.txt" >> "$ROWS"
}

for conc in $CONCURRENCY; do
  run gateway-live "no-cache" "$conc"
  run gateway-hit "max-age=3600" "$conc"
done

echo
echo "Streaming chats of $TOKENS tokens x $INTERVAL after a first token of $FIRST_TOKEN, through the gateway in prod mode"
echo "(PostgreSQL, Redis, access token, rate limits and quotas on), $DURATION per run; live = Cache-Control: no-cache,"
echo "hit = Cache-Control: max-age=3600 (replayed from Redis); $(machine); load avg at each run's start: ${LOADS[*]}."
echo "CPU µs/req: the gateway's CPU time over the measured window, divided by the requests."
echo
java "$QUIET" -cp "$CP" dev.sluice.bench.LoadClient --table-header
cat "$ROWS"
