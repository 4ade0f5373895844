#!/usr/bin/env bash
# How soon a replica started under load serves like a warm one (design §10, "cold"): W1 (non-streaming chats,
# 32 tokens, concurrency 64, wrk) sent from the moment a fresh gateway is ready, in production mode (PostgreSQL,
# Redis, a personal API key), run from its extracted jar as the image runs it. Requests/s and the gateway's CPU per
# request in three 10-s windows after readiness, then again warm (after WARMUP more of load); the row's "share" is
# the last cold window's throughput over the warm one. One row per variant:
#
#   jdk17              the JDK 17 on PATH
#   jdk25              Java 25 (JAVA25), no cache
#   jdk25-aot          Java 25 with the AOT cache of bench/aot-train.sh, trained on served chats (the image's way)
#   jdk25-aot-startup  Java 25 with an AOT cache trained on a start alone (-Dspring.context.exit=onRefresh)
#
#   bench/cold-start.sh
#   ROUNDS=2 VARIANTS="jdk17 jdk25-aot" bench/cold-start.sh
#   JVM_OPTS="-XX:+UseSerialGC -Xmx768m" VARIANTS=jdk25-aot bench/cold-start.sh   # trained and run with these
#
# Knobs (environment): VARIANTS (all four), ROUNDS (1), JVM_OPTS (the image's flags, the heap a 1 GiB limit gives),
# JAVA25 (/usr/lib/jvm/temurin-25-jdk-amd64/bin/java), WINDOW (10s), COLD_WINDOWS (3), WARMUP (90s),
# WARM_WINDOW (20s), FAKE_PORT (9183), GATEWAY_PORT (8183), TRAIN_* (bench/aot-train.sh), and those of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

VARIANTS=${VARIANTS:-"jdk17 jdk25 jdk25-aot jdk25-aot-startup"}
ROUNDS=${ROUNDS:-1}
JVM_OPTS=${JVM_OPTS:-"-XX:+UseG1GC -Xms512m -Xmx768m -XX:+ExitOnOutOfMemoryError"}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
WINDOW=${WINDOW:-10s}
COLD_WINDOWS=${COLD_WINDOWS:-3}
WARMUP=${WARMUP:-90s}
WARM_WINDOW=${WARM_WINDOW:-20s}
FAKE_PORT=${FAKE_PORT:-9183}
GATEWAY_PORT=${GATEWAY_PORT:-8183}
BASE="http://127.0.0.1:$GATEWAY_PORT"
WORK=target/cold-start
ROWS="$LOG_DIR/cold-start-rows.md"
: > "$ROWS"

# The jar as the image has it: packaged, then extracted (the AOT cache only applies to the extracted form).
if [[ -z "${SKIP_BUILD:-}" ]]; then
  echo "building..." >&2
  timeout 600 ./mvnw -q -B -Dmaven.test.skip=true package >&2
  rm -rf "$WORK/app"
  mkdir -p "$WORK"
  cp target/sluice-gateway-*.jar "$WORK/app.jar"
  java -Djarmode=tools -jar "$WORK/app.jar" extract --destination "$WORK/app" >&2
fi
bench_build
JAR="$PWD/$WORK/app/app.jar"
JSON=$(gateway_json "bench=$FAKE_PORT")

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Resident MB, and of it the anonymous part (heap, metaspace, code, stacks; the rest maps files: the AOT cache, jars).
rss_mb() { awk '/^VmRSS:/ { t = $2 } /^RssAnon:/ { a = $2 } END { printf "%.0f (anon %.0f)", t / 1024, a / 1024 }' "/proc/$1/status"; }

# label duration: wrk at the gateway; sets RPS, CPU (gateway µs per request) and ERRS.
WRK_LUA="$WORK/w1.lua"
wrk_window() {
  local label=$1 duration=$2 before after out requests
  before=$(cpu_ticks "$GATEWAY_PID")
  out=$(timeout "$(( $(seconds "$duration") + 30 ))" wrk -t 2 -c 64 -d "$duration" --timeout 10s -s "$WRK_LUA" \
      "$BASE/v1/chat/completions")
  after=$(cpu_ticks "$GATEWAY_PID")
  echo "$out" > "$LOG_DIR/cold-start-$label.txt"
  requests=$(awk '/requests in/ { print $1 }' <<< "$out")
  RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<< "$out")
  ERRS=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' <<< "$out")
  CPU=$(( requests > 0 ? (after - before) * 10000 / requests : 0 ))
}

# variant: the java and the options that variant runs with.
variant_java() { if [[ $1 == jdk17 ]]; then echo java; else echo "$JAVA25"; fi; }
variant_opts() {
  case "$1" in
    jdk17 | jdk25) echo "$JVM_OPTS" ;;
    jdk25-aot) echo "$JVM_OPTS -XX:AOTCache=$PWD/$WORK/served.aot" ;;
    jdk25-aot-startup) echo "$JVM_OPTS -XX:AOTCache=$PWD/$WORK/startup.aot" ;;
    *) echo "unknown variant $1" >&2; return 1 ;;
  esac
}

start_fake "$FAKE_PORT" 32 0ms cold-start-fake.log

# The caches, trained with the options they run with.
if [[ " $VARIANTS " == *" jdk25-aot "* ]]; then
  echo "== training the AOT cache on served chats" >&2
  # shellcheck disable=SC2086
  GATEWAY_JAVA=$JAVA25 bench/aot-train.sh "$WORK/served.aot" "$JAR" $JVM_OPTS
fi
if [[ " $VARIANTS " == *" jdk25-aot-startup "* ]]; then
  echo "== training the AOT cache on a start alone" >&2
  # shellcheck disable=SC2086
  DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" SLUICE_AUTH_JWT_SECRET=$BENCH_JWT_SECRET SPRING_APPLICATION_JSON="$JSON" \
      timeout 300 "$JAVA25" $JVM_OPTS -XX:AOTCacheOutput="$PWD/$WORK/startup.aot" -Dspring.context.exit=onRefresh \
      -jar "$JAR" --logging.level.root=WARN > "$LOG_DIR/cold-start-train-startup.log" 2>&1
  ls -la "$WORK/startup.aot" >&2
fi

# One account and key for every run (PostgreSQL keeps them), made on a gateway of its own so that no measured
# gateway serves the sign-up; the fake warmed up meanwhile, so that its JIT is done before any measured window.
EMAIL="bench-cold-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
GATEWAY_JAR=$JAR start_gateway "$GATEWAY_PORT" cold-start-setup.log "$JSON"
token=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name": "cold-start"}' | jq -er .key)
stop_gateway
cat > "$WRK_LUA" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.body = '{"model": "bench", "stream": false, "messages": [{"role": "user", "content": "Say hello."}]}'
LUA
timeout 60 wrk -t 2 -c 64 -d 20s -s "$WRK_LUA" "http://127.0.0.1:$FAKE_PORT/v1/chat/completions" > /dev/null

LOADS=()
for round in $(seq "$ROUNDS"); do
  for variant in $VARIANTS; do
    echo "== $variant (round $round)" >&2
    LOADS+=("$variant: $(loadavg)")
    launched=$(date +%s%N)
    GATEWAY_JAVA=$(variant_java "$variant") GATEWAY_OPTS=$(variant_opts "$variant") GATEWAY_JAR=$JAR \
        start_gateway "$GATEWAY_PORT" "cold-start-$variant-$round.log" "$JSON"
    ready=$(( ($(date +%s%N) - launched) / 1000000 ))
    cold=()
    for w in $(seq "$COLD_WINDOWS"); do
      wrk_window "$variant-$round-cold$w" "$WINDOW"
      cold+=("$RPS / $CPU")
      last=$RPS errors=$ERRS
    done
    wrk_window "$variant-$round-warmup" "$WARMUP"
    wrk_window "$variant-$round-warm" "$WARM_WINDOW"
    echo "| $variant | $round | $(awk -v r="$ready" 'BEGIN { printf "%.1f", r / 1000 }') | ${cold[*]/%/ |} $RPS / $CPU |" \
         "$(awk -v c="$last" -v w="$RPS" 'BEGIN { printf "%.0f %%", (w > 0) ? 100 * c / w : 0 }') | $(rss_mb "$GATEWAY_PID") |" \
         "$(( errors + ERRS )) |" | tee -a "$ROWS" >&2
    stop_gateway
  done
done

echo
echo "W1 (non-streaming, 32 tokens, concurrency 64, wrk) on a gateway just ready, production mode (PostgreSQL, Redis," \
     "a personal API key), extracted jar; JVM options: $JVM_OPTS; $COLD_WINDOWS cold windows of $WINDOW from readiness," \
     "then $WARMUP more of load and a warm window of $WARM_WINDOW; $(machine); load avg (1/5/15 min) at each start:" \
     "${LOADS[*]}."
echo
header="| variant | round | ready (s) |"
rule="|---|---:|---:|"
for w in $(seq "$COLD_WINDOWS"); do
  header+=" $(( (w - 1) * $(seconds "$WINDOW") ))–$(( w * $(seconds "$WINDOW") )) s: req/s / CPU µs |"
  rule+="---:|"
done
echo "$header warm: req/s / CPU µs | share (last cold / warm) | RSS MB warm (anon) | errors |"
echo "$rule---:|---:|---:|---:|"
cat "$ROWS"
