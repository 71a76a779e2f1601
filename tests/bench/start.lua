-- start.lua: POST {mount}{id}/start, the cron drawn at random from
-- LO..HI (args: LO HI) by each request, as pgbench's \set random() does.
-- Every request is built in init(); request() only picks one.
dofile((os.getenv("CHARON_BENCH_LUA") or "tests/bench") .. "/report.lua")

setup = bench_setup
local reqs = {}

function init(args)
   local lo, hi = tonumber(args[1]), tonumber(args[2])
   local tail = bench_tail("POST", "")
   for id = lo, hi do
      reqs[#reqs + 1] = "POST " .. wrk.path .. id .. "/start" .. tail
   end
   math.randomseed(1000 + tindex)
end

function request()
   return reqs[math.random(#reqs)]
end
