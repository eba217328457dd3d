-- Generations of the edge cache's listings and search answers (decision 0018): each such entry's
-- key holds the current generation of its kind, so one bump makes every one of them unreachable at
-- once. Search workers bump "search" after each change to their index. Catalog and order
-- services bump "lists" when an invalidation names a tag every listing carries (products:list),
-- when one names more listings than they would purge one by one, when a purge of theirs failed,
-- and when a worker starts, stops or comes back after a gap in its invalidation bus (its record
-- is new or gone).
-- Kept in the shared dict `edge_generations` (one for all nginx workers).
local M = {}

local dict = ngx.shared.edge_generations

-- A generation never used before, the cache's files outliving nginx's shared memory: at a start, a random
-- 40-bit value (from /dev/urandom; printed exactly, far below 2^53); at a reload, whose shared dict
-- is kept, the next one.
local function random_start()
  local source = io.open("/dev/urandom", "rb")
  local bytes = source and source:read(5)
  if source then source:close() end
  if not bytes or #bytes < 5 then
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
    return math.random(1, 2 ^ 40)
  end
  local value = 0
  for i = 1, 5 do value = value * 256 + bytes:byte(i) end
  return value
end

-- Listings (catalog) and search answers (search workers bump it after each change to their index).
local NAMES = { "lists", "search" }

function M.init()
  for _, name in ipairs(NAMES) do
    if dict:get(name) then
      dict:incr(name, 1)
    else
      dict:set(name, random_start())
    end
  end
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
