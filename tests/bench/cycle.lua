-- cycle.lua: what a cron job does, over and over: [can-start,] start,
-- message, end of the id that start returned.  Args: LO HI SLUG_PREFIX
-- WITH_CAN_START (0 or 1); the cron is drawn from LO..HI, its slug is
-- SLUG_PREFIX..id.
--
-- wrk keeps one Lua state per thread, not per connection, and does not
-- say which connection a response belongs to: run it with as many
-- threads as connections (wrk -tN -cN), so that each thread's requests
-- and responses alternate.  done() prints cycles=N (ends answered 200)
-- and broken=N (cycles abandoned after an unexpected answer).
dofile((os.getenv("CHARON_BENCH_LUA") or "tests/bench") .. "/report.lua")

setup = bench_setup
local lo, hi, prefix, with_can
local t_get, t_post, t_msg, t_end
local msg_body = '{"message":"bench: a line of log, as a job writes it","type":"info"}'
local end_body = '{"type":"success","success":true}'
local step, cron, exec = 1, 0, nil
cycles, broken = 0, 0

function init(args)
   lo, hi, prefix = tonumber(args[1]), tonumber(args[2]), args[3]
   with_can = args[4] == "1"
   t_get = bench_tail("GET", nil)
   t_post = bench_tail("POST", "")
   t_msg = bench_tail("POST", msg_body)
   t_end = bench_tail("POST", end_body)
   math.randomseed(2000 + tindex)
   step = with_can and 1 or 2
end

-- step: 1 can-start, 2 start, 3 message, 4 end
function request()
   if step == 1 or (step == 2 and not with_can) then
      cron = math.random(lo, hi)
   end
   if step == 1 then
      return "GET " .. wrk.path .. prefix .. cron .. "/can-start" .. t_get
   elseif step == 2 then
      return "POST " .. wrk.path .. cron .. "/start" .. t_post
   elseif step == 3 then
      return "POST " .. wrk.path .. exec .. "/message" .. t_msg
   else
      return "POST " .. wrk.path .. exec .. "/end" .. t_end
   end
end

function response(status, headers, body)
   if status ~= 200 then
      broken = broken + 1
      step = with_can and 1 or 2
      return
   end
   if step == 2 then
      exec = body:match('"id":%s*(%d+)')
      if not exec then
         broken = broken + 1
         step = with_can and 1 or 2
         return
      end
   elseif step == 4 then
      cycles = cycles + 1
      step = with_can and 1 or 2
      return
   end
   step = step + 1
end

done = function(summary, latency, requests)
   local c, b = 0, 0
   for _, t in ipairs(bench_threads) do
      c = c + t:get("cycles")
      b = b + t:get("broken")
   end
   bench_report(summary, latency, string.format("cycles=%d broken=%d", c, b))
end
