-- wrk script for bench/redeploy.ts: counts responses by status and remembers when each non-2xx one came
-- (seconds since the run started), so a failure can be put beside the redeploy step that caused it.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  failed_at = {}
  started = os.time()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and #failed_at < 200 then
    table.insert(failed_at, (os.time() - started) .. ":" .. status)
  end
end

function done(summary, latency, requests)
  local counts = {}
  local times = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
    for _, at in ipairs(thread:get("failed_at")) do table.insert(times, at) end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  io.write("STATUSES " .. table.concat(parts, ",") .. "\n")
  io.write("FAILED_AT " .. table.concat(times, ",") .. "\n")
end
