-- wrk script for scripts/bench: plain requests (e.g. GET /healthz) with the
-- same machine-readable report as signed.lua.
--
--   wrk -t2 -c32 -d10s -s bench/wrk/plain.lua http://127.0.0.1:PORT/healthz
--
-- done() prints one line to stdout:
--   RESULT requests=<n> duration_us=<us> rps=<float> p50_us=<n> p99_us=<n>
--          p999_us=<n> errors=<connect+read+write+timeout+status>
--          non2xx=<status errors> wrapped=0

function done(summary, latency, requests)
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.timeout + e.status
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d duration_us=%d rps=%.2f p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d wrapped=0\n",
      summary.requests, summary.duration, secs > 0 and summary.requests / secs or 0,
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
      errors, e.status))
end
