-- Appended by bench/run.sh to every scenario's wrk script (or used alone): prints one
-- machine-readable line with exact figures (latencies in microseconds) after wrk's own report.
-- Scenario scripts must therefore not define done() themselves.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d bytes=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d status_errors=%d timeouts=%d lat_mean_us=%.1f lat_max_us=%d " ..
    "p50_us=%d p75_us=%d p90_us=%d p99_us=%d p999_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
