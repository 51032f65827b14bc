-- wrk scenario script for the Athenaeum / DRF side-by-side benchmark.
--
-- Usage (bench/harness.py builds this; adapted from shared/peers/bench/scenario.lua):
--   wrk -t1 -c64 -d15s -s scenario.lua http://127.0.0.1:8001 -- \
--       SCENARIO DATA_DIR [PREFIX] [AUTH_HEADER]
--
-- DATA_DIR holds one value per line in:
--   tokens.txt  access JWTs (authenticated scenarios)
--   books.txt   book ids that exist on this target
--   emails.txt  login emails; password.txt holds the password (one line)
--
-- At the end a single line "BENCH_JSON {...}" is printed with the request
-- count, duration, wrk socket errors, latency percentiles (microseconds) and
-- a count of responses per HTTP status.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_no", counter)
   table.insert(threads, thread)
end

local function read_lines(path)
   local out = {}
   local f = io.open(path, "r")
   if f == nil then
      return out
   end
   for line in f:lines() do
      if line ~= "" then
         table.insert(out, line)
      end
   end
   f:close()
   return out
end

local function json_escape(s)
   return (s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end))
end

local scenario, prefix, auth_header
local tokens, books, emails, password
local n_tokens, n_books, n_emails

-- per-thread global so done() can collect it with thread:get()
statuses = {}

function init(args)
   scenario = args[1]
   local dir = args[2]
   prefix = args[3] or ""
   auth_header = args[4] or "Authorization"
   tokens = read_lines(dir .. "/tokens.txt")
   books = read_lines(dir .. "/books.txt")
   emails = read_lines(dir .. "/emails.txt")
   password = (read_lines(dir .. "/password.txt")[1]) or ""
   n_tokens, n_books, n_emails = #tokens, #books, #emails
   math.randomseed(os.time() * 1000 + (thread_no or 1) * 7919)
   for _ = 1, 10 do math.random() end
   statuses = {}
end

local function auth_headers(extra)
   local h = extra or {}
   h[auth_header] = "Bearer " .. tokens[math.random(n_tokens)]
   return h
end

local function random_book()
   return books[math.random(n_books)]
end

local function borrow_body()
   -- 2..29 days ahead (UTC), so "after today" holds on both sides of midnight
   local days = math.random(2, 29)
   local date = os.date("!%Y-%m-%d", os.time() + days * 86400)
   return '{"book_id": ' .. random_book() .. ', "expected_return_date": "' .. date .. '"}'
end

function request()
   if scenario == "books_list" then
      return wrk.format("GET", prefix .. "/api/books?limit=20&offset=0")
   elseif scenario == "book_detail" then
      return wrk.format("GET", prefix .. "/api/books/" .. random_book())
   elseif scenario == "users_me" then
      return wrk.format("GET", prefix .. "/api/users/me", auth_headers())
   elseif scenario == "login" then
      local body = '{"email": "' .. json_escape(emails[math.random(n_emails)])
         .. '", "password": "' .. json_escape(password) .. '"}'
      return wrk.format("POST", prefix .. "/api/auth/login",
         {["Content-Type"] = "application/json"}, body)
   elseif scenario == "reading_start" then
      return wrk.format("POST", prefix .. "/api/books/" .. random_book() .. "/reading/start",
         auth_headers({["Content-Length"] = "0"}))
   elseif scenario == "borrowings" then
      return wrk.format("POST", prefix .. "/api/borrowings",
         auth_headers({["Content-Type"] = "application/json"}), borrow_body())
   end
   error("unknown scenario: " .. tostring(scenario))
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local agg = {}
   for _, t in ipairs(threads) do
      local st = t:get("statuses")
      if st then
         for code, n in pairs(st) do
            agg[code] = (agg[code] or 0) + n
         end
      end
   end
   local parts = {}
   for code, n in pairs(agg) do
      table.insert(parts, string.format('"%s": %d', tostring(code), n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      table.concat(parts, ", ")))
end
