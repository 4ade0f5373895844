#!/usr/bin/env bash
# What the frameworks cost before the gateway's own work: W1 (non-streaming, 32 tokens, wrk -t2 -c64) through the
# nginx hop, through a bare Reactor Netty proxy and a bare WebFlux proxy (ProxyFloor: no Boot, no Security, no
# parsing), and through Sluice in production mode with a personal API key, twice: as configured by default (the reply
# streamed from the provider and gathered) and with the provider's whole-replies on (one JSON reply asked for), in
# ROUNDS interleaved rounds. Prints one line per window: requests/s, p50, the proxy's CPU per request from /proc.
#
# Knobs: ROUNDS (2), WIN (15 s), WARM (30 s for each floor proxy), SLUICE_WARM (120 s for each Sluice: C2 takes about that
# to settle on JDK 17), PORT_BASE (9600), and bench/lib.sh's (DATABASE_URL, REDIS_URL, JAVA, GATEWAY_OPTS, GATEWAY_ARGS,
# LOG_DIR). CP: the bench classpath (bench/classpath.sh), built if unset. About 9 min after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

ROUNDS=${ROUNDS:-2}
WIN=${WIN:-15}
WARM=${WARM:-30}
SLUICE_WARM=${SLUICE_WARM:-120}
PORT_BASE=${PORT_BASE:-9600}
FAST_PORT=$((PORT_BASE + 1))
NGINX_PORT=$((PORT_BASE + 10))
GATEWAY_PORT=$((PORT_BASE + 20))
WHOLE_PORT=$((PORT_BASE + 21))
NETTY_PORT=$((PORT_BASE + 30))
WEBFLUX_PORT=$((PORT_BASE + 31))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bench_build

start_floor() { # netty|webflux port
  java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.ProxyFloor "$1" "$2" "http://127.0.0.1:$FAST_PORT" \
      > "$LOG_DIR/floor-$1.log" 2>&1 &
  BENCH_PIDS+=("$!")
  FLOOR_PID=$!
  for _ in $(seq 150); do
    grep -q "^ProxyFloor" "$LOG_DIR/floor-$1.log" && return 0
    kill -0 "$FLOOR_PID" 2>/dev/null || { echo "ProxyFloor $1 exited early" >&2; return 1; }
    sleep 0.2
  done
  echo "ProxyFloor $1 did not start" >&2
  return 1
}

start_fake "$FAST_PORT" 32 0ms floor-fake.log
start_nginx floor-nginx "$NGINX_PORT" "$FAST_PORT" "$FAST_PORT" "$FAST_PORT"
start_floor netty "$NETTY_PORT"
NETTY_PID=$FLOOR_PID
start_floor webflux "$WEBFLUX_PORT"
WEBFLUX_PID=$FLOOR_PID
start_gateway "$GATEWAY_PORT" floor-gateway.log "$(gateway_json "fast=$FAST_PORT" '{}')"
STREAMED_PID=$GATEWAY_PID
start_gateway "$WHOLE_PORT" floor-gateway-whole.log "$(gateway_json "fast=$FAST_PORT" '{}')" \
    --sluice.providers.fast-upstream.whole-replies=true
WHOLE_PID=$GATEWAY_PID
BASE="http://127.0.0.1:$GATEWAY_PORT"
EMAIL="bench-floor-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
token=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name": "floor"}' | jq -er .key)

window() { # label url model key pids seconds [quiet]
  local out="$LOG_DIR/floor-$1.wrk" before after
  before=$(cpu_ticks "$5")
  timeout $(($6 + 60)) wrk -t2 -c64 -d"$6s" --timeout 60s --latency -s bench/wrk-chat.lua "$2" -- "$3" "$4" > "$out" 2>&1
  after=$(cpu_ticks "$5")
  [[ -n "${7:-}" ]] && return 0
  awk -v label="$1" -v before="$before" -v after="$after" '$1 == "wrk-row" {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      printf "%-8s %9.0f req/s  p50 %6.2f ms  CPU %5.0f µs/req  errors %d\n", label,
          f["requests"] * 1e6 / f["duration_us"], f["p50_us"] / 1000, (after - before) * 10000 / f["requests"],
          f["non2xx"] + f["connect"] + f["read"] + f["write"] + f["timeout"] }' "$out"
}

NGINX_URL="http://127.0.0.1:$NGINX_PORT/fast/v1/chat/completions"
NETTY_URL="http://127.0.0.1:$NETTY_PORT/v1/chat/completions"
WEBFLUX_URL="http://127.0.0.1:$WEBFLUX_PORT/v1/chat/completions"
SLUICE_URL="$BASE/v1/chat/completions"
WHOLE_URL="http://127.0.0.1:$WHOLE_PORT/v1/chat/completions"
echo "bench/floor.sh, $(date -u '+%F %H:%M') UTC, commit $(commit_label); $(machine)"
echo "warming: ${WARM}s each floor proxy, ${SLUICE_WARM}s each Sluice"
window netty "$NETTY_URL" bench-model bench "$NETTY_PID" "$WARM" quiet
window webflux "$WEBFLUX_URL" bench-model bench "$WEBFLUX_PID" "$WARM" quiet
window sluice "$SLUICE_URL" fast "$KEY" "$STREAMED_PID" "$SLUICE_WARM" quiet
window whole "$WHOLE_URL" fast "$KEY" "$WHOLE_PID" "$SLUICE_WARM" quiet
for _ in $(seq "$ROUNDS"); do
  window nginx "$NGINX_URL" bench-model bench "$NGINX_PIDS" "$WIN"
  window netty "$NETTY_URL" bench-model bench "$NETTY_PID" "$WIN"
  window webflux "$WEBFLUX_URL" bench-model bench "$WEBFLUX_PID" "$WIN"
  window sluice "$SLUICE_URL" fast "$KEY" "$STREAMED_PID" "$WIN"
  window whole "$WHOLE_URL" fast "$KEY" "$WHOLE_PID" "$WIN"
done
