-- stats_nocache.lua - wrk script: GET /api/performance/stats for the last
-- 24 hours, with a different `since` on every request (24 h plus up to an
-- hour, to the millisecond), so that no request is answered from the
-- server's answer cache and each one costs a real engine query of the
-- same size as ?window=24h. The last line is machine-readable (ms):
--   wrk-result REQUESTS DURATION_S REQ_PER_S NON2XX SOCKET_ERRORS P50 P99 MAX

local counter = 0
local t0 = os.time()

request = function()
  counter = counter + 1
  local s = t0 - 86400 - (counter % 3600)
  local since = os.date("!%Y-%m-%dT%H:%M:%S", s) .. string.format(".%03dZ", math.floor(counter / 3600) % 1000)
  return wrk.format("GET", "/api/performance/stats?since=" .. since)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("wrk-result %d %.3f %.1f %d %d %.3f %.3f %.3f\n",
    summary.requests, secs, summary.requests / secs, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
