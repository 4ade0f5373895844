#!/usr/bin/env bash
# Memory across repeated loads (design §10: "flat memory across repeated loads"): ONE gateway in production mode
# (PostgreSQL, Redis, a personal API key; rate limits and quotas on with budgets no run reaches; the cache at its
# default) gets ROUNDS identical rounds of load, each LOAD of non-streaming chats then LOAD of streaming ones (wrk
# with bench/wrk-chat.lua, 32 tokens without pauses, concurrency CONCURRENCY, bench/workloads.sh's W1 and W2).
# After each round, once the gateway's write-behind buffers have drained: a full GC (jcmd GC.run), then the heap
# used after it and Metaspace (jcmd GC.heap_info), RSS (VmRSS), open file descriptors and threads (/proc), the
# direct buffers (jvm_buffer_memory_used_bytes{id="direct"}: Netty's pooled arenas on JDK 17, whose buffers have
# a Cleaner and so count there) and the history backlog (/actuator/prometheus). Row 0 is the gateway idle after
# startup. A leak shows as heap after GC, RSS, descriptors or threads growing round over round; the first round
# also pays class loading, the JIT and the pools' warm-up. Heap histograms (jcmd GC.class_histogram, live objects)
# after the first and the last round are diffed: the classes that grew most are printed under the table.
#
#   bench/memory.sh                                     # builds, then ~6 min; one table
#   ROUNDS=3 LOAD=10s bench/memory.sh                   # a smoke run, ~2 min
#
# Knobs (environment): ROUNDS (5), LOAD (30s per half round), CONCURRENCY (64), SETTLE (30: at most that many
# seconds for the history backlog and the quota settlements to drain before the GC), PORT_BASE (9500: the fake +1,
# the gateway +20), WRK (wrk), and those of bench/lib.sh (DATABASE_URL, REDIS_URL, JAVA, GATEWAY_OPTS, GATEWAY_JAR,
# GATEWAY_ARGS, SKIP_BUILD with CP and GW_CP, LOG_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

ROUNDS=${ROUNDS:-5}
LOAD=${LOAD:-30s}
CONCURRENCY=${CONCURRENCY:-64}
SETTLE=${SETTLE:-30}
PORT_BASE=${PORT_BASE:-9500}
FAKE_PORT=$((PORT_BASE + 1))
GATEWAY_PORT=$((PORT_BASE + 20))
WRK=${WRK:-wrk}
BASE="http://127.0.0.1:$GATEWAY_PORT"
ROWS="$LOG_DIR/memory-rows.md"
: > "$ROWS"
FAILED=0
STARTED=$(date +%s)
LOAD_START=$(loadavg)
COMMIT=$(commit_label)

bench_build
start_fake "$FAKE_PORT" 32 0ms memory-fake.log
start_gateway "$GATEWAY_PORT" memory-gateway.log "$(gateway_json "bench=$FAKE_PORT" '{}')"
EMAIL="bench-memory-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
token=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name": "memory"}' | jq -er .key)

metrics() { curl -sf --max-time 10 "$BASE/actuator/prometheus"; }
# name [label filter]: the sum of a gauge's samples in the metrics text on stdin; "" if none.
gauge() {
  awk -v name="$1" -v filter="${2:-}" '
    $1 ~ "^" name "([{]|$)" && (filter == "" || index($1, filter)) { sum += $NF; seen = 1 }
    END { if (seen) printf "%.0f", sum }'
}
# Waits, at most SETTLE seconds, for the history backlog and the pending quota settlements to reach 0, so that the
# GC after a round does not count what the write-behind still holds for the database.
settle() {
  local m backlog="?" pending="?"
  for _ in $(seq "$((SETTLE * 2))"); do
    if m=$(metrics); then
      backlog=$(gauge sluice_history_backlog <<< "$m")
      pending=$(gauge sluice_quota_settlements_pending <<< "$m")
      [[ "${backlog:-0}" == 0 && "${pending:-0}" == 0 ]] && return 0
    fi
    sleep 0.5
  done
  echo "   not drained after ${SETTLE}s: history backlog $backlog, settlements pending $pending" >&2
}
# round requests errors: a full GC, then one table row of what the gateway holds after it.
measure() {
  local heap m direct
  timeout 60 jcmd "$GATEWAY_PID" GC.run > /dev/null
  # G1 and Parallel: "garbage-first heap   total 262144K, used 40960K [..."; Metaspace: "Metaspace used 80000K, ...".
  heap=$(timeout 30 jcmd "$GATEWAY_PID" GC.heap_info | awk '
    { gsub(/,/, "") }
    function mb(s) { u = substr(s, length(s)); n = s + 0; return u == "K" ? n / 1024 : u == "G" ? n * 1024 : n }
    / heap / && !h { for (i = 1; i < NF; i++) if ($i == "used") { h = mb($(i + 1)) } }
    $1 == "Metaspace" { for (i = 1; i < NF; i++) if ($i == "used") { ms = mb($(i + 1)) } }
    END { printf "%.1f\t%.1f", h, ms }')
  m=$(metrics) || m=""
  direct=$(gauge jvm_buffer_memory_used_bytes 'id="direct"' <<< "$m")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "${heap%%$'\t'*}" "${heap#*$'\t'}" \
      "$(awk '$1 == "VmRSS:" { printf "%.0f", $2 / 1024 }' "/proc/$GATEWAY_PID/status")" \
      "$(awk -v d="$direct" 'BEGIN { print d == "" ? "–" : sprintf("%.1f", d / 1048576) }')" \
      "$(find "/proc/$GATEWAY_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
      "$(awk '$1 == "Threads:" { print $2 }' "/proc/$GATEWAY_PID/status")" \
      "$(gauge sluice_history_backlog <<< "$m" | grep . || echo –)" | tee -a "$ROWS" >&2
}
# stream out: LOAD of wrk against the gateway, its summary in out.
load() {
  timeout "$(( $(seconds "$LOAD") + 60 ))" "$WRK" -t "$(( CONCURRENCY < $(nproc) ? CONCURRENCY : $(nproc) ))" \
      -c "$CONCURRENCY" --timeout 60s -d "$(seconds "$LOAD")s" -s bench/wrk-chat.lua "$BASE/v1/chat/completions" \
      -- bench "$KEY" "$1" > "$2" 2>&1 || { echo "   wrk failed (see $2)" >&2; FAILED=1; }
}
# out...: "requests errors" summed over bench/wrk-chat.lua's wrk-row lines in these files; "– –" if one has none.
# Errors: non-2xx, socket errors, streams without [DONE] (as bench/workloads.sh counts them).
counts() {
  awk -v files=$# '$1 == "wrk-row" {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      rows++; n += f["requests"]; e += f["non2xx"] + f["connect"] + f["read"] + f["write"] + f["timeout"] + f["undone"] }
    END { if (rows == files) print n, e; else print "–", "–" }' "$@"
}
histogram() { timeout 120 jcmd "$GATEWAY_PID" GC.class_histogram > "$1"; }

settle
measure "0 (idle)" – –
for round in $(seq "$ROUNDS"); do
  echo "== round $round: json x$CONCURRENCY for $LOAD, then stream x$CONCURRENCY for $LOAD" >&2
  load false "$LOG_DIR/memory-$round-json.txt"
  load true "$LOG_DIR/memory-$round-stream.txt"
  read -r requests errors < <(counts "$LOG_DIR/memory-$round-json.txt" "$LOG_DIR/memory-$round-stream.txt")
  settle
  measure "$round" "$requests" "$errors"
  if [[ "$round" == 1 ]]; then histogram "$LOG_DIR/memory-histogram-first.txt"; fi
done
if [[ "$ROUNDS" -gt 1 ]]; then histogram "$LOG_DIR/memory-histogram-last.txt"; fi

echo
echo "**bench/memory.sh**, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $(( ($(date +%s) - STARTED + 59) / 60 )) min."
echo "Machine: $(machine), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r); load avg (1/5/15 min)" \
     "$LOAD_START at the start, $(loadavg) at the end. Sluice: $("$JAVA" -version 2>&1 | head -n 1)," \
     "\`$GATEWAY_OPTS${GATEWAY_JAR:+ -jar $GATEWAY_JAR}\`, one process for all rounds. A round: $LOAD of" \
     "non-streaming chats, then $LOAD of streaming ones, 32 tokens without pauses, $("$WRK" -v 2>&1 | head -n 1 |
     cut -d' ' -f1-2) -c$CONCURRENCY. After each round, the write-behind drained, a full GC (jcmd GC.run), then:" \
     "heap used and Metaspace used (GC.heap_info), RSS (VmRSS), direct buffers (jvm_buffer_memory_used_bytes," \
     "id=direct), open file descriptors, threads, history backlog (rows). Sizes in MB."
echo
echo "| round | requests | errors | heap after GC | Metaspace | RSS | direct buffers | open fds | threads | history backlog |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$ROWS"
if [[ -s "$LOG_DIR/memory-histogram-last.txt" ]]; then
  echo
  echo "Live objects that grew most from after round 1 to after round $ROUNDS (jcmd GC.class_histogram):"
  echo
  echo "| class | instances | KB |"
  echo "|---|---:|---:|"
  # Rows "  1:   123   4567  name (module)"; the name may hold spaces ("(module)"), so it is every field from the 4th.
  awk '
    FNR == 1 { file++ }
    $1 ~ /^[0-9]+:$/ { name = $4; for (i = 5; i <= NF; i++) name = name " " $i
                       n[name, file] = $2; b[name, file] = $3; names[name] = 1 }
    END { for (c in names) printf "%d\t%d\t%s\n", b[c, 2] - b[c, 1], n[c, 2] - n[c, 1], c }' \
      "$LOG_DIR/memory-histogram-first.txt" "$LOG_DIR/memory-histogram-last.txt" \
    | sort -t$'\t' -k1,1nr | awk -F'\t' 'NR <= 10 { printf "| `%s` | %+d | %+.1f |\n", $3, $2, $1 / 1024 }'
fi
exit "$FAILED"
