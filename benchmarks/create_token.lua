-- wrk load for Create Token: every request carries a bearer token and a JSON body.
-- Bodies rotate through a few realistic shapes (defaults, a named scoped token with an expiry,
-- a service token, a member's token); all of them must be answered 200.
-- Tokens come from the environment: BENCH_ADMIN_TOKEN, BENCH_MEMBER_TOKEN.
-- done() prints one line "BENCH_JSON {...}" that benchmarks/run.py parses.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("offset", #threads)
end

function init(args)
   local admin = assert(os.getenv("BENCH_ADMIN_TOKEN"), "BENCH_ADMIN_TOKEN is not set")
   local member = assert(os.getenv("BENCH_MEMBER_TOKEN"), "BENCH_MEMBER_TOKEN is not set")
   local expiry = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + 90 * 86400)
   local bodies = {
      {admin, '{}'},
      {admin, '{"name": "ci-pipeline", "organization_role": "MEMBER", '
              .. '"workspaces": ["default", "staging"], "expires": true, '
              .. '"expires_at": "' .. expiry .. '"}'},
      {admin, '{"name": "nightly-indexer", "personal": false, "expires": false}'},
      {member, '{"name": "notebook", "workspaces": ["research"]}'},
      {member, '{"organization_role": "EXTERNAL", "role_id": null, "name": null}'},
   }
   prepared = {}
   for i, entry in ipairs(bodies) do
      prepared[i] = wrk.format("POST", "/api/v1/token", {
         ["Authorization"] = "Bearer " .. entry[1],
         ["Content-Type"] = "application/json",
      }, entry[2])
   end
   -- Threads start at different bodies so that the mix stays even.
   cursor = offset % #prepared
   non2xx = 0
   first_failure = ""
end

function request()
   cursor = cursor % #prepared + 1
   return prepared[cursor]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_failure == "" then
         first_failure = tostring(status) .. " " .. string.sub(body or "", 1, 200)
      end
   end
end

local function escape(text)
   return (text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end))
end

function done(summary, latency, requests)
   local failures, failure = 0, ""
   for _, thread in ipairs(threads) do
      failures = failures + thread:get("non2xx")
      if failure == "" then failure = thread:get("first_failure") end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "first_failure": "%s", '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.requests, summary.duration, failures, escape(failure),
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean))
end
