-- bigtables.lua: the requests of the big-table benchmark (harness/bigt_wrk.py),
-- set by the environment.
-- BT_MODE start: random 'allow' crons; message: executions BT_LO..BT_HI in
-- turn, round and round; end: each of them once, then the thread stops
-- (BT_CONNS ids are kept in reserve for the requests that may still go
-- out before it does).
local mode = os.getenv("BT_MODE")
local key = os.getenv("BT_KEY")
local crons = tonumber(os.getenv("BT_CRONS"))
local lo = tonumber(os.getenv("BT_LO") or "0")
local hi = tonumber(os.getenv("BT_HI") or "0")
local conns = tonumber(os.getenv("BT_CONNS") or "1")
local headers = { ["X-API-KEY"] = key, ["Content-Type"] = "application/json" }
local threads = {}
local nthreads = 0

function setup(thread)
    thread:set("tid", nthreads)
    nthreads = nthreads + 1
    table.insert(threads, thread)
end

local nextid, stride, n, stopping

function init(args)
    stride = 1
    nextid = lo + tid
    n = 0
    stopping = false
    math.randomseed(os.time() * 1000 + tid)
end

function request()
    n = n + 1
    if mode == "start" then
        local c
        repeat c = math.random(1, crons) until c % 50 ~= 25
        return wrk.format("POST", "/api/" .. c .. "/start", headers, "")
    end
    local id = nextid
    nextid = nextid + stride
    if mode == "message" then
        if nextid > hi then nextid = lo end
        return wrk.format("POST", "/api/" .. id .. "/message", headers,
            '{"message":"processed ' .. (n % 9973) .. ' records","type":"info"}')
    end
    if id > hi then
        overrun = (overrun or 0) + 1
        id = hi
    end
    return wrk.format("POST", "/api/" .. id .. "/end", headers,
        '{"message":"done","type":"success","success":true}')
end

function response(status, headers, body)
    if mode == "end" and not stopping and nextid > hi - conns then
        stopping = true
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local overruns = 0
    for _, t in ipairs(threads) do overruns = overruns + (t:get("overrun") or 0) end
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d non2xx=%d sockerr=%d overrun=%d p50=%.1f p99=%.1f mean=%.1f max=%.1f\n",
        summary.requests, e.status, e.connect + e.read + e.write + e.timeout, overruns,
        latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
