-- The searches the edge cache answered itself (decision 0018), which no search worker saw: the
-- workers rank popular searches to choose what to warm after an index change, and take these
-- counts from here every few seconds (POST /_edge/popular/search) to add them to their own.
-- Counted per raw query (the edge's key), as "?<query>" (a bare /api/search too), in the shared
-- dict `edge_popular`; when it is full, the least recently used entries make room (a shared
-- dict's LRU).
local M = {}

local dict = ngx.shared.edge_popular
-- How long a drained entry (count 0) is kept: drains come every few seconds, so a count added to
-- it since is taken long before; with no drains (no search worker), counts age out.
local DRAINED_TTL = 30

-- Log phase of the search location: an answer nginx took from its cache (a request the workers
-- never saw; those they answered, they counted) that a worker would have counted, 200 or 304.
function M.log()
  if ngx.var.upstream_cache_status ~= "HIT" then return end
  local status = ngx.status
  if status ~= 200 and status ~= 304 then return end
  dict:incr("?" .. (ngx.var.args or ""), 1, 0)
end

-- POST /_edge/popular/search: one "<count> <raw query>" line per query counted since the last
-- call. Each count is taken by an atomic subtraction, so drains that overlap (several workers,
-- nginx worker processes in parallel) never hand out the same hits twice: a subtraction that
-- would go below zero (another drain took them) is given back, and its line left out. A drained
-- entry stays at 0 until a later hit, and expires DRAINED_TTL seconds after its last drain.
function M.drain()
  if ngx.req.get_method() ~= "POST" then
    ngx.header["Allow"] = "POST"
    return ngx.exit(405)
  end
  local out = {}
  for _, key in ipairs(dict:get_keys(0)) do
    local count = dict:get(key)
    if count and count > 0 then
      local left = dict:incr(key, -count)
      if left and left < 0 then
        dict:incr(key, count)
      elseif left then
        -- Hits added since the read keep the entry for the next drain; an emptied one expires.
        dict:expire(key, left == 0 and DRAINED_TTL or 0)
        out[#out + 1] = string.format("%d %s", count, key:sub(2))
      end
    end
  end
  ngx.header["Content-Type"] = "text/plain"
  if #out > 0 then ngx.print(table.concat(out, "\n"), "\n") end
end

return M
