import { createHash } from 'node:crypto';
import type { Grant, LeaseSource } from './lease-source.ts';
import type { Redis } from './redis.ts';

/**
 * One lease, atomically. KEYS[1]: the client's counter `rl:<prefix>:<client>` (tokens reserved in
 * the current window, plus counted refusals). ARGV: wanted, max, windowMs, refusal cost (1 when a
 * request asks, 0 for a background refill).
 * Grants as many of the wanted tokens as fit under max and adds them to the counter; when none
 * fit, adds the refusal cost instead, so a refused request leaves the count it always did (10
 * admitted + 1 refused with max 10: 11). The key that INCRBY creates gets the window as its PTTL.
 * Returns {granted, counter after, PTTL}.
 */
export const LEASE_SCRIPT = `
local wanted = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local reserved = tonumber(redis.call('GET', KEYS[1]) or '0')
local granted = math.max(0, math.min(wanted, max - reserved))
local increment = granted
if granted == 0 then increment = tonumber(ARGV[4]) end
if increment > 0 then reserved = redis.call('INCRBY', KEYS[1], increment) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[3])
  if reserved > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return {granted, reserved, ttl}
`;

const LEASE_SCRIPT_SHA = createHash('sha1').update(LEASE_SCRIPT).digest('hex');

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Leases from Redis: one EVALSHA per lease (EVAL once more when Redis does not know the script
 * yet, e.g. after a restart; that also loads it). Rejects when Redis fails; see failoverLeaseSource.
 */
export function redisLeaseSource(redis: Redis, prefix: string, max: number, windowMs: number): LeaseSource {
  return {
    async lease(key, wanted, forRequest) {
      // The window's end is counted from before the call: never later than Redis's own expiry.
      const sentAt = performance.now();
      const args = [`rl:${prefix}:${key}`, wanted, max, windowMs, forRequest ? 1 : 0] as const;
      const reply = (await redis.evalsha(LEASE_SCRIPT_SHA, 1, ...args).catch((error: unknown) => {
        if (isNoScript(error)) return redis.eval(LEASE_SCRIPT, 1, ...args);
        throw error;
      })) as [number, number, number];
      const [granted, reserved, ttl] = reply;
      return { store: 'redis', granted, reserved, windowEndsAt: sentAt + ttl } satisfies Grant;
    },
    current: () => 'redis',
  };
}
