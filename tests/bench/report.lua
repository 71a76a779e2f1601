-- report.lua: the one machine-readable line every bench run ends with,
-- read by harness/wrk.py.  Used alone (wrk -s report.lua: a fixed
-- request, wrk's fast path, for can-start and the static file) or loaded
-- by the other scripts (dofile, from $CHARON_BENCH_LUA).
--
--   BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=..
--         max_ms=.. non2xx=N connect=N read=N write=N timeout=N [extra]
--
-- non2xx is wrk's "Non-2xx or 3xx responses" (status > 399); the socket
-- errors are its "Socket errors" line.  Latencies are wrk's, per request,
-- from the request written to the response read.

function bench_report(summary, latency, extra)
   local e = summary.errors
   local secs = summary.duration / 1e6
   local function ms(p) return latency:percentile(p) / 1000 end
   io.write(string.format(
      "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f " ..
      "p99_ms=%.3f max_ms=%.3f non2xx=%d connect=%d read=%d write=%d " ..
      "timeout=%d%s\n",
      summary.requests, secs, summary.requests / secs, ms(50), ms(90),
      ms(99), latency.max / 1000, e.status, e.connect, e.read, e.write,
      e.timeout, extra and (" " .. extra) or ""))
end

done = function(summary, latency, requests)
   bench_report(summary, latency)
end

-- For the scripts that load this file: the request after the path, built
-- once by wrk.format (Host, the -H headers such as X-API-KEY, and
-- Content-Length), so that a request costs one concatenation.
function bench_tail(method, body)
   local r = wrk.format(method, "/x", nil, body)
   return r:sub(#method + 4)              -- after "METHOD /x"
end

-- Threads seen by setup(), numbered from 0, for the scripts that split
-- work between them and report from done().
bench_threads = {}
function bench_setup(thread)
   thread:set("tindex", #bench_threads)
   table.insert(bench_threads, thread)
end
