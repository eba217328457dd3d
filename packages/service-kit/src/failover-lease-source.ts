import type { LeaseSource } from './lease-source.ts';

/** After Redis fails, leases skip it this long: a stalled Redis costs one command timeout, not one per request. */
const SKIP_AFTER_FAILURE_MS = 2_000;

/**
 * Leases from `shared` (Redis) and, when it fails or its client is not connected (`sharedUp`),
 * from `local` (this worker's memory): limits keep holding per worker through an outage, and
 * return to the shared count by themselves, at the first lease after SKIP_AFTER_FAILURE_MS once
 * Redis answers again. `onFailure` hears every failure (the caller throttles its warnings).
 */
export function failoverLeaseSource(
  shared: LeaseSource,
  local: LeaseSource,
  sharedUp: () => boolean,
  onFailure: (error: unknown) => void,
): LeaseSource {
  let skipUntil = 0;
  const current = (): 'redis' | 'memory' => (performance.now() < skipUntil || !sharedUp() ? 'memory' : 'redis');
  return {
    current,
    async lease(key, wanted, forRequest) {
      if (performance.now() < skipUntil) return local.lease(key, wanted, forRequest);
      if (!sharedUp()) {
        onFailure(new Error('Redis is not connected'));
        return local.lease(key, wanted, forRequest);
      }
      try {
        return await shared.lease(key, wanted, forRequest);
      } catch (error) {
        skipUntil = performance.now() + SKIP_AFTER_FAILURE_MS;
        onFailure(error);
        return local.lease(key, wanted, forRequest);
      }
    },
  };
}
