#!/usr/bin/env bash
# What rate limits and daily quotas add per request: non-streaming chats at concurrency 64 through the gateway
# in production mode (PostgreSQL, Redis, a personal API key) against a fast fake (8 tokens, no pause), run four
# ways, each on a freshly started gateway: both on / limits off / quotas off / both off. Prints the rows, a check
# that each switch took effect, and what each check costs in gateway CPU per request.
#
#   bench/limits-cost.sh
#   ROUNDS=2 DURATION=20s bench/limits-cost.sh     # the four runs twice, interleaved, to see the noise
#
# Knobs (environment): CONCURRENCY (64), DURATION (20s), WARMUP (requests before measuring, 20000), ROUNDS (1),
# CONFIGS ("on limits-off quotas-off both-off"), FAKE_PORT (9182), GATEWAY_PORT (8182), and those of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

CONCURRENCY=${CONCURRENCY:-64}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-20000}
ROUNDS=${ROUNDS:-1}
CONFIGS=${CONFIGS:-"on limits-off quotas-off both-off"}
FAKE_PORT=${FAKE_PORT:-9182}
GATEWAY_PORT=${GATEWAY_PORT:-8182}
BASE="http://127.0.0.1:$GATEWAY_PORT"
ROWS="$LOG_DIR/limits-rows.md"
CHECKS="$LOG_DIR/limits-checks.md"
: > "$ROWS"
: > "$CHECKS"

switches() {
  case "$1" in
    on) ;;
    limits-off) echo "--sluice.limits.enabled=false" ;;
    quotas-off) echo "--sluice.quotas.enabled=false" ;;
    both-off) echo "--sluice.limits.enabled=false --sluice.quotas.enabled=false" ;;
    *) echo "unknown configuration $1" >&2; return 1 ;;
  esac
}

bench_build
start_fake "$FAKE_PORT" 8 0ms limits-fake.log
JSON=$(gateway_json "bench=$FAKE_PORT")
EMAIL="bench-limits-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
KEY=
LOADS=()
bound=$(( $(seconds "$DURATION") + 120 ))

for round in $(seq "$ROUNDS"); do
  for config in $CONFIGS; do
    # shellcheck disable=SC2046
    start_gateway "$GATEWAY_PORT" "limits-gateway-$config.log" "$JSON" $(switches "$config")
    if [[ -z "$KEY" ]]; then
      token=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
      KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
          -H 'Content-Type: application/json' -d '{"name": "limits-cost"}' | jq -er .key)
    fi
    # Did the switches take effect? Rate-limit headers on a chat, and what GET /api/v1/quota says.
    limited=$(curl -s -o /dev/null -D - --max-time 10 "$BASE/v1/chat/completions" -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' -d '{"model": "bench", "messages": [{"role": "user", "content": "hi"}]}' \
        | grep -ci '^x-ratelimit-limit:' || true)
    quota=$(curl -s --max-time 10 "$BASE/api/v1/quota" -H "Authorization: Bearer $KEY" | jq -c '{enabled}')
    echo "| $config | $([[ "$limited" -gt 0 ]] && echo on || echo off) | \`$quota\` |" >> "$CHECKS"

    echo "== $config (round $round): json x$CONCURRENCY for $DURATION" >&2
    LOADS+=("$config: $(loadavg)")
    timeout "$((bound + 30))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
        --url "$BASE/v1/chat/completions" --model bench --stream false --header "Authorization: Bearer $KEY" \
        --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" --timeout 10s \
        --deadline "${bound}s" --label "$config" --cpu-pid "$GATEWAY_PID" \
        | tee "$LOG_DIR/limits-$config-$round.txt" >&2
    tail -n 1 "$LOG_DIR/limits-$config-$round.txt" >> "$ROWS"
    stop_gateway
  done
done

echo
echo "Non-streaming chats (8 tokens, no pause) at concurrency $CONCURRENCY through the gateway in prod mode" \
     "(PostgreSQL, Redis, a personal API key), $DURATION per run after $WARMUP warm-up requests, a fresh gateway" \
     "per run, $ROUNDS round(s); $(machine); load avg (1/5/15 min) at each run's start: ${LOADS[*]}."
echo
echo "| run | rate-limit headers | GET /api/v1/quota |"
echo "|---|---|---|"
cat "$CHECKS"
echo
java "$QUIET" -cp "$CP" dev.sluice.bench.LoadClient --table-header
cat "$ROWS"
echo
# Means per configuration (columns of the LoadClient row: 2 run, 8 req/s, 13 total p50, 14 total p99, 15 CPU µs),
# then what each check costs, estimated twice: with the other check on, and with it off.
awk -F' *\\| *' '
  { n[$2]++; rps[$2] += $8; p50[$2] += $13; p99[$2] += $14; cpu[$2] += $15 }
  END {
    print "| configuration | runs | req/s | total p50 | total p99 | CPU µs/req |"
    print "|---|---:|---:|---:|---:|---:|"
    split("on limits-off quotas-off both-off", order, " ")
    for (i = 1; i <= 4; i++) { c = order[i]; if (n[c]) {
      m[c] = cpu[c] / n[c]; r[c] = rps[c] / n[c]
      printf "| %s | %d | %.0f | %.2f | %.2f | %.0f |\n", c, n[c], r[c], p50[c] / n[c], p99[c] / n[c], m[c] } }
    print ""
    if (n["on"] && n["limits-off"] && n["quotas-off"] && n["both-off"]) {
      printf "Rate limits: %+.0f µs/req with quotas on (on - limits-off), %+.0f µs/req with quotas off (quotas-off - both-off).\n", m["on"] - m["limits-off"], m["quotas-off"] - m["both-off"]
      printf "Quotas: %+.0f µs/req with limits on (on - quotas-off), %+.0f µs/req with limits off (limits-off - both-off).\n", m["on"] - m["quotas-off"], m["limits-off"] - m["both-off"]
      printf "Throughput: both on %.0f req/s, both off %.0f req/s (%+.0f%%).\n", r["on"], r["both-off"], (r["on"] / r["both-off"] - 1) * 100
    }
  }' "$ROWS"
