-- wrk script for bench/soak_server.sh: every request POSTs two texts to
-- /parse, full of words no earlier request used (order numbers, e-mail
-- addresses, URLs, made-up names), so a server that kept the words of past
-- requests would grow without bound.
--
-- Arguments (after wrk's "--"): TOTAL_REQUESTS WRK_THREADS [DONE_PREFIX].
-- Each thread stops after its share of responses and then creates the file
-- DONE_PREFIX<thread number>, so that the driver can end wrk (whose main
-- thread otherwise sleeps for all of -d) with SIGINT; -d bounds the time.

local threads = {}
local next_id = 0

-- Runs in wrk's main state, once per thread, before the threads start.
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

-- Thread-local state. Globals, so that done() can read them with get().
responses = 0
errors = 0
local sent = 0
local limit = 0
local salt = 0
local done_prefix = nil

function init(args)
  local total = tonumber(args[1] or "1000000")
  local n_threads = tonumber(args[2] or "1")
  limit = math.ceil(total / n_threads)
  done_prefix = args[3]
  -- A different salt per run keeps words fresh across runs too.
  salt = os.time() % 100000
  wrk.method = "POST"
  wrk.path = "/parse"
  wrk.headers["Content-Type"] = "application/json"
end

local template = '{"texts":["Order %d-%d shipped to user%d_%d@mail%d.example.com via '
  .. 'https://shop.example/t/%x/%d today, as Zq%dw%d promised.",'
  .. '"Ticket #%d%d from Kx%dv says build %dq%d of Vorn%dz failed: '
  .. 'code E%d%d, see id%x."]}'

function request()
  sent = sent + 1
  local a, b = id, sent
  local body = string.format(template, a, b, b, a, salt, b, a, b, a, a, b, b, a, a, b, b, a, b * 7919 + salt)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    errors = errors + 1
  end
  if responses == limit then
    if done_prefix then
      local f = io.open(done_prefix .. id, "w")
      if f then f:close() end
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("responses")
    failed = failed + t:get("errors")
  end
  io.write(string.format("soak: responses %d, non-200 %d\n", total, failed))
end
