-- get.lua - wrk script for GET benchmarks: no change to the requests, only
-- a machine-readable last line (times in ms):
--   wrk-result REQUESTS DURATION_S REQ_PER_S NON2XX SOCKET_ERRORS P50 P99 MAX

done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("wrk-result %d %.3f %.1f %d %d %.3f %.3f %.3f\n",
    summary.requests, secs, summary.requests / secs, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
