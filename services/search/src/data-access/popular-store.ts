import type { Redis } from '@shop/service-kit';
import type { PopularStore } from '../domain/ports.ts';

/**
 * Adds counts with the Space-Saving rule (a new member, when the set is full, replaces the least
 * counted one and inherits its score, so a query that is becoming popular is not trimmed away
 * before it can add up), then halves every score once a minute across the cluster (the
 * `decay` key makes one worker do it; a brand-new ranking starts its first minute undecayed),
 * so the ranking follows what people search now.
 * KEYS[1] ranking, KEYS[2] decay marker; ARGV[1] capacity, ARGV[2] decay period ms, then member, count pairs.
 */
const ADD_SCRIPT = `
local key, capacity = KEYS[1], tonumber(ARGV[1])
local existed = redis.call('EXISTS', key) == 1
for i = 3, #ARGV, 2 do
  local member, count = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('ZSCORE', key, member) then
    redis.call('ZINCRBY', key, count, member)
  elseif redis.call('ZCARD', key) < capacity then
    redis.call('ZADD', key, count, member)
  else
    local least = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    redis.call('ZREM', key, least[1])
    redis.call('ZADD', key, tonumber(least[2]) + count, member)
  end
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) and existed then
  redis.call('ZUNIONSTORE', key, 1, key, 'WEIGHTS', 0.5)
end
return redis.call('ZCARD', key)
`;

const DECAY_PERIOD_MS = 60_000;

/** The cluster-wide ranking of searches: a Redis sorted set of at most `capacity` members. */
export function redisPopularStore(redis: Redis, key: string, capacity = 1_000): PopularStore {
  return {
    async add(increments) {
      if (increments.size === 0) return;
      const args = [...increments].flatMap(([member, count]) => [member, String(count)]);
      await redis.eval(ADD_SCRIPT, 2, key, `${key}:decay`, String(capacity), String(DECAY_PERIOD_MS), ...args);
    },
    async top(n) {
      return redis.zrevrange(key, 0, n - 1);
    },
  };
}
