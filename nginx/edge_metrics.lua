-- Requests the edge cache answered itself (decision 0018), in the services' metric names, so
-- that Prometheus sums the edge and the services per route and counts hits by layer.
-- Counted in the shared dict `edge_metrics` (one for all nginx workers) by log(), run in
-- the log phase of the cached location; render() writes them in Prometheus' text format.
-- Requests the edge passed on are counted by the service that answered them, not here.
local M = {}

local dict = ngx.shared.edge_metrics
-- The route label: each cached location sets $edge_route to the services' template for it.
-- The services' LATENCY_BUCKETS (packages/metrics/src/service-metrics.ts; a test compares).
local BUCKETS = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 }
local ANSWERED = { HIT = true, STALE = true, UPDATING = true }
local METHODS = { GET = true, HEAD = true }

-- Keys: "lookup <cache status>", and per "<method> <status> <route>": "sum", "bucket <i>" (the first
-- bucket that holds the duration, #BUCKETS + 1 past the last; render() makes them cumulative and
-- takes the count from them, so a scrape never sees a bucket above its count).
function M.log()
  local cache_status = ngx.var.upstream_cache_status or "NONE"
  dict:incr("lookup " .. cache_status, 1, 0)
  if not ANSWERED[cache_status] then return end
  local method = ngx.req.get_method()
  if not METHODS[method] then method = "OTHER" end
  local id = method .. " " .. ngx.status .. " " .. (ngx.var.edge_route or "")
  local seconds = tonumber(ngx.var.request_time) or 0
  dict:incr("sum " .. id, seconds, 0)
  local bucket = #BUCKETS + 1
  for i = 1, #BUCKETS do
    if seconds <= BUCKETS[i] then
      bucket = i
      break
    end
  end
  dict:incr("bucket " .. bucket .. " " .. id, 1, 0)
end

local function labels(method, status, route)
  return 'service="edge",method="' .. method .. '",route="' .. route .. '",status_code="' .. status .. '"'
end

function M.render()
  local lookups, answered = {}, {}
  local hits, stale = 0, 0
  for _, key in ipairs(dict:get_keys(0)) do
    local value = dict:get(key) or 0
    local kind, rest = key:match("^(%S+) (.+)$")
    if kind == "lookup" then
      lookups[#lookups + 1] = { rest, value }
      if rest == "HIT" then hits = hits + value elseif ANSWERED[rest] then stale = stale + value end
    elseif kind == "sum" then
      -- A key of another shape (an older nginx.conf's, kept in the dict across a reload) is skipped.
      local method, status, route = rest:match("^(%S+) (%d+) (%S*)$")
      if method then
        answered[rest] = answered[rest] or { method = method, status = status, route = route, sum = 0, buckets = {} }
        answered[rest].sum = value
      end
    elseif kind == "bucket" then
      local i, method, status, route = rest:match("^(%d+) (%S+) (%d+) (%S*)$")
      if i then
        local id = method .. " " .. status .. " " .. route
        answered[id] = answered[id] or { method = method, status = status, route = route, sum = 0, buckets = {} }
        answered[id].buckets[tonumber(i)] = value
      end
    end
  end
  table.sort(lookups, function(a, b) return a[1] < b[1] end)
  local ids = {}
  for id, a in pairs(answered) do
    ids[#ids + 1] = id
    local count = 0
    for i = 1, #BUCKETS + 1 do count = count + (a.buckets[i] or 0) end
    a.count = count
  end
  table.sort(ids)

  local out = {}
  local function say(line) out[#out + 1] = line end
  say("# HELP http_requests_total HTTP requests answered, by route template")
  say("# TYPE http_requests_total counter")
  for _, id in ipairs(ids) do
    local a = answered[id]
    say("http_requests_total{" .. labels(a.method, a.status, a.route) .. "} " .. a.count)
  end
  say("# HELP http_request_duration_seconds HTTP request duration from arrival to the last byte handed to the OS, by route template")
  say("# TYPE http_request_duration_seconds histogram")
  for _, id in ipairs(ids) do
    local a = answered[id]
    local l = labels(a.method, a.status, a.route)
    local cumulative = 0
    for i = 1, #BUCKETS do
      cumulative = cumulative + (a.buckets[i] or 0)
      say("http_request_duration_seconds_bucket{" .. l .. ',le="' .. BUCKETS[i] .. '"} ' .. cumulative)
    end
    say("http_request_duration_seconds_bucket{" .. l .. ',le="+Inf"} ' .. a.count)
    say("http_request_duration_seconds_sum{" .. l .. "} " .. string.format("%.6f", a.sum))
    say("http_request_duration_seconds_count{" .. l .. "} " .. a.count)
  end
  say("# HELP cache_hits_total Cache lookups answered by a layer")
  say("# TYPE cache_hits_total counter")
  say('cache_hits_total{service="edge",layer="edge"} ' .. hits)
  say("# HELP cache_stale_served_total Stale entries served, by reason")
  say("# TYPE cache_stale_served_total counter")
  say('cache_stale_served_total{service="edge",reason="edge-updating"} ' .. stale)
  say("# HELP edge_cache_lookups_total Requests the edge cache looked at, by what it did ($upstream_cache_status)")
  say("# TYPE edge_cache_lookups_total counter")
  for _, entry in ipairs(lookups) do
    say('edge_cache_lookups_total{service="edge",result="' .. entry[1] .. '"} ' .. entry[2])
  end
  ngx.print(table.concat(out, "\n"), "\n")
end

return M
