-- wrk's side of bench/workloads.sh: the chat request LoadClient sends (its body, Content-Type and Authorization), and one
-- machine-readable summary printed by done(). Arguments after wrk's "--":
--   model key [stream] [slice-ms start-ms]
--   stream    "true": a streamed chat; a 2xx reply whose body does not end with the event "data: [DONE]" is
--             counted as undone (an error), as LoadClient counts a stream without [DONE] (Sluice ends a failed
--             stream without it, after its error event)
--   slice-ms  > 0: replies also counted per slice of that many ms since start-ms (epoch ms), 2xx and others
-- A response() callback costs wrk a Lua call and a copy of the reply per request, so it is only defined when
-- stream or slices need it.
--
-- done() prints:
--   wrk-row requests=N non2xx=N connect=N read=N write=N timeout=N undone=N duration_us=N p50_us=N p99_us=N
--   wrk-slice INDEX OK OTHER        (one line per slice that saw a reply; with slice-ms)
--   wrk-status STATUS N             (replies other than 2xx by status; with stream or slice-ms)
-- non2xx is wrk's own count of statuses above 399 (these benchmarks see no 1xx or 3xx).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

undone = 0
-- Per slice index: 2xx replies, other replies (flat tables: thread:get copies one level).
slice_ok, slice_other = {}, {}
other_statuses = {}

function init(args)
  local model, key, stream = args[1], args[2], args[3] == "true"
  local slice_ms, start_ms = tonumber(args[4] or "0"), tonumber(args[5] or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
  -- Byte for byte LoadClient's body (LoadClient.requestJson), the model quoted as JSON needs no escape here.
  wrk.body = '{"model":"' .. model .. '","stream":' .. tostring(stream)
      .. ',"messages":[{"role":"user","content":"Say hello to the benchmark in a few words."}]}'
  if not stream and slice_ms <= 0 then
    return
  end
  local now_ms
  if slice_ms > 0 then
    local ffi = require("ffi")
    ffi.cdef [[
      typedef struct { long tv_sec; long tv_nsec; } wrk_chat_timespec;
      int clock_gettime(int clock, wrk_chat_timespec *ts);
    ]]
    local ts = ffi.new("wrk_chat_timespec")
    now_ms = function()
      ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME, as the script's start-ms
      return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
  end
  response = function(status, headers, body)
    local ok = status >= 200 and status < 300
    if not ok then other_statuses[status] = (other_statuses[status] or 0) + 1 end
    -- "data: [DONE]" or "data:[DONE]" (Spring's SSE writer), the event's blank line after it.
    if ok and stream and not body:sub(-16):find("data: ?%[DONE%]\r?\n\r?\n$") then
      undone = undone + 1
      ok = false
    end
    if now_ms then
      local i = math.floor((now_ms() - start_ms) / slice_ms)
      local t = ok and slice_ok or slice_other
      t[i] = (t[i] or 0) + 1
    end
  end
end

function done(summary, latency, requests)
  local n, ok, other, keys, statuses = 0, {}, {}, {}, {}
  for _, thread in ipairs(threads) do
    n = n + thread:get("undone")
    for i, c in pairs(thread:get("slice_ok")) do ok[i] = (ok[i] or 0) + c end
    for i, c in pairs(thread:get("slice_other")) do other[i] = (other[i] or 0) + c end
    for st, c in pairs(thread:get("other_statuses")) do statuses[st] = (statuses[st] or 0) + c end
  end
  for i in pairs(ok) do keys[i] = true end
  for i in pairs(other) do keys[i] = true end
  local e = summary.errors
  io.write(string.format(
      "wrk-row requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d undone=%d duration_us=%d p50_us=%d p99_us=%d\n",
      summary.requests, e.status, e.connect, e.read, e.write, e.timeout, n, summary.duration,
      latency:percentile(50.0), latency:percentile(99.0)))
  local sorted = {}
  for i in pairs(keys) do table.insert(sorted, i) end
  table.sort(sorted)
  for _, i in ipairs(sorted) do
    io.write(string.format("wrk-slice %d %d %d\n", i, ok[i] or 0, other[i] or 0))
  end
  for st, c in pairs(statuses) do
    io.write(string.format("wrk-status %d %d\n", st, c))
  end
end
