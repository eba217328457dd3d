-- Generations of the edge cache's listings (decision 0018): each listing's key holds the current
-- generation, so one bump makes every stored listing unreachable at once. The services bump it
-- when an invalidation names a tag every listing carries (products:list), when one names more
-- listings than they would purge one by one, and after a gap in their invalidation bus.
-- Kept in the shared dict `edge_generations` (one for all nginx workers).
local M = {}

local dict = ngx.shared.edge_generations

-- A new value at every (re)start and reload: listings stored before it are never read again (the
-- cache on disk outlives nginx's memory).
function M.init()
  dict:set("lists", os.time() * 1000 + math.floor((os.clock() * 1000) % 1000))
end

function M.get(name)
  return tostring(dict:get(name) or 0)
end

-- PURGE /_edge/generation/<name>: the next generation, 200 with its value.
function M.bump(name)
  if ngx.req.get_method() ~= "PURGE" then
    ngx.status = 405
    ngx.header["Allow"] = "PURGE"
    return ngx.exit(405)
  end
  local value = dict:incr(name, 1, 0)
  ngx.header["Content-Type"] = "text/plain"
  ngx.say(value)
end

return M
