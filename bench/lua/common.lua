-- Shared by every make-bench script (bench/load.py puts it first): number the threads,
-- count answers that are not what the step expected in `bad`, and report one JSON line.
local threads = {}
local started = 0
bad = 0

function setup(thread)
  started = started + 1
  thread:set("id", started)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do
    wrong = wrong + (thread:get("bad") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %.0f, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "bad": %d, "p50_us": %.0f, ' ..
    '"p95_us": %.0f, "p99_us": %.0f, "max_us": %.0f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    wrong, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
