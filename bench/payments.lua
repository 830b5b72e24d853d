-- wrk script for the mock-API benchmark and the memory soak.
--
-- wrk -s bench/payments.lua URL -- MODE PATH API_KEY RUN_TAG [STOP_AFTER DONE_FILE [BODY]]
--   MODE        get: GET PATH; post: POST PATH with a payment body and a fresh Idempotency-Key;
--               refund-missing: POST PATH with a refund of a payment that does not exist (a
--               stored 404 that creates nothing), also with a fresh Idempotency-Key;
--               post-capped: as post, where 503 (capacity_reached past --max-objects) is
--               expected too; form-post: POST PATH with the form-encoded BODY and a fresh
--               Idempotency-Key, expecting 200 (localstripe, the second peer of the mock)
--   PATH        request path, e.g. /v1/payments
--   RUN_TAG     makes keys unique across wrk runs against the same server
--   STOP_AFTER  optional: each thread stops after this many responses (the soak) and creates
--               DONE_FILE; wrk itself waits out its -d duration, so the caller watches for
--               that file and ends wrk with SIGINT, which still runs done(); 0: no limit
--   BODY        the body of form-post
-- done() prints one JSON line: requests, duration, errors, how many responses were 201 and 503,
-- and latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads + 1)
   table.insert(threads, thread)
end

local mode, path, run_tag, stop_after, done_file
-- Globals, so that done() can read them from each thread with thread:get().
sent, answered, unexpected, created, capped = 0, 0, 0, 0, 0
local payment_body = '{"amount":4999,"currency":"EUR","card":{"number":"4111111111111111",'
   .. '"exp_month":12,"exp_year":2030,"cvc":"123"},"reference":"order-bench"}'
local body_by_mode = {
   post = payment_body,
   ["post-capped"] = payment_body,
   ["refund-missing"] = '{"payment":"pay_doesnotexist0000000000"}',
}
local expected_by_mode = {
   get = { [200] = true },
   post = { [201] = true },
   ["post-capped"] = { [201] = true, [503] = true },
   ["refund-missing"] = { [404] = true },
   ["form-post"] = { [200] = true },
}
local expected

function init(args)
   mode, path, run_tag = args[1], args[2], args[4]
   stop_after = tonumber(args[5] or "0")
   done_file = args[6]
   expected = expected_by_mode[mode]
   wrk.headers["Authorization"] = "Bearer " .. args[3]
   if mode == "form-post" then
      wrk.method = "POST"
      wrk.body = args[7]
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   elseif mode ~= "get" then
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
   if not expected[status] then
      unexpected = unexpected + 1
   end
   if status == 201 then
      created = created + 1
   elseif status == 503 then
      capped = capped + 1
   end
   if stop_after > 0 and answered == stop_after then
      if done_file and done_file ~= "" then
         io.open(done_file, "w"):close()
      end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local unexpected_total, created_total, capped_total = 0, 0, 0
   for _, thread in ipairs(threads) do
      unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
      created_total = created_total + (thread:get("created") or 0)
      capped_total = capped_total + (thread:get("capped") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"unexpected_status":%d,'
         .. '"created":%d,"capacity_reached":%d,'
         .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
         .. '"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
         .. '"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, unexpected_total,
      created_total, capped_total,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
