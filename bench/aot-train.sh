#!/usr/bin/env bash
# Trains the JVM's ahead-of-time cache (Java 25: JEP 483 classes loaded and linked, JEP 514 one-step creation,
# JEP 515 method profiles) on a gateway that serves chats, not one that only starts: the fake upstream, the
# gateway in production mode from its extracted jar with -XX:AOTCacheOutput, an account and an API key,
# non-streaming then streaming chats at concurrency 64, then a graceful stop, at which the JVM writes the cache.
# The Dockerfile's training stage runs it; bench/cold-start.sh too, with the same arguments.
#
#   bench/aot-train.sh OUTPUT.aot APP.jar [JVM option...]
#
# The JVM options must be those the cache will run with (the garbage collector above all): the JVM ignores a
# cache made under other ones, with a warning. Environment: CP (the fake and the load client: bench classes and
# the gateway's libraries), JAVA (a Java 25 or later, default the one on PATH), DATABASE_URL, REDIS_URL,
# TRAIN_REQUESTS (per workload, 20000), TRAIN_DEADLINE (per workload, 300s: a slower machine trains on fewer),
# TRAIN_FAKE_PORT (9190), TRAIN_GATEWAY_PORT (8190), LOG_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

OUTPUT=${1:?usage: bench/aot-train.sh OUTPUT.aot APP.jar [JVM option...]}
GATEWAY_JAR=${2:?usage: bench/aot-train.sh OUTPUT.aot APP.jar [JVM option...]}
shift 2
TRAIN_REQUESTS=${TRAIN_REQUESTS:-20000}
TRAIN_DEADLINE=${TRAIN_DEADLINE:-300s}
TRAIN_FAKE_PORT=${TRAIN_FAKE_PORT:-9190}
TRAIN_GATEWAY_PORT=${TRAIN_GATEWAY_PORT:-8190}
BASE="http://127.0.0.1:$TRAIN_GATEWAY_PORT"
: "${CP:?CP (bench classes and the gateway libraries) is not set}"
rm -f "$OUTPUT"

start_fake "$TRAIN_FAKE_PORT" 32 0ms aot-train-fake.log
# The cache's path is absolute: the JVM writes it when it exits, from the gateway's working directory.
GATEWAY_OPTS="$* -XX:AOTCacheOutput=$(realpath -m "$OUTPUT")"
start_gateway "$TRAIN_GATEWAY_PORT" aot-train-gateway.log "$(gateway_json "bench=$TRAIN_FAKE_PORT")"
EMAIL="aot-train-$(date +%s)-$$@sluice.invalid"
token=$(register_and_login "$BASE" "$EMAIL" "aot training password")
KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name": "aot-train"}' | jq -er .key)

for stream in false true; do
  echo "training: $TRAIN_REQUESTS chats, stream=$stream" >&2
  # Exit code 3: the deadline cut the run short, which only makes the training shorter.
  status=0
  timeout "$(( $(seconds "$TRAIN_DEADLINE") + 60 ))" java "$QUIET" -Xmx256m -cp "$CP" dev.sluice.bench.LoadClient \
      --url "$BASE/v1/chat/completions" --model bench --stream "$stream" --header "Authorization: Bearer $KEY" \
      --concurrency 64 --requests "$TRAIN_REQUESTS" --timeout 10s --deadline "$TRAIN_DEADLINE" --label "train-$stream" \
      > "$LOG_DIR/aot-train-$stream.txt" || status=$?
  if [[ $status -ne 0 && $status -ne 3 ]]; then cat "$LOG_DIR/aot-train-$stream.txt" >&2; exit "$status"; fi
  tail -n 1 "$LOG_DIR/aot-train-$stream.txt" >&2
done
# What a replica also serves: probes and scrapes.
for path in /actuator/health/readiness /actuator/health/liveness /actuator/prometheus; do
  curl -sf -o /dev/null --max-time 10 "$BASE$path"
done
delete_account "$EMAIL"

# SIGTERM: a graceful shutdown, then the JVM assembles the cache in a child JVM before it exits (a minute at most).
kill "$GATEWAY_PID"
for _ in $(seq 1800); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$GATEWAY_PID" 2>/dev/null || [[ ! -s "$OUTPUT" ]]; then
  echo "no AOT cache at $OUTPUT; the gateway's log:" >&2
  tail -n 40 "$LOG_DIR/aot-train-gateway.log" >&2
  exit 1
fi
echo "AOT cache: $OUTPUT ($(du -h "$OUTPUT" | cut -f1))" >&2
