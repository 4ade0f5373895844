#!/usr/bin/env bash
# Reading history: GET /api/v1/conversations/{id}/messages?limit=20 under load, through the gateway in
# production mode (PostgreSQL, Redis, an access token). One conversation of TURNS x 2 messages is made through
# POST /api/v1/chat against a fake upstream, then read at each concurrency for DURATION. Prints one table.
#
#   bench/history-read.sh
#   CONCURRENCY="16 64" DURATION=20s TURNS=25 bench/history-read.sh
#
# Knobs (environment): CONCURRENCY ("8 16 64"), DURATION (20s), WARMUP (requests before measuring, 100000, by
# WARMUP_CONCURRENCY users: 64, so that the JIT is as warm before a run at 8 as before one at 64; on 2 cores the
# JIT needs about a minute and a half of this load to settle, and a shorter warm-up measures the JIT), TURNS (25),
# LIMIT (20, the page size), FAKE_PORT (9181), GATEWAY_PORT (8181), and those of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

CONCURRENCY=${CONCURRENCY:-"8 16 64"}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-100000}
WARMUP_CONCURRENCY=${WARMUP_CONCURRENCY:-64}
TURNS=${TURNS:-25}
LIMIT=${LIMIT:-20}
FAKE_PORT=${FAKE_PORT:-9181}
GATEWAY_PORT=${GATEWAY_PORT:-8181}
BASE="http://127.0.0.1:$GATEWAY_PORT"
ROWS="$LOG_DIR/history-rows.md"
: > "$ROWS"

bench_build
start_fake "$FAKE_PORT" 8 0ms history-fake.log
start_gateway "$GATEWAY_PORT" history-gateway.log "$(gateway_json "bench=$FAKE_PORT")"

EMAIL="bench-history-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
TOKEN=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
AUTH="Authorization: Bearer $TOKEN"

echo "== a conversation of $TURNS turns" >&2
CID=
for i in $(seq "$TURNS"); do
  body=$(jq -cn --arg c "$CID" --arg p "Question $i of the history benchmark: what comes next after $i?" \
      '{model: "bench", stream: false, prompt: $p} + (if $c == "" then {} else {conversation_id: $c} end)')
  CID=$(curl -sf --max-time 10 "$BASE/api/v1/chat" -H "$AUTH" -H 'Content-Type: application/json' -d "$body" \
      | jq -er .conversation_id)
done
URL="$BASE/api/v1/conversations/$CID/messages?limit=$LIMIT"

# History is written behind the request path: wait (bounded) until every message is stored.
want=$((TURNS * 2))
stored=0
for _ in $(seq 150); do
  stored=$(curl -sf --max-time 2 "$BASE/api/v1/conversations/$CID/messages?limit=100" -H "$AUTH" | jq '.items | length')
  [[ "$stored" -ge "$want" ]] && break
  sleep 0.2
done
if [[ "$stored" -lt "$want" ]]; then
  echo "only $stored of $want messages stored after 30 s" >&2
  exit 1
fi
echo "conversation $CID: $stored messages stored; page of $LIMIT: $(curl -sf "$URL" -H "$AUTH" | wc -c) bytes" >&2

LOADS=()
bound=$(( $(seconds "$DURATION") + 120 ))
for conc in $CONCURRENCY; do
  echo "== GET messages?limit=$LIMIT x$conc for $DURATION" >&2
  LOADS+=("x$conc: $(loadavg)")
  timeout "$((bound + 30))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
      --url "$URL" --method GET --header "$AUTH" --concurrency "$conc" --duration "$DURATION" \
      --warmup "$WARMUP" --warmup-concurrency "$WARMUP_CONCURRENCY" --timeout 10s --deadline "${bound}s" --label history-read --cpu-pid "$GATEWAY_PID" \
      | tee "$LOG_DIR/history-read-$conc.txt" >&2
  tail -n 1 "$LOG_DIR/history-read-$conc.txt" >> "$ROWS"
done

echo
echo "GET /api/v1/conversations/{id}/messages?limit=$LIMIT (a conversation of $want messages), access token," \
     "gateway in prod mode on PostgreSQL and Redis, $DURATION per run after $WARMUP warm-up requests by $WARMUP_CONCURRENCY users;" \
     "$(machine); load avg (1/5/15 min) at each run's start: ${LOADS[*]}."
echo "CPU µs/req: the gateway's CPU time over the measured window, divided by the requests."
echo
java "$QUIET" -cp "$CP" dev.sluice.bench.LoadClient --table-header
cat "$ROWS"
