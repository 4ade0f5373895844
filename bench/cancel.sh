#!/usr/bin/env bash
# Client disconnect -> upstream cancel (design §10: within tens of milliseconds; issue 13: 50 ms). Streams against a
# paced fake, each client closing its connection after CHUNKS data events, once directly (the measurement's own
# floor: the fake noticing a closed socket), once through the nginx hop (bench/nginx-hop.conf) and once through
# Sluice in production mode with a personal API key. LoadClient logs the instant of each close by the request id it
# puts into the prompt; the fake stamps the instant each reply was cancelled by the same id (GET /bench/cancels);
# both read one wall clock. Joined by id, per path: cancels measured, unmatched (closes the fake never saw cancelled),
# p50 / p99 / max of close -> cancel. Prints one Markdown table.
#
#   bench/cancel.sh
#   CONCURRENCY=20 DURATION=10s bench/cancel.sh
#
# Knobs (environment): PATHS ("direct nginx sluice"), CONCURRENCY (50), DURATION (15s, measured), WARMUP (20s per
# path, unmeasured, cancelling the same way), CHUNKS (3), TOKENS (64), INTERVAL (20ms), FAKE_PORT (9195), NGINX_PORT
# (9196), GATEWAY_PORT (8195), NGINX (nginx), and those of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

PATHS=${PATHS:-"direct nginx sluice"}
CONCURRENCY=${CONCURRENCY:-50}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-20s}
CHUNKS=${CHUNKS:-3}
TOKENS=${TOKENS:-64}
INTERVAL=${INTERVAL:-20ms}
FAKE_PORT=${FAKE_PORT:-9195}
NGINX_PORT=${NGINX_PORT:-9196}
GATEWAY_PORT=${GATEWAY_PORT:-8195}
NGINX=${NGINX:-nginx}
BASE="http://127.0.0.1:$GATEWAY_PORT"
ROWS="$LOG_DIR/cancel-rows.md"
: > "$ROWS"
STARTED=$(date +%s)
LOAD_START=$(loadavg)
COMMIT=$(commit_label)

# Every cancel closes a connection and the next stream opens one: take every file descriptor we are allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_build

start_fake "$FAKE_PORT" "$TOKENS" "$INTERVAL" cancel-fake.log

if [[ " $PATHS " == *" nginx "* ]]; then
  # The hop's three upstreams all at the one fake; the paced location is used.
  start_nginx cancel-nginx "$NGINX_PORT" "$FAKE_PORT" "$FAKE_PORT" "$FAKE_PORT"
fi

if [[ " $PATHS " == *" sluice "* ]]; then
  start_gateway "$GATEWAY_PORT" cancel-gateway.log "$(gateway_json "bench=$FAKE_PORT")"
  EMAIL="bench-cancel-$(date +%s)-$$@sluice.invalid"
  trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
  token=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
  KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d '{"name": "cancel"}' | jq -er .key)
fi

# One row: the closes (id, µs) joined with the fake's cancels (id, µs) by id; nearest-rank percentiles.
row() { # label closes.tsv cancels.tsv
  awk -F'\t' 'NR == FNR { cancelled[$1] = $2; next }
               $1 in cancelled { printf "%.3f\n", (cancelled[$1] - $2) / 1000; next }
               { print "unmatched" }' "$3" "$2" \
    | sort -g \
    | awk -v label="$1" '
        $1 == "unmatched" { unmatched++; next }
        { ms[++n] = $1 }
        function at(p,  i) { i = int(p * n / 100); if (i < p * n / 100) i++; return ms[i] }
        END {
          if (n == 0) { printf "| %s | 0 | %d | – | – | – |\n", label, unmatched; exit }
          printf "| %s | %d | %d | %.2f | %.2f | %.2f |\n", label, n, unmatched, at(50), at(99), ms[n]
        }'
}

bound=$(( $(seconds "$WARMUP") + $(seconds "$DURATION") + 120 ))
LOADS=()
for path in $PATHS; do
  case "$path" in
    direct) url="http://127.0.0.1:$FAKE_PORT/v1/chat/completions" model=bench-model auth=bench ;;
    nginx) url="http://127.0.0.1:$NGINX_PORT/paced/v1/chat/completions" model=bench-model auth=bench ;;
    sluice) url="$BASE/v1/chat/completions" model=bench auth=$KEY ;;
    *) echo "unknown path $path (direct, nginx, sluice)" >&2; exit 2 ;;
  esac
  echo "== $path: $CONCURRENCY streams closing after $CHUNKS chunks, $WARMUP warm-up, $DURATION measured" >&2
  LOADS+=("$path: $(loadavg)")
  closes="$LOG_DIR/cancel-$path-client.tsv"
  timeout "$((bound + 30))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
      --url "$url" --model "$model" --stream true --header "Authorization: Bearer $auth" \
      --concurrency "$CONCURRENCY" --warmup-for "$WARMUP" --duration "$DURATION" --deadline "${bound}s" \
      --cancel-after-chunks "$CHUNKS" --cancel-log "$closes" --label "$path" \
      > "$LOG_DIR/cancel-$path.txt"
  sed '$d' "$LOG_DIR/cancel-$path.txt" >&2
  # The last closes reach the fake within milliseconds; a cancel that takes longer than this counts as unmatched.
  sleep 2
  timeout 30 curl -sf --max-time 20 "http://127.0.0.1:$FAKE_PORT/bench/cancels" > "$LOG_DIR/cancel-$path-fake.tsv"
  row "$path" "$closes" "$LOG_DIR/cancel-$path-fake.tsv" >> "$ROWS"
done

echo
echo "**bench/cancel.sh**, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $(( ($(date +%s) - STARTED + 59) / 60 )) min."
echo "Machine: $(machine), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r); load avg (1/5/15 min)" \
     "$LOAD_START at the start, $(loadavg) at the end; at each path's start: ${LOADS[*]}. Sluice: $("$JAVA" -version 2>&1 | head -n 1)," \
     "\`$GATEWAY_OPTS${GATEWAY_JAR:+ -jar $GATEWAY_JAR}\`, production mode. LoadClient and fake: $(java -version 2>&1 | head -n 1)." \
     "nginx: $("$NGINX" -v 2>&1 | sed 's/.*version: //')."
echo "$CONCURRENCY streams of $TOKENS tokens x $INTERVAL, each closed by its client after $CHUNKS data events; $WARMUP" \
     "warm-up, then $DURATION measured per path. Close -> cancel: the client's instant just before it closed its" \
     "connection to the fake's instant of seeing that reply cancelled, ms. Unmatched: measured closes the fake never saw."
echo
echo "| path | cancels measured | unmatched | p50 | p99 | max |"
echo "|---|---:|---:|---:|---:|---:|"
cat "$ROWS"
