-- wrk script for bench/run.mjs: POST one chat request per iteration, print one RESULT line.
--   BODY='{"model":...}' wrk -t1 -c32 -d10s --timeout 30s -s bench/wrk-chat.lua -H 'Authorization: ...' URL
-- Headers come from -H on the command line. Latency is wrk's: request written -> last byte of
-- the response (for SSE: after `data: [DONE]`). Adapted from /work/shared/bench-peers/wrk-chat.lua.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY") or error("BODY is not set")

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_s":%.3f,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"mb_per_s":%.2f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.bytes / secs / 1e6, e.status, e.connect + e.read + e.write + e.timeout))
end
