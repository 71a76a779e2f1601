-- message.lua: POST {mount}{id}/message with a JSON body, round-robin
-- over the open executions LO..HI (args: LO HI), made by harness.bench
-- with SQL (so that concurrent messages rarely share an execution's row).
dofile((os.getenv("CHARON_BENCH_LUA") or "tests/bench") .. "/report.lua")

setup = bench_setup
local reqs, n = {}, 0
local body = '{"message":"bench: a line of log, as a job writes it","type":"info"}'

function init(args)
   local lo, hi = tonumber(args[1]), tonumber(args[2])
   local tail = bench_tail("POST", body)
   for id = lo, hi do
      reqs[#reqs + 1] = "POST " .. wrk.path .. id .. "/message" .. tail
   end
   n = tindex * 7919                     -- threads start apart
end

function request()
   n = n + 1
   return reqs[n % #reqs + 1]
end
