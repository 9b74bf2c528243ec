-- wrk script for scripts/bench: POST distinct, pre-signed Twilio webhook
-- requests read from a file.
--
--   wrk -t2 -c32 -d10s -s bench/wrk/signed.lua http://127.0.0.1:PORT/sms \
--       -- /path/to/requests.tsv [rate=N] [connections=C] [threads=T]
--
-- requests.tsv: one request per line, "<X-Twilio-Signature>\t<urlencoded form body>".
-- Thread k (0-based) of n sends lines k+1, k+1+n, k+1+2n, ... so no two
-- threads send the same line. A thread that runs out of lines starts over
-- (those repeats look like Twilio retries); their number is reported as
-- wrapped=N in the RESULT line and on stderr.
--
-- rate=N (or env WRK_RATE=N): pace the run to N requests/second in total.
-- Each thread keeps its own schedule of one request every threads*1000/N ms
-- (LuaJIT ffi clock); without ffi it falls back to a fixed per-connection
-- delay of connections*1000/N ms. threads= and connections= default to the
-- -t/-c values wrk was started with (read from /proc/self/cmdline), so they
-- only need to be passed where /proc is unavailable.
--
-- done() prints one line to stdout:
--   RESULT requests=<n> duration_us=<us> rps=<float> p50_us=<n> p99_us=<n>
--          p999_us=<n> errors=<connect+read+write+timeout+status>
--          non2xx=<status errors> wrapped=<n>

-- ---------------------------------------------------------------- setup (main state)
local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

-- ---------------------------------------------------------------- helpers
local function metric(s)
   -- wrk's scan_metric: integer with optional SI suffix k/M/G (base 1000)
   local n, unit = tostring(s):match("^(%d+%.?%d*)([kKmMgG]?)$")
   if not n then return nil end
   local mult = ({ [""] = 1, k = 1e3, K = 1e3, m = 1e6, M = 1e6, g = 1e9, G = 1e9 })[unit]
   return math.floor(tonumber(n) * mult)
end

-- -t / -c as given to wrk (defaults 2 and 10, as in wrk itself).
local function wrk_cmdline()
   local opts = { threads = 2, connections = 10 }
   local f = io.open("/proc/self/cmdline", "rb")
   if not f then return opts end
   local raw = f:read("*a")
   f:close()
   local argv = {}
   for a in raw:gmatch("([^%z]*)%z") do argv[#argv + 1] = a end
   local names = { t = "threads", c = "connections" }
   local i = 2
   while i <= #argv do
      local a = argv[i]
      if a == "--" then break end
      local key, val
      local long, lval = a:match("^%-%-(%a+)=(.*)$")
      if long then
         key, val = long, lval
      elseif a == "--threads" or a == "--connections" then
         key, val = a:sub(3), argv[i + 1]; i = i + 1
      elseif a:match("^%-[tc]$") then
         key, val = names[a:sub(2)], argv[i + 1]; i = i + 1
      elseif a:match("^%-[tc].") then
         key, val = names[a:sub(2, 2)], a:sub(3)
      elseif a:match("^%-[dsHT]$") or a == "--duration" or a == "--script"
          or a == "--header" or a == "--timeout" then
         i = i + 1 -- skip the option's value
      end
      if key == "threads" or key == "connections" then
         opts[key] = metric(val) or opts[key]
      end
      i = i + 1
   end
   return opts
end

local function monotonic_ms()
   return nil
end
do
   local ok, ffi = pcall(require, "ffi")
   if ok then
      pcall(ffi.cdef, [[
         typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
         int clock_gettime(int clk_id, bench_timespec *tp);
      ]])
      local ts = ffi.new("bench_timespec")
      monotonic_ms = function()
         ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
         return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
      end
   end
end

-- ---------------------------------------------------------------- init (thread state)
local reqs = {}
local count = 0
local cursor = 0
wrapped = 0

function init(args)
   local path = args[1]
   if not path or path == "" then
      error("signed.lua: pass the request file after --, e.g. -- /tmp/requests.tsv")
   end
   local opts = { rate = tonumber(os.getenv("WRK_RATE") or "") }
   for i = 2, #args do
      local k, v = args[i]:match("^(%w+)=(.+)$")
      if k then opts[k] = metric(v) or tonumber(v) end
   end
   local cmd = wrk_cmdline()
   local nthreads = opts.threads or cmd.threads
   local nconns = opts.connections or cmd.connections
   local me = id or 0

   local f, err = io.open(path, "rb")
   if not f then error("signed.lua: cannot open " .. path .. ": " .. tostring(err)) end
   local lineno = 0
   for line in f:lines() do
      if line:sub(-1) == "\r" then line = line:sub(1, -2) end
      if line ~= "" then
         if lineno % nthreads == me then
            local sig, body = line:match("^([^\t]+)\t(.*)$")
            if not sig then
               error("signed.lua: line " .. (lineno + 1) .. " is not <signature>\\t<body>")
            end
            count = count + 1
            reqs[count] = wrk.format("POST", nil, {
               ["Content-Type"] = "application/x-www-form-urlencoded",
               ["X-Twilio-Signature"] = sig,
            }, body)
         end
         lineno = lineno + 1
      end
   end
   f:close()
   if count == 0 then
      error("signed.lua: thread " .. me .. " got no lines from " .. path)
   end

   local rate = opts.rate
   if rate and rate > 0 then
      if monotonic_ms() then
         local interval = nthreads * 1000 / rate -- this thread's share
         local next_slot = nil
         delay = function()
            local now = monotonic_ms()
            if not next_slot or next_slot < now then next_slot = now end
            local wait = next_slot - now
            next_slot = next_slot + interval
            return wait
         end
      else
         local fixed = nconns * 1000 / rate
         delay = function() return fixed end
      end
   end
end

function request()
   cursor = cursor + 1
   if cursor > count then
      wrapped = wrapped + 1
      return reqs[(cursor - 1) % count + 1]
   end
   return reqs[cursor]
end

-- ---------------------------------------------------------------- done (main state)
function done(summary, latency, requests)
   local wraps = 0
   for _, t in ipairs(threads) do
      wraps = wraps + (tonumber(t:get("wrapped")) or 0)
   end
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.timeout + e.status
   local secs = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d duration_us=%d rps=%.2f p50_us=%d p99_us=%d p999_us=%d errors=%d non2xx=%d wrapped=%d\n",
      summary.requests, summary.duration, secs > 0 and summary.requests / secs or 0,
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
      errors, e.status, wraps))
   if wraps > 0 then
      io.stderr:write(string.format(
         "signed.lua: %d requests repeated an already-sent line (file too short for this run)\n", wraps))
   end
end
