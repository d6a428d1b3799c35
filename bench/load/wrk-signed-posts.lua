-- wrk script: replays pre-signed webhook deliveries (written by bench/load/wrk.ts), each thread
-- taking every Nth line, and prints a JSON summary. wrk's Lua has no HMAC, so signing happens
-- ahead of time in Node with the project's own scheme code.
-- Line format: body \t header-name \t header-value [\t name \t value ...]
-- Usage: wrk -s wrk-signed-posts.lua URL -- <file> <threads>

local tid = 0
function setup(thread)
  thread:set("id", tid)
  tid = tid + 1
end

local reqs = {}
function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local fields = {}
      for f in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = f end
      local headers = {}
      for k = 2, #fields - 1, 2 do headers[fields[k]] = fields[k + 1] end
      reqs[#reqs + 1] = wrk.format("POST", nil, headers, fields[1])
    end
    i = i + 1
  end
end

local n = 0
function request()
  n = n + 1
  return reqs[((n - 1) % #reqs) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
