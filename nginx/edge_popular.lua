-- The searches the edge cache answered itself (decision 0018), which no search worker saw: the
-- workers rank popular searches to choose what to warm after an index change, and take these
-- counts from here every few seconds (POST /_edge/popular/search) to add them to their own.
-- Counted per raw query (the edge's key) in the shared dict `edge_popular`; when it is full, the
-- least recently counted queries make room (a shared dict's LRU).
local M = {}

local dict = ngx.shared.edge_popular

-- Log phase of the search location: an answer nginx took from its cache (a request the workers
-- never saw; those they answered, they counted) that a worker would have counted, 200 or 304.
function M.log()
  if ngx.var.upstream_cache_status ~= "HIT" then return end
  local status = ngx.status
  if status ~= 200 and status ~= 304 then return end
  dict:incr(ngx.var.args or "", 1, 0)
end

-- POST /_edge/popular/search: one "<count> <raw query>" line per query counted since the last
-- call, which are taken away (each count is read once, by whichever worker asks first). A count
-- added between the read and the subtraction stays for the next call; one added between the
-- subtraction and the removal of an emptied entry (a few instructions) is lost: a ranking's loss.
function M.drain()
  if ngx.req.get_method() ~= "POST" then
    ngx.header["Allow"] = "POST"
    return ngx.exit(405)
  end
  local out = {}
  for _, key in ipairs(dict:get_keys(0)) do
    local count = dict:get(key)
    if count and count > 0 then
      if dict:incr(key, -count) == 0 then dict:delete(key) end
      out[#out + 1] = string.format("%d %s", count, key)
    end
  end
  ngx.header["Content-Type"] = "text/plain"
  if #out > 0 then ngx.print(table.concat(out, "\n"), "\n") end
end

return M
