-- wrk script for the mock-API benchmark and the memory soak.
--
-- wrk -s bench/payments.lua URL -- MODE PATH API_KEY RUN_TAG [STOP_AFTER DONE_FILE]
--   MODE        get: GET PATH; post: POST PATH with a payment body and a fresh Idempotency-Key;
--               refund-missing: POST PATH with a refund of a payment that does not exist (a
--               stored 404 that creates nothing), also with a fresh Idempotency-Key
--   PATH        request path, e.g. /v1/payments
--   RUN_TAG     makes keys unique across wrk runs against the same server
--   STOP_AFTER  optional: each thread stops after this many responses (the soak) and creates
--               DONE_FILE; wrk itself waits out its -d duration, so the caller watches for
--               that file and ends wrk with SIGINT, which still runs done()
-- done() prints one JSON line: requests, duration, errors and latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads + 1)
   table.insert(threads, thread)
end

local mode, path, run_tag, stop_after, done_file
-- Globals, so that done() can read them from each thread with thread:get().
sent, answered, unexpected = 0, 0, 0
local body_by_mode = {
   post = '{"amount":4999,"currency":"EUR","card":{"number":"4111111111111111",'
      .. '"exp_month":12,"exp_year":2030,"cvc":"123"},"reference":"order-bench"}',
   ["refund-missing"] = '{"payment":"pay_doesnotexist0000000000"}',
}
local expected_by_mode = { get = 200, post = 201, ["refund-missing"] = 404 }
local expected

function init(args)
   mode, path, run_tag = args[1], args[2], args[4]
   stop_after = tonumber(args[5] or "0")
   done_file = args[6]
   expected = expected_by_mode[mode]
   wrk.headers["Authorization"] = "Bearer " .. args[3]
   if mode ~= "get" then
      wrk.method = "POST"
      wrk.body = body_by_mode[mode]
      wrk.headers["Content-Type"] = "application/json"
   end
end

function request()
   if mode == "get" then
      return wrk.format("GET", path)
   end
   sent = sent + 1
   -- wrk.format() replaces wrk.headers when given a table, so set the key there instead.
   wrk.headers["Idempotency-Key"] = string.format("%s-%d-%d", run_tag, thread_number, sent)
   return wrk.format("POST", path)
end

function response(status, headers, body)
   answered = answered + 1
   if status ~= expected then
      unexpected = unexpected + 1
   end
   if stop_after > 0 and answered == stop_after then
      if done_file then
         io.open(done_file, "w"):close()
      end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local unexpected_total = 0
   for _, thread in ipairs(threads) do
      unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
         .. '"unexpected_status":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
         .. '"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
         .. '"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, unexpected_total,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
