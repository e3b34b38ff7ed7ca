-- post.lua - wrk script: one operation per POST /api/performance/operations,
-- each with its own tool_use_id ("toolu_01" + 22 base-62 characters: 9 from
-- the run's salt, 2 from wrk's thread, 11 from a per-thread counter), so
-- that every request stores a new call. Usage:
--   wrk -t1 -c16 -d20s -s bench/post.lua http://127.0.0.1:PORT -- SALT
-- The last line is machine-readable (times in ms):
--   wrk-result REQUESTS DURATION_S REQ_PER_S NON2XX SOCKET_ERRORS P50 P99 MAX

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

local function enc(v, n)
  local s = {}
  for i = n, 1, -1 do
    local d = v % 62
    s[i] = string.sub(b62, d + 1, d + 1)
    v = math.floor(v / 62)
  end
  return table.concat(s)
end

local salt, counter = 0, 0
local headers = { ["Content-Type"] = "application/json" }
local tools = { "Read", "Grep", "Edit", "Bash" }
local targets = { "/home/dev/projects/webapp/src/http.c", "parse_header",
                  "/home/dev/projects/webapp/src/http.c", "make test" }

function init(args)
  salt = tonumber(args[1]) or os.time()
end

request = function()
  counter = counter + 1
  local k = counter % 4 + 1
  local body = string.format(
    '{"tool":"%s","target":"%s","duration_ms":%d,"success":true,' ..
    '"session_id":"7f3c2a91-5d4e-4b8a-9c61-2e8f0b1d4a73",' ..
    '"project":"/home/dev/projects/webapp","tool_use_id":"toolu_01%s%s%s"}',
    tools[k], targets[k], 3 + counter % 97, enc(salt, 9), enc(tid or 0, 2), enc(counter, 11))
  return wrk.format("POST", "/api/performance/operations", headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("wrk-result %d %.3f %.1f %d %d %.3f %.3f %.3f\n",
    summary.requests, secs, summary.requests / secs, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
