#!/usr/bin/env bash
# Interleaved A/B of gateway builds: W1 and W2 (bench/workloads.sh's, wrk -t2 -c64) on every build, in turns, so that
# each build's windows share the machine's moods (another process's build, the fake's JIT) with the others'.
#
#   bench/ab.sh before=/path/to/classes after=target/classes          # label=classes directory, two or more
#   PROFILE=after bench/ab.sh before=... after=...                     # + a W1 and a W2 window under async-profiler
#
# All the builds' gateways run at once (production mode, one fake upstream, one account and API key each), are warmed
# one after the other (PREWARM of W1, then of W2), then ROUNDS rounds of W1 windows, then ROUNDS of W2: in each round
# every gateway in turn gets 3 s of load, then WIN measured. A window's CPU is the gateway's own from /proc (user +
# system, JIT and GC included) over its requests. Prints one line per window and the median of each build's
# windows; the lines go to LOG_DIR/ab.tsv too. The idle gateways cost next to nothing while another is loaded.
#
# Why interleaved: on the shared 2-core machine, runs of the same build minutes apart differed by up to 20 % in CPU
# per request, so two builds measured one after the other compare their moments as much as their code.
#
# Knobs: PREWARM (45 s per workload and build), WIN (10 s), ROUNDS (3; odd, for a true median), CONC (64: the
# windows' connections; with 1, W1 is workloads.sh's W0 and the p50 column its latency), PORT_BASE (9400: the
# fake +1, the gateways +20, +21...), PROFILE (a label: that build is profiled after the rounds, collapsed stacks in
# LOG_DIR/ab-profile-LABEL-W1|W2.txt; needs ASYNC_PROFILER, the path of libasyncProfiler.so), and those of bench/lib.sh
# (DATABASE_URL, REDIS_URL, JAVA, GATEWAY_OPTS, LOG_DIR). CP: the bench classpath (bench/classpath.sh), built if unset.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

PREWARM=${PREWARM:-45s}
WIN=${WIN:-10s}
ROUNDS=${ROUNDS:-3}
PORT_BASE=${PORT_BASE:-9400}
CONC=${CONC:-64}
FAST_PORT=$((PORT_BASE + 1))
OUT="$LOG_DIR/ab.tsv"
[[ $# -ge 2 ]] || { echo "usage: $0 label=classes-dir label=classes-dir [...]" >&2; exit 2; }
if [[ -z "${CP:-}" ]]; then
  CP=$(timeout 600 bench/classpath.sh)
fi
DEPS=$(timeout 600 bench/classpath.sh runtime | cut -d: -f2-)
: > "$OUT"

start_fake "$FAST_PORT" 32 0ms ab-fake.log

# url key stream duration [wrk options]: one bounded wrk run of the benchmark's chat.
load() {
  local url=$1 key=$2 stream=$3 duration=$4
  shift 4
  timeout "$(( $(seconds "$duration") + 60 ))" wrk -t"$(( CONC < 2 ? CONC : 2 ))" -c"$CONC" --timeout 60s "$@" -d "$(seconds "$duration")s" \
      -s bench/wrk-chat.lua "$url" -- fast "$key" "$stream"
}

load "http://127.0.0.1:$FAST_PORT/v1/chat/completions" bench false 10s > /dev/null 2>&1 || true

labels=() pids=() keys=() urls=() emails=()
trap 'for e in "${emails[@]}"; do delete_account "$e"; done; bench_cleanup' EXIT INT TERM
for spec in "$@"; do
  label=${spec%%=*}
  port=$((PORT_BASE + 20 + ${#labels[@]}))
  GW_CP="$(cd "${spec#*=}" && pwd):$DEPS" start_gateway "$port" "ab-gateway-$label.log" \
      "$(gateway_json "fast=$FAST_PORT" '{}')"
  email="bench-ab-$label-$(date +%s)-$$@sluice.invalid"
  emails+=("$email")
  token=$(register_and_login "http://127.0.0.1:$port" "$email" "bench password 1234")
  keys+=("$(curl -sf --max-time 10 -X POST "http://127.0.0.1:$port/api/v1/keys" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d '{"name": "ab"}' | jq -er .key)")
  labels+=("$label") pids+=("$GATEWAY_PID") urls+=("http://127.0.0.1:$port/v1/chat/completions")
done

for i in "${!labels[@]}"; do
  echo "== pre-warm ${labels[$i]}: W1 then W2, $PREWARM each" >&2
  load "${urls[$i]}" "${keys[$i]}" false "$PREWARM" > /dev/null 2>&1 || true
  load "${urls[$i]}" "${keys[$i]}" true "$PREWARM" > /dev/null 2>&1 || true
done

# i workload stream round: one measured window; prints label, workload, round, requests, errors, req/s, p50 ms,
# CPU µs/req, load average (1 min).
window() {
  local i=$1 out="$LOG_DIR/ab-${labels[$1]}-$2-$4.txt" before after
  load "${urls[$i]}" "${keys[$i]}" "$3" 3s > /dev/null 2>&1 || true
  before=$(cpu_ticks "${pids[$i]}")
  load "${urls[$i]}" "${keys[$i]}" "$3" "$WIN" --latency > "$out" 2>&1 || echo "   wrk failed (see $out)" >&2
  after=$(cpu_ticks "${pids[$i]}")
  awk -v b="$before" -v a="$after" -v l="${labels[$i]}" -v w="$2" -v r="$4" -v la="$(cut -d' ' -f1 /proc/loadavg)" '
    $1 == "wrk-row" {
      for (k = 2; k <= NF; k++) { split($k, kv, "="); f[kv[1]] = kv[2] }
      err = f["non2xx"] + f["connect"] + f["read"] + f["write"] + f["timeout"] + f["undone"]
      printf "%s\t%s\t%s\t%d\t%d\t%.0f\t%.2f\t%.0f\t%s\n", l, w, r, f["requests"], err,
        f["requests"] * 1e6 / f["duration_us"], f["p50_us"] / 1000, (f["requests"] > 0 ? (a - b) * 10000 / f["requests"] : 0), la
    }' "$out" | tee -a "$OUT"
}

echo -e "build\tworkload\tround\trequests\terrors\treq/s\tp50 ms\tCPU µs/req\tload"
for w in W1 W2; do
  stream=false
  [[ $w == W2 ]] && stream=true
  for r in $(seq "$ROUNDS"); do
    for i in "${!labels[@]}"; do
      window "$i" "$w" "$stream" "$r"
    done
  done
done
echo
awk -F'\t' '{ v[$1 " " $2] = v[$1 " " $2] " " $8; n[$1 " " $2]++ }
  END { for (k in v) { split(substr(v[k], 2), a, " "); m = n[k]
          for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
          printf "median CPU µs/req, %s: %s (windows:%s)\n", k, a[int((m + 1) / 2)], v[k] } }' "$OUT" | sort

if [[ -n "${PROFILE:-}" ]]; then
  : "${ASYNC_PROFILER:?ASYNC_PROFILER (the path of libasyncProfiler.so) is not set}"
  for i in "${!labels[@]}"; do
    [[ "${labels[$i]}" == "$PROFILE" ]] || continue
    for w in W1 W2; do
      stream=false
      [[ $w == W2 ]] && stream=true
      file="$LOG_DIR/ab-profile-$PROFILE-$w.txt"
      # jcmd reads "key=value" as its own argument unless the agent's options are quoted.
      timeout 30 jcmd "${pids[$i]}" JVMTI.agent_load "$ASYNC_PROFILER" "\"start,event=cpu,interval=1ms,threads,file=$file,collapsed\"" > /dev/null
      load "${urls[$i]}" "${keys[$i]}" "$stream" 20s > /dev/null 2>&1 || true
      timeout 30 jcmd "${pids[$i]}" JVMTI.agent_load "$ASYNC_PROFILER" "\"stop,file=$file,collapsed\"" > /dev/null
      echo "profile of $PROFILE, $w: $file" >&2
    done
  done
fi
