/**
 * Lua scripts, so each multi-step change is atomic in Redis. Keys built inside the scripts
 * (entries named by tag sets) are fine on one Redis node; a Redis Cluster would need hash tags.
 */

/**
 * KEYS: entry, key-invalidation marker, n tag sets, n tag-invalidation markers.
 * ARGV: payload, pttl, loadStartedAt, n, raw key (the member added to each tag set).
 * Refuses (returns 0) when the key or a tag was invalidated at or after loadStartedAt.
 */
export const SET_ENTRY = `
local n = tonumber(ARGV[4])
local since = tonumber(ARGV[3])
local keyAt = redis.call('GET', KEYS[2])
if keyAt and tonumber(keyAt) >= since then return 0 end
for i = 1, n do
  local tagAt = redis.call('GET', KEYS[2 + n + i])
  if tagAt and tonumber(tagAt) >= since then return 0 end
end
local pttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', pttl)
for i = 1, n do
  local tagSet = KEYS[2 + i]
  redis.call('SADD', tagSet, ARGV[5])
  if redis.call('PTTL', tagSet) < pttl then redis.call('PEXPIRE', tagSet, pttl) end
end
return 1
`;

/**
 * KEYS: n tag sets, n tag-invalidation markers.
 * ARGV: now, how long to remember the invalidation (ms), entry key prefix, n.
 */
export const DELETE_TAGS = `
local n = tonumber(ARGV[4])
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, member in ipairs(members) do redis.call('DEL', ARGV[3] .. member) end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[n + i], ARGV[1], 'PX', tonumber(ARGV[2]))
end
return n
`;

/** KEYS: lock. ARGV: token. Deletes the lock only if this worker still holds it. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
