/**
 * Lua scripts, so each multi-step change is atomic in Redis. Keys built inside the scripts
 * (entries named by tag sets) are fine on one Redis node; a Redis Cluster would need hash tags.
 *
 * The L2 Redis runs with `maxmemory-policy noeviction` (decision 0015): when it is full, writes
 * are refused with an OOM error. SET_ENTRY needs nothing for that: in a script without flags Redis
 * refuses a memory-growing command only while the script has written nothing yet, and its first
 * write is the entry's SET, so it stores the entry with all its tag-set members or nothing.
 * The deleting scripts carry `flags=allow-oom` (Redis 7): an invalidation completes in a full Redis,
 * its marks included (a few bytes each, expiring), whatever the order of the commands in it. The
 * marks must land: they are what refuses a late write of an older load once memory frees up.
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
 * Runs in a full Redis too (allow-oom).
 */
export const DELETE_TAGS = `#!lua flags=allow-oom
local n = tonumber(ARGV[4])
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, member in ipairs(members) do redis.call('DEL', ARGV[3] .. member) end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[n + i], ARGV[1], 'PX', tonumber(ARGV[2]))
end
return n
`;

/**
 * KEYS: n entries, n key-invalidation markers. ARGV: now, how long to remember the invalidation (ms).
 * Runs in a full Redis too (allow-oom): a MULTI holding a SET would be refused whole (EXECABORT).
 */
export const DELETE_KEYS = `#!lua flags=allow-oom
local n = #KEYS / 2
for i = 1, n do
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
