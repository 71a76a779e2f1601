-- end.lua: POST {mount}{id}/end, each id once: the open executions LO..HI
-- (made by harness.bench with SQL) are cut into one block per thread
-- (args: LO HI THREADS), which each thread walks.  An end of an ended
-- execution is 409, so a thread that runs out of ids says so (done()
-- prints "exhausted=N"), and harness/wrk.py refuses the figure.
dofile((os.getenv("CHARON_BENCH_LUA") or "tests/bench") .. "/report.lua")

setup = bench_setup
local body = '{"type":"success","success":true}'
local tail, first, last
next_id, used, exhausted = 0, 0, 0

function init(args)
   local lo, hi, t = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
   local size = math.floor((hi - lo + 1) / t)
   first = lo + tindex * size
   last = first + size - 1
   next_id = first
   tail = bench_tail("POST", body)
end

function request()
   local id = next_id
   if id > last then
      exhausted = exhausted + 1
      id = last                          -- a 409, counted as non-2xx
   else
      next_id = id + 1
      used = used + 1
   end
   return "POST " .. wrk.path .. id .. "/end" .. tail
end

done = function(summary, latency, requests)
   local u, x = 0, 0
   for _, t in ipairs(bench_threads) do
      u = u + t:get("used")
      x = x + t:get("exhausted")
   end
   bench_report(summary, latency, string.format("used=%d exhausted=%d", u, x))
end
