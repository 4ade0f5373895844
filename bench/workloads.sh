#!/usr/bin/env bash
# The workloads of design §10 and issue 13 in one run, one table: each workload three ways, the fake upstream
# called directly, through an nginx hop (bench/nginx-hop.conf) and through Sluice in production mode (PostgreSQL,
# Redis, a personal API key; auth, rate limits and quotas on with budgets no run reaches; the cache at its
# default), then the ratios Sluice / nginx that issue 13's "Done when" names.
#
#   W0   non-streaming, 32 tokens, concurrency 1          added latency over direct (total p50, p99)
#   W1   non-streaming, 32 tokens, concurrency 64         req/s, proxy CPU per request
#   W2   streaming, 32 tokens without pauses, conc. 64    streams/s, proxy CPU per stream
#   W3   1,000 concurrent streams, 64 tokens x 20 ms      errors, TTFT p99, proxy CPU per stream
#   W4   (W4=1) 9,000 streams, 100 tokens x 100 ms        errors, stalls, heap, RSS
#   cold Sluice restarted, W1 over the first COLD (30 s) after readiness, as a share of the warm W1
#
#   bench/workloads.sh                                   # builds, then ~8 min (a quiet 2-core machine); two tables
#   SKIP_BUILD=1 CP=... GW_CP=... bench/workloads.sh     # an existing build (bench/classpath.sh prints both)
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java GATEWAY_OPTS="-Xmx1g -XX:AOTCache=app.aot" \
#       GATEWAY_JAR=app.jar bench/workloads.sh           # the gateway on another JDK, jar and options
#   WARMUP=5s DURATION=5s PREWARM=20s COLD=10s bench/workloads.sh    # a smoke run, ~4 min on a quiet machine
#
# Every row is WARMUP of unmeasured load at the row's own concurrency, then DURATION measured, with the same client
# and options for all three rows of a workload. W0, W1, W2 and the cold row are driven by wrk (bench/wrk-chat.lua:
# LoadClient's body and Authorization header; a wrk run for the warm-up, then one measured; errors are non-2xx,
# socket errors and, for streams, 2xx replies without "data: [DONE]"; wrk times each reply to its end, so these
# rows have no TTFT). W3 and W4 are one LoadClient run each (TTFT, stalls). The rows of a workload run back to
# back (direct, nginx, Sluice), so they share the machine's state. Before W0, for their JITs, the fast fake gets
# FAKE_PREWARM of direct load and Sluice PREWARM (each half non-streaming, half streaming, at concurrency 64).
# 150 s, as issue 13's baseline was warmed: on JDK 17 one C2 thread still took a third of the gateway's CPU after
# 45 s of W1 and settled after about 75 s (docs/benchmarks.md, session 12), so a shorter pre-warm measures the JIT.
#
# Why wrk: the fake upstream, the client and the proxy all run on the machine's cores (2 here), so a client takes
# CPU from the proxy under load. LoadClient, a JVM, costs several times what wrk does per request: on this machine
# it got a quarter of wrk's W1 requests/s through nginx and under half of wrk's W2 streams/s (two LoadClient
# processes got fewer still), so it, not nginx, set the nginx row, which flattered Sluice ÷ nginx. Sluice costs so
# much more per request than either client that its rows hardly move. W3 needs TTFT, which wrk cannot time, and
# stays on LoadClient: there too a lighter client may lift the nginx row (see bench/README.md). The direct row is
# what the client gets from the fake, not a ceiling for the proxies. Only rows of one run compare; numbers measured
# while others build are noise. CPU per request is the proxy's own, from /proc over the measured window: Sluice's
# JVM (JIT and GC included), nginx's master and workers.
#
# Knobs (environment): WARMUP (10s), DURATION (15s), PREWARM (150s), FAKE_PREWARM (10s), COLD (30s), COLD_SLICE (5s:
# the cold row's replies are also counted per slice from readiness on, printed under the tables), W4 (unset: skipped),
# W4_DURATION (60s), W4_WARMUP (20s), W4_TOKENS (100), W4_INTERVAL (100ms; 9,000 x 100 x 100 ms is 90,000 chunks/s,
# which may take the fake and the client alone beyond 2 cores: see bench/README.md), WORKLOADS ("W0 W1 W2 W3",
# plus W4 with W4=1; "cold" is run unless COLD=0), WRK_WORKLOADS ("W0 W1 W2": those wrk drives, the cold row with
# W1; the others run on LoadClient), PORT_BASE (9300: fakes +1..+3, nginx +10, Sluice +20), NGINX (nginx), WRK
# (wrk), and those of bench/lib.sh (DATABASE_URL, REDIS_URL, JAVA, GATEWAY_OPTS, GATEWAY_JAR, GATEWAY_ARGS,
# SKIP_BUILD with CP and GW_CP, LOG_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

WARMUP=${WARMUP:-10s}
DURATION=${DURATION:-15s}
PREWARM=${PREWARM:-150s}
FAKE_PREWARM=${FAKE_PREWARM:-10s}
COLD=${COLD:-30s}
COLD_SLICE=${COLD_SLICE:-5s}
W4_DURATION=${W4_DURATION:-60s}
W4_WARMUP=${W4_WARMUP:-20s}
W4_TOKENS=${W4_TOKENS:-100}
W4_INTERVAL=${W4_INTERVAL:-100ms}
WORKLOADS=${WORKLOADS:-"W0 W1 W2 W3${W4:+ W4}"}
PORT_BASE=${PORT_BASE:-9300}
FAST_PORT=$((PORT_BASE + 1))
PACED_PORT=$((PORT_BASE + 2))
SLOW_PORT=$((PORT_BASE + 3))
NGINX_PORT=$((PORT_BASE + 10))
GATEWAY_PORT=$((PORT_BASE + 20))
NGINX=${NGINX:-nginx}
WRK=${WRK:-wrk}
WRK_WORKLOADS=${WRK_WORKLOADS-"W0 W1 W2"}
BASE="http://127.0.0.1:$GATEWAY_PORT"
ROWS="$LOG_DIR/workloads-rows.tsv"
COLD_SLICES="$LOG_DIR/workloads-cold-slices.tsv"
: > "$ROWS"
rm -f "$COLD_SLICES"
FAILED=0
STARTED=$(date +%s)
LOAD_START=$(loadavg)
COMMIT=$(commit_label)

# Thousands of sockets per process (W3, W4): take every file descriptor we are allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_build

# --- the fakes -----------------------------------------------------------------------------------------------
start_fake "$FAST_PORT" 32 0ms workloads-fake-fast.log
start_fake "$PACED_PORT" 64 20ms workloads-fake-paced.log
if [[ " $WORKLOADS " == *" W4 "* ]]; then
  start_fake "$SLOW_PORT" "$W4_TOKENS" "$W4_INTERVAL" workloads-fake-slow.log
  SLOW_PID=$FAKE_PID
fi

# --- nginx ---------------------------------------------------------------------------------------------------
start_nginx workloads-nginx "$NGINX_PORT" "$FAST_PORT" "$PACED_PORT" "$SLOW_PORT"

# --- Sluice --------------------------------------------------------------------------------------------------
# The cache at its default ("{}": on, deterministic requests only; the load client's carry no temperature, so
# every request goes upstream but pays the policy check).
# The slow fake only when W4 runs: the gateway's status monitor would report a provider without a server.
GATEWAY_JSON=$(gateway_json "fast=$FAST_PORT paced=$PACED_PORT${SLOW_PID:+ slow=$SLOW_PORT}" '{}')
# A GC log per start, for the heap column: the largest heap before a collection during each row.
start_sluice() { # log-name
  local started=$SECONDS
  rm -f "$LOG_DIR/$1-gc.log"*
  # filecount=0: one file, never rotated, so that a row's lines start where the previous row's ended.
  GATEWAY_OPTS="$GATEWAY_OPTS -Xlog:gc:file=$LOG_DIR/$1-gc.log::filecount=0" \
    start_gateway "$GATEWAY_PORT" "$1.log" "$GATEWAY_JSON" || return 1
  READY_AFTER=$((SECONDS - started))
  GC_LOG="$LOG_DIR/$1-gc.log"
}
start_sluice workloads-gateway
EMAIL="bench-workloads-$(date +%s)-$$@sluice.invalid"
trap 'delete_account "$EMAIL"; bench_cleanup' EXIT INT TERM
token=$(register_and_login "$BASE" "$EMAIL" "bench password 1234")
KEY=$(curl -sf --max-time 10 -X POST "$BASE/api/v1/keys" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name": "workloads"}' | jq -er .key)
# Checked before anything is measured: limits and quotas on (a chat carries X-RateLimit-Limit; the quota says
# enabled), so that the Sluice rows are what the issue measures.
limited=$(curl -s -o /dev/null -D - --max-time 10 "$BASE/v1/chat/completions" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"model": "fast", "messages": [{"role": "user", "content": "hi"}]}' \
    | grep -ci '^x-ratelimit-limit:' || true)
quota=$(curl -s --max-time 10 "$BASE/api/v1/quota" -H "Authorization: Bearer $KEY" | jq -r .enabled)
if [[ "$limited" -lt 1 || "$quota" != true ]]; then
  echo "Sluice is not in the measured configuration: rate-limit headers $limited, quota enabled $quota" >&2
  exit 1
fi

# --- one row -------------------------------------------------------------------------------------------------
# Sum of a status field (VmHWM, VmRSS) over comma-separated pids, in MB; "–" if one is gone.
mem_mb() {
  local field=$1 pids=$2 pid kb total=0
  for pid in ${pids//,/ }; do
    kb=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null) || true
    [[ -n "$kb" ]] || { echo "–"; return; }
    total=$((total + kb))
  done
  echo $((total / 1024))
}
# Resets the peak RSS (VmHWM) of each pid to its current RSS (Linux's clear_refs), so that the row's peak is its own.
reset_peak() {
  local pid
  for pid in ${1//,/ }; do echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true; done
}
# The largest heap before a collection in the GC log's lines after line $2 (G1/Parallel "52M->12M(256M)", ZGC
# "300M(29%)->..."), in MB; "–" without a collection.
heap_mb() {
  tail -n +"$(($2 + 1))" "$1" 2>/dev/null \
    | grep -oE '[0-9]+M(\([0-9]+%\))?->' | tr -dc '0-9\n' | sort -n | tail -n 1 | grep . || echo "–"
}

# A duration like 5s / 500ms / 1m in ms.
millis() {
  case "$1" in *ms) echo "${1%ms}" ;; *s) echo $(( ${1%s} * 1000 )) ;; *m) echo $(( ${1%m} * 60000 )) ;; *) echo $(( $1 * 1000 )) ;; esac
}

# w path: one row; appends a TSV line to ROWS
#   workload path conc requests errors stalled req/s ttft50 ttft99 total50 total99 cpu rss heap
# The row's client: wrk for the workloads in WRK_WORKLOADS (the cold row goes with W1), LoadClient for the others.
row() {
  local w=$1 path=$2 stream conc upstream url model auth pids="" warmup=$WARMUP duration=$DURATION extra=()
  case "$w" in
    W0) stream=false conc=1 upstream=fast ;;
    W1|cold) stream=false conc=64 upstream=fast ;;
    W2) stream=true conc=64 upstream=fast ;;
    W3) stream=true conc=1000 upstream=paced ;;
    W4) stream=true conc=9000 upstream=slow warmup=$W4_WARMUP duration=$W4_DURATION extra=(--ramp 9s) ;;
  esac
  case "$path" in
    direct) url="http://127.0.0.1:$(port_of "$upstream")/v1/chat/completions" model=bench-model auth=bench ;;
    nginx) url="http://127.0.0.1:$NGINX_PORT/$upstream/v1/chat/completions" model=bench-model auth=bench
           pids=$NGINX_PIDS ;;
    sluice) url="$BASE/v1/chat/completions" model=$upstream auth=$KEY pids=$GATEWAY_PID ;;
  esac
  if [[ "$w" == cold ]]; then
    warmup=0s duration=$COLD
  fi
  local client=loadclient
  [[ " $WRK_WORKLOADS " == *" ${w/cold/W1} "* ]] && client=wrk
  local out="$LOG_DIR/workloads-$w-$path.txt" gc_from=0
  [[ "$path" == sluice ]] && gc_from=$(wc -l < "$GC_LOG" 2>/dev/null || echo 0)
  [[ -n "$pids" ]] && reset_peak "$pids"
  echo "== $w $path: $([[ $stream == true ]] && echo stream || echo json) x$conc, warm-up $warmup, $duration ($client)" >&2
  local measured sampler=""
  # Sluice's many-stream rows leave a thread dump and the metrics from their middle, for the stalls that a full run
  # has shown once and a rerun did not (docs/benchmarks.md, session 10).
  if [[ "$path" == sluice && ( "$w" == W3 || "$w" == W4 ) ]]; then
    ( sleep $(( $(seconds "$warmup") + $(seconds "$duration") / 2 ))
      jcmd "$GATEWAY_PID" Thread.print > "$LOG_DIR/workloads-$w-sluice-threads.txt" 2>&1
      curl -s --max-time 10 "$BASE/actuator/prometheus" > "$LOG_DIR/workloads-$w-sluice-metrics.txt" ) &
    sampler=$!
  fi
  if [[ $client == wrk ]]; then
    measured=$(wrk_row "$w" "$url" "$model" "$auth" "$stream" "$conc" "$warmup" "$duration" "$pids" "$out") \
      || FAILED=1
  else
    measured=$(loadclient_row "$w $path" "$url" "$model" "$auth" "$stream" "$conc" "$warmup" "$duration" "$pids" \
      "$out" "${extra[@]}") || FAILED=1
  fi
  [[ -n "$measured" ]] || FAILED=1
  [[ -z "$sampler" ]] || wait "$sampler" || true
  local rss="–" heap="–"
  [[ -n "$pids" ]] && rss=$(mem_mb VmHWM "$pids")
  [[ "$path" == sluice ]] && heap=$(heap_mb "$GC_LOG" "$gc_from")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$path" "$conc" "${measured:-–	–	–	–	–	–	–	–	–}" "$rss" "$heap" >> "$ROWS"
}

# label url model key stream conc warmup duration pids out [LoadClient options]: one LoadClient run; prints the
# row's measures (requests errors stalled req/s ttft50 ttft99 total50 total99 cpu, tab-separated), nothing if it
# printed no row; non-zero if it failed.
loadclient_row() {
  local label=$1 url=$2 model=$3 auth=$4 stream=$5 conc=$6 warmup=$7 duration=$8 pids=$9 out=${10}
  shift 10
  local bound=$(( $(seconds "$warmup") + $(seconds "$duration") + 240 )) cpu_args=() warm_args=() rc=0
  [[ -n "$pids" ]] && cpu_args=(--cpu-pid "$pids")
  [[ "$(seconds "$warmup")" -gt 0 ]] && warm_args=(--warmup-for "$warmup")
  if ! timeout "$((bound + 30))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
      --url "$url" --model "$model" --header "Authorization: Bearer $auth" --stream "$stream" \
      --concurrency "$conc" --duration "$duration" "${warm_args[@]}" --timeout 60s --deadline "${bound}s" \
      --label "$label" "${cpu_args[@]}" "$@" > "$out" 2>&1; then
    echo "   the load client failed or hit its deadline (see $out)" >&2
    rc=1
  fi
  sed -n '1,5p' "$out" | grep -v '^|' >&2 || true
  # LoadClient's row: | run | mode | conc. | requests | errors | stalled | req/s | TTFT p50 | p90 | p99 | max
  # | total p50 | total p99 | CPU µs/req |
  grep '^| ' "$out" | tail -n 1 | awk -F' *\\| *' -v OFS='\t' '{ print $5, $6, $7, $8, $9, $11, $13, $14, $15 }'
  return "$rc"
}

# w url model key stream conc warmup duration pids out: a wrk run of warmup (unmeasured, its own connections),
# then one of duration, measured: the CPU of pids from /proc around it, wrk's summary from bench/wrk-chat.lua's
# done(). Prints the row's measures like loadclient_row. TTFT and stalls: "–" (wrk times a reply to its end). The
# cold row counts its replies in COLD_SLICE slices too, written to COLD_SLICES.
wrk_row() {
  local w=$1 url=$2 model=$3 auth=$4 stream=$5 conc=$6 warmup=$7 duration=$8 pids=$9 out=${10}
  local threads=$(( conc < $(nproc) ? conc : $(nproc) )) slice_args=() before after rc=0
  local opts=(-t "$threads" -c "$conc" --timeout 60s -s bench/wrk-chat.lua)
  if [[ "$(seconds "$warmup")" -gt 0 ]] && ! timeout "$(( $(seconds "$warmup") + 60 ))" "$WRK" "${opts[@]}" \
      -d "$(seconds "$warmup")s" "$url" -- "$model" "$auth" "$stream" > "$out.warmup" 2>&1; then
    echo "   wrk's warm-up failed (see $out.warmup)" >&2
    rc=1
  fi
  [[ "$w" == cold ]] && slice_args=("$(millis "$COLD_SLICE")" "$(date +%s%3N)")
  before=$(cpu_ticks "$pids")
  timeout "$(( $(seconds "$duration") + 60 ))" "$WRK" "${opts[@]}" --latency -d "$(seconds "$duration")s" "$url" \
      -- "$model" "$auth" "$stream" "${slice_args[@]}" > "$out" 2>&1 || { echo "   wrk failed (see $out)" >&2; rc=1; }
  after=$(cpu_ticks "$pids")
  grep -E '^ +[0-9]+ requests in|^  Socket errors|^  Non-2xx|^wrk-status' "$out" >&2 || true
  if [[ "$w" == cold ]]; then
    awk -v len="$(millis "$duration")" -v slice="$(millis "$COLD_SLICE")" '
      $1 == "wrk-slice" { i = $2 < 0 ? 0 : $2; ok[i] += $3 }
      END { n = int((len + slice - 1) / slice)
            for (i in ok) if (i + 0 >= n) ok[n - 1] += ok[i]     # replies that ended just after the run
            for (i = 0; i < n; i++) printf "%s%.0f", i ? "\t" : "", (ok[i] + 0) / ((i < n - 1 ? slice : len - i * slice) / 1000)
            print "" }' "$out" > "$COLD_SLICES"
  fi
  awk -v before="$before" -v after="$after" -v OFS='\t' '
    $1 == "wrk-row" {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      errors = f["non2xx"] + f["connect"] + f["read"] + f["write"] + f["timeout"] + f["undone"]
      ok = f["requests"] - f["non2xx"] - f["undone"]
      cpu = before != "" && after != "" && f["requests"] > 0 ? sprintf("%.0f", (after - before) * 10000 / f["requests"]) : "–"
      print f["requests"], errors, "–", sprintf("%.1f", f["duration_us"] > 0 ? ok * 1e6 / f["duration_us"] : 0), "–", "–",
            sprintf("%.2f", f["p50_us"] / 1000), sprintf("%.2f", f["p99_us"] / 1000), cpu
    }' "$out"
  return "$rc"
}
port_of() {
  case "$1" in fast) echo "$FAST_PORT" ;; paced) echo "$PACED_PORT" ;; slow) echo "$SLOW_PORT" ;; esac
}

# --- the run -------------------------------------------------------------------------------------------------
# name url model key total: unmeasured load, half non-streaming then half streaming, at concurrency 64.
prewarm() {
  local half=$(( ($(seconds "$5") + 1) / 2 ))s stream
  for stream in false true; do
    echo "== pre-warm $1: $([[ $stream == true ]] && echo stream || echo json) x64 for $half" >&2
    timeout "$(( $(seconds "$half") + 180 ))" java "$QUIET" -Xms256m -Xmx1g -cp "$CP" dev.sluice.bench.LoadClient \
        --url "$2" --model "$3" --header "Authorization: Bearer $4" --stream "$stream" \
        --concurrency 64 --duration "$half" --timeout 60s --deadline "$(( $(seconds "$half") + 120 ))s" \
        --label "prewarm $1" > "$LOG_DIR/workloads-prewarm-$1-$stream.txt" 2>&1 \
      || echo "   pre-warm failed (see $LOG_DIR/workloads-prewarm-$1-$stream.txt)" >&2
  done
}
# The fake is a JVM too: warmed before the first direct row, which would otherwise measure its JIT.
[[ "$(seconds "$FAKE_PREWARM")" -gt 0 ]] \
  && prewarm fake "http://127.0.0.1:$FAST_PORT/v1/chat/completions" bench-model bench "$FAKE_PREWARM"
[[ "$(seconds "$PREWARM")" -gt 0 ]] && prewarm sluice "$BASE/v1/chat/completions" fast "$KEY" "$PREWARM"
WARM_READY=$READY_AFTER

for w in $WORKLOADS; do
  for path in direct nginx sluice; do
    row "$w" "$path"
  done
done

COLD_READY=""
if [[ "$(seconds "$COLD")" -gt 0 ]]; then
  echo "== restarting Sluice for the cold row" >&2
  stop_gateway
  if start_sluice workloads-gateway-cold; then
    COLD_READY=", $READY_AFTER s after the cold restart"
    row cold sluice
  else
    FAILED=1
  fi
fi

# --- the tables ----------------------------------------------------------------------------------------------
GATEWAY_JDK=$("$JAVA" -version 2>&1 | head -n 1)
CLIENTS="LoadClient for every row"
if [[ -n "${WRK_WORKLOADS// /}" ]]; then
  # shellcheck disable=SC2086 # split on purpose: one workload a word
  CLIENTS="$("$WRK" -v 2>&1 | head -n 1 | cut -d' ' -f1-2) for $(printf '%s\n' $WRK_WORKLOADS | paste -sd,) (the cold row"
  CLIENTS+=" with W1; threads: the concurrency, at most one per core), LoadClient for the others"
fi
echo
echo "**bench/workloads.sh**, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $(( ($(date +%s) - STARTED + 59) / 60 )) min."
echo "Machine: $(machine), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r); load avg (1/5/15 min)" \
     "$LOAD_START at the start, $(loadavg) at the end. Sluice: $GATEWAY_JDK," \
     "\`$GATEWAY_OPTS${GATEWAY_JAR:+ -jar $GATEWAY_JAR}\`; ready $WARM_READY s after its start$COLD_READY;" \
     "$PREWARM of pre-warm ($FAKE_PREWARM for the fake). Clients: $CLIENTS; LoadClient and fake:" \
     "$(java -version 2>&1 | head -n 1). nginx: $("$NGINX" -v 2>&1 | sed 's/.*version: //'), $(( $(echo "$NGINX_PIDS" | tr -cd , | wc -c) )) workers."
echo "Each row: $WARMUP warm-up, then $DURATION measured (W4: $W4_WARMUP, $W4_DURATION; cold: no warm-up, from" \
     "readiness on for $COLD). Times in ms; wrk times a reply to its end (TTFT, stalled: –). CPU: the proxy's CPU time per request over the measured window" \
     "(Sluice's JVM; nginx's master and workers). RSS: the proxy's peak during the row (VmHWM), MB. Heap: Sluice's" \
     "largest heap before a GC during the row, MB (–: no GC in the row). + over direct: total p50 / p99 minus the direct row's."
echo
awk -F'\t' '
  function num(x) { return x ~ /^[0-9.]+$/ }
  { key = $1 " " $2; for (i = 1; i <= NF; i++) v[key, i] = $i; order[++n] = key }
  END {
    print "| workload | path | conc. | requests | errors | stalled | req/s | TTFT p50 | TTFT p99 | total p50 | total p99 | + over direct (p50 / p99) | CPU µs/req | RSS MB | heap MB |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (r = 1; r <= n; r++) {
      k = order[r]; split(k, wp, " "); d = wp[1] " direct"
      added = "–"
      if (wp[2] != "direct" && num(v[k, 10]) && num(v[d, 10]) && num(v[k, 11]) && num(v[d, 11]))
        added = sprintf("%+.2f / %+.2f", v[k, 10] - v[d, 10], v[k, 11] - v[d, 11])
      label = wp[1] == "cold" ? "cold (W1)" : wp[1]
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, wp[2],
        v[k, 3], v[k, 4], v[k, 5], v[k, 6], v[k, 7], v[k, 8], v[k, 9], v[k, 10], v[k, 11], added, v[k, 12], v[k, 13], v[k, 14]
    }
  }' "$ROWS"
echo
echo "Issue 13's \"Done when\" (Sluice against the nginx hop of this run; design §10's destination beside it;" \
     "met: issue 13's target, or §10's where the issue sets none):"
echo
awk -F'\t' '
  function num(x) { return x ~ /^[0-9.]+$/ }
  function get(w, p, i) { return v[w " " p, i] }
  function ratio(w, i) { a = get(w, "sluice", i); b = get(w, "nginx", i); return num(a) && num(b) && b > 0 ? a / b : "" }
  function diff(w, i) { a = get(w, "sluice", i); b = get(w, "nginx", i); return num(a) && num(b) ? a - b : "" }
  # value "" (not measured): "–" for both; fmt "" shows no comparison but still says whether the target is met.
  function line(what, nginx, sluice, value, fmt, target, dest, ok) {
    shown = value == "" || fmt == "" ? "–" : sprintf(fmt, value)
    verdict = value == "" ? "–" : ok ? "yes" : "no"
    printf "| %s | %s | %s | %s | %s | %s | %s |\n", what, nginx, sluice, shown, target, dest, verdict
  }
  { for (i = 1; i <= NF; i++) v[$1 " " $2, i] = $i; seen[$1] = 1 }
  END {
    print "| check | nginx | Sluice | Sluice vs nginx | issue 13 | design §10 | met |"
    print "|---|---:|---:|---:|---:|---:|---|"
    if (seen["W0"]) {
      x = diff("W0", 10); line("W0 added total p50 (ms)", get("W0", "nginx", 10), get("W0", "sluice", 10), x, "%+.2f ms", "≤ +0.5 ms", "≤ +0.1 ms", x != "" && x <= 0.5)
      x = diff("W0", 11); line("W0 added total p99 (ms)", get("W0", "nginx", 11), get("W0", "sluice", 11), x, "%+.2f ms", "–", "≤ +0.5 ms", x != "" && x <= 0.5)
    }
    if (seen["W1"]) {
      x = ratio("W1", 7); line("W1 req/s", get("W1", "nginx", 7), get("W1", "sluice", 7), x, "%.2f×", "≥ 0.3×", "≥ 0.5×", x != "" && x >= 0.3)
      x = ratio("W1", 12); line("W1 CPU µs/req", get("W1", "nginx", 12), get("W1", "sluice", 12), x, "%.1f×", "≤ 5×", "≤ 2×", x != "" && x <= 5)
    }
    if (seen["W2"]) {
      x = ratio("W2", 7); line("W2 streams/s", get("W2", "nginx", 7), get("W2", "sluice", 7), x, "%.2f×", "≥ 0.3×", "≥ 0.5×", x != "" && x >= 0.3)
      x = ratio("W2", 12); line("W2 CPU µs/stream", get("W2", "nginx", 12), get("W2", "sluice", 12), x, "%.1f×", "≤ 5×", "≤ 2×", x != "" && x <= 5)
    }
    if (seen["W3"]) {
      e = get("W3", "sluice", 5); line("W3 errors", get("W3", "nginx", 5), e, num(e) ? e + 0 : "", "%d", "0", "0", e == "0")
      x = diff("W3", 9); line("W3 TTFT p99 (ms)", get("W3", "nginx", 9), get("W3", "sluice", 9), x, "%+.1f ms", "≤ +50 ms", "≤ +10 ms", x != "" && x <= 50)
      x = ratio("W3", 12); line("W3 CPU µs/stream", get("W3", "nginx", 12), get("W3", "sluice", 12), x, "%.2f×", "≤ 1.5×", "≤ 1.2×", x != "" && x <= 1.5)
    }
    if (seen["W4"]) {
      e = get("W4", "sluice", 5); s = get("W4", "sluice", 6)
      line("W4 errors / stalled", get("W4", "nginx", 5) " / " get("W4", "nginx", 6), e " / " s, num(e) && num(s) ? e + s : "", "", "–", "0 / 0", e == "0" && s == "0")
      h = get("W4", "sluice", 14); line("W4 heap max (MB)", "–", h, num(h) ? h + 0 : "", "%d MB", "–", "≤ 1024 MB", num(h) && h <= 1024)
    }
    if (seen["cold"] && seen["W1"]) {
      x = num(get("cold", "sluice", 7)) && num(get("W1", "sluice", 7)) && get("W1", "sluice", 7) > 0 ? get("cold", "sluice", 7) / get("W1", "sluice", 7) * 100 : ""
      line("cold W1 req/s, share of warm", "–", get("cold", "sluice", 7) " of " get("W1", "sluice", 7), x, "%.0f %%", "≥ 60 %", "≥ 80 %", x != "" && x >= 60)
    }
  }' "$ROWS"
if [[ -s "$COLD_SLICES" ]]; then
  echo
  echo "Cold row: Sluice's req/s in slices of $COLD_SLICE from readiness on: $(sed 's/\t/, /g' "$COLD_SLICES")" \
       "(warm W1: $(awk -F'\t' '$1 == "W1" && $2 == "sluice" { print $7 }' "$ROWS"))."
fi
echo
echo "Per-row summaries and logs: $LOG_DIR/workloads-*."
[[ "$FAILED" == 0 ]]
