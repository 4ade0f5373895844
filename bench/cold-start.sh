#!/usr/bin/env bash
# How soon a replica started under load serves like a warm one (design §10, "cold"): W1 (non-streaming chats,
# 32 tokens, concurrency 64, wrk) sent from the moment a fresh gateway is ready, in production mode (PostgreSQL,
# Redis, a personal API key), run from its extracted jar as the image runs it. One row per variant:
#
#   jdk17              the JDK 17 on PATH
#   jdk25              Java 25 (JAVA25), no cache
#   jdk25-aot          Java 25 with the AOT cache of bench/aot-train.sh, trained on served chats (the image's way)
#   jdk25-aot-startup  Java 25 with an AOT cache trained on a start alone (-Dspring.context.exit=onRefresh)
#
# Time is counted in the gateway's own CPU seconds since readiness, not on the wall clock: on a machine that others
# keep busy the gateway gets a varying share of the cores, and what it has learnt by a point depends on the CPU it
# had. On 2 quiet cores a gateway under this load gets about 1.5 of them (wrk and the fake the rest), so its first
# 30 s are about 45 CPU-seconds. The load is one wrk run; each second's CPU per request goes to the window of
# CPU-seconds it ends in. "share" = warm CPU per request / CPU per request of the last cold window: the
# throughput the gateway has there as a share of its warm throughput, on the same cores. Wall-clock figures are
# in the row too (ready: launch to readiness; first 30 s: requests/s), but they only compare within one run.
#
#   bench/cold-start.sh
#   ROUNDS=2 VARIANTS="jdk17 jdk25-aot" bench/cold-start.sh
#   JVM_OPTS="-XX:+UseSerialGC -Xmx768m" VARIANTS=jdk25-aot bench/cold-start.sh   # trained and run with these
#   SKIP_TRAINING=1 VARIANTS="jdk25 jdk25-aot" bench/cold-start.sh                  # the caches of the last run
#
# Knobs (environment): VARIANTS (all four), ROUNDS (1), JVM_OPTS (the image's options, with the heap a 1 GiB limit
# gives), JAVA25 (/usr/lib/jvm/temurin-25-jdk-amd64/bin/java), COLD_WINDOW (15: CPU-seconds a cold window),
# COLD_WINDOWS (3), WARM_CPU (200: CPU-seconds of load before the warm window), WARM_WINDOW (30 CPU-seconds),
# LIMIT (1800: wall seconds of load a variant at most), SKIP_TRAINING=1 (reuse the caches in target/cold-start),
# FAKE_PORT (9183), GATEWAY_PORT (8183), TRAIN_* (bench/aot-train.sh), and those of bench/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

VARIANTS=${VARIANTS:-"jdk17 jdk25 jdk25-aot jdk25-aot-startup"}
ROUNDS=${ROUNDS:-1}
JVM_OPTS=${JVM_OPTS:-"-XX:+UseG1GC -Xmx768m -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED"}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
COLD_WINDOW=${COLD_WINDOW:-15}
COLD_WINDOWS=${COLD_WINDOWS:-3}
WARM_CPU=${WARM_CPU:-200}
WARM_WINDOW=${WARM_WINDOW:-30}
LIMIT=${LIMIT:-1800}
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

# Resident MB, and of it the anonymous part (heap, metaspace, code, stacks; the rest maps files: the AOT cache, jars).
rss_mb() { awk '/^VmRSS:/ { t = $2 } /^RssAnon:/ { a = $2 } END { printf "%.0f (anon %.0f)", t / 1024, a / 1024 }' "/proc/$1/status"; }

# series: W1 at the gateway, one wrk run, until the gateway has spent WARM_CPU + WARM_WINDOW CPU-seconds since
# readiness (or LIMIT wall seconds went by). wrk's threads print the replies of each wall second; a sampler reads the
# gateway's CPU ticks (100 a second) about every second. The series, a line between two samples: seconds since
# readiness and CPU ticks since readiness at both, replies (200) in between, other replies (and, on the last line,
# wrk's socket errors and timeouts).
WRK_LUA="$WORK/w1.lua"
load_series() {
  local series=$1 origin_ticks origin_s wrk_pid ticks stop=$(( (WARM_CPU + WARM_WINDOW) * 100 ))
  origin_ticks=$(cpu_ticks "$GATEWAY_PID")
  origin_s=$(date +%s)
  timeout "$((LIMIT + 60))" wrk -t 2 -c 64 -d "${LIMIT}s" --timeout 10s -s "$WRK_LUA" "$BASE/v1/chat/completions" \
      > "$series.wrk" &
  wrk_pid=$!
  : > "$series.cpu"
  while kill -0 "$wrk_pid" 2>/dev/null; do
    ticks=$(( $(cpu_ticks "$GATEWAY_PID") - origin_ticks ))
    echo "$(( $(date +%s) - origin_s )) $ticks" >> "$series.cpu"
    if (( ticks >= stop )); then kill -INT "$wrk_pid" 2>/dev/null || true; fi
    sleep 1
  done
  wait "$wrk_pid" || true
  awk -v origin="$origin_s" '
    FILENAME ~ /cpu$/ { n++; sec[n] = $1; at[n] = $2; next }
    NF == 3 && $1 ~ /^[0-9]+$/ { ok[$1 - origin] += $2; bad[$1 - origin] += $3 }
    /Socket errors/ { gsub(",", ""); lost = $4 + $6 + $8 + $10 }
    END {
      for (i = 1; i < n; i++) {
        r = 0; b = 0
        for (s = sec[i]; s < sec[i + 1]; s++) { r += ok[s]; b += bad[s] }
        print sec[i], sec[i + 1], at[i], at[i + 1], r, b + (i == n - 1 ? lost : 0)
      }
    }
  ' "$series.cpu" "$series.wrk" > "$series"
}

# series: the row's measures, from the seconds.
summarize() {
  awk -v window="$COLD_WINDOW" -v windows="$COLD_WINDOWS" -v warm="$WARM_CPU" '
    { cpu = ($4 - $3) / 100; w = int(($4 / 100) / window)
      if (w < windows) { wc[w] += cpu; wr[w] += $5 }
      if ($3 / 100 >= warm) { hc += cpu; hr += $5; hw += $2 - $1 }
      if ($2 <= 30) fr += $5
      errors += $6; total = $4 / 100; last = $2 }
    END {
      warmus = hr ? 1e6 * hc / hr : 0
      for (w = 0; w < windows; w++) printf "%.0f | ", wr[w] ? 1e6 * wc[w] / wr[w] : 0
      printf "%s | ", warmus ? sprintf("%.0f", warmus) : sprintf("not reached (%.0f CPU-s in %.0f s)", total, last)
      cold = wr[windows - 1] ? 1e6 * wc[windows - 1] / wr[windows - 1] : 0
      printf "%s | %.0f | %s | %d", (warmus && cold) ? sprintf("%.0f %%", 100 * warmus / cold) : "–",
        fr / 30, hw ? sprintf("%.0f", hr / hw) : "–", errors
    }' "$1"
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
if [[ " $VARIANTS " == *" jdk25-aot "* && -z "${SKIP_TRAINING:-}" ]]; then
  echo "== training the AOT cache on served chats" >&2
  # shellcheck disable=SC2086
  JAVA=$JAVA25 bench/aot-train.sh "$WORK/served.aot" "$JAR" $JVM_OPTS
fi
if [[ " $VARIANTS " == *" jdk25-aot-startup "* && -z "${SKIP_TRAINING:-}" ]]; then
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
-- Each thread prints "second replies others" once a second has passed (os.time: whole seconds).
local second, ok, bad = 0, 0, 0
function response(status, headers, body)
  local now = os.time()
  if now ~= second then
    if second ~= 0 then io.write(second, " ", ok, " ", bad, "\\n"); io.flush() end
    second, ok, bad = now, 0, 0
  end
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
LUA
# Best effort: on a busy machine the warm-up may take longer than its bound, and nothing measured depends on it.
timeout 60 wrk -t 2 -c 64 -d 20s -s "$WRK_LUA" "http://127.0.0.1:$FAKE_PORT/v1/chat/completions" > /dev/null || true

LOADS=()
for round in $(seq "$ROUNDS"); do
  for variant in $VARIANTS; do
    echo "== $variant (round $round)" >&2
    LOADS+=("$variant: $(loadavg)")
    launched=$(date +%s%N)
    JAVA=$(variant_java "$variant") GATEWAY_OPTS=$(variant_opts "$variant") GATEWAY_JAR=$JAR \
        start_gateway "$GATEWAY_PORT" "cold-start-$variant-$round.log" "$JSON"
    ready=$(( ($(date +%s%N) - launched) / 1000000 ))
    startup=$(cpu_ticks "$GATEWAY_PID")
    load_series "$LOG_DIR/cold-start-$variant-$round.series"
    echo "| $variant | $round | $(awk -v r="$ready" -v s="$startup" 'BEGIN { printf "%.1f | %.1f", r / 1000, s / 100 }') |" \
         "$(summarize "$LOG_DIR/cold-start-$variant-$round.series") | $(rss_mb "$GATEWAY_PID") |" | tee -a "$ROWS" >&2
    stop_gateway
  done
done

echo
echo "W1 (non-streaming, 32 tokens, concurrency 64, wrk) on a gateway just ready, production mode" \
     "(PostgreSQL, Redis, a personal API key), extracted jar; JVM options: $JVM_OPTS; cold windows of" \
     "$COLD_WINDOW CPU-seconds of the gateway since readiness, warm after $WARM_CPU CPU-seconds" \
     "(over $WARM_WINDOW); $(machine); load avg (1/5/15 min) at each start: ${LOADS[*]}."
echo
header="| variant | round | ready (s) | startup CPU (s) |"
rule="|---|---:|---:|---:|"
for w in $(seq "$COLD_WINDOWS"); do
  header+=" CPU µs/req, $(( (w - 1) * COLD_WINDOW ))–$(( w * COLD_WINDOW )) CPU-s |"
  rule+="---:|"
done
echo "$header warm CPU µs/req | share | req/s, first 30 s wall | req/s warm | errors | RSS MB at the end (anon) |"
echo "$rule---:|---:|---:|---:|---:|---:|"
cat "$ROWS"
