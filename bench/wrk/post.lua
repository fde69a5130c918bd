-- wrk script: POSTs log lines for one job and prints one JSON object when done.
-- Environment: BENCH_JOB (job id), BENCH_MODE = plain | progress | batch, BENCH_LINES (batch size).
-- plain and batch send one fixed body (wrk builds the request once); progress builds every request
-- with its own "Progress: N%" line, as a worker reporting progress does.
local job = os.getenv("BENCH_JOB") or "none"
local mode = os.getenv("BENCH_MODE") or "plain"
local lines = tonumber(os.getenv("BENCH_LINES") or "100")
local line = "[INFO] 200 https://site.example/page/12345 (depth 2, 31 links, utf-8) fetched"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

if mode == "batch" then
   local parts = {}
   for i = 1, lines do parts[i] = '"' .. line .. " " .. i .. '"' end
   wrk.body = '{"job_id":"' .. job .. '","messages":[' .. table.concat(parts, ",") .. ']}'
elseif mode == "progress" then
   local n = 0
   function request()
      n = n + 1
      return wrk.format(nil, nil, nil,
         '{"job_id":"' .. job .. '","message":"[INFO] Progress: ' .. (n % 101) .. '% - page ' .. n .. '"}')
   end
else
   wrk.body = '{"job_id":"' .. job .. '","message":"' .. line .. '"}'
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,"http_errors":%d,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max))
end
