import type { Grant, LeaseSource } from './lease-source.ts';
import { rateLimitHeaderFormat, secondsUntil, type RateLimitHeaders } from './rate-limit-headers.ts';
import { emptyBucket, hold, remaining, take, type TokenBucket } from './token-bucket.ts';
import { createWindowLru } from './window-lru.ts';

/**
 * Tokens per lease: 1 % of the limit, at least one. Below a limit of 200 that is a single token,
 * so every request is counted in the store and counting is exact. Above it, a worker asks the store
 * once per lease instead of once per request, and holds at most one lease's worth unspent.
 */
export const leaseSizeFor = (max: number): number => Math.max(1, Math.floor(max / 100));

/** The decision on one request, with its header values; a refusal also says when to retry. */
export type Verdict = (RateLimitHeaders & { admitted: true }) | (RateLimitHeaders & { admitted: false; retryAfterSeconds: number });

export interface LeasedLimiter {
  /** Spends a token this worker holds for `clientKey` in the current window; undefined when it holds none. Never waits. */
  admitNow(clientKey: string): RateLimitHeaders | undefined;
  /**
   * For a request admitNow has just turned away: leases from the store and admits, or refuses
   * (at once, without the store, when the store already refused this client in this window).
   */
  admitByLease(clientKey: string): Promise<Verdict>;
  /** Forgets the buckets whose window ended by `now`. */
  sweep(now: number): void;
}

export interface LeasedLimiterOptions {
  source: LeaseSource;
  max: number;
  windowMs: number;
  /** Buckets kept at most; the least recently used goes first. */
  maxClients: number;
}

/**
 * Admission from per-client token buckets that are filled by leases (see leaseSizeFor):
 * a request spends a token held here, without a store round trip; only an empty bucket leases.
 * When a bucket falls to a quarter of a lease it is topped up to a full lease in the background,
 * so a steady client never waits on the store.
 *
 * Tolerance, while the store is Redis and answers: a client is never admitted more than `max` per
 * window across all workers (a lease never grants past max, and every admission spends a granted
 * token). It may be admitted fewer, by at most the tokens the other workers hold unspent:
 * ≤ (workers − 1) × lease size. A worker evicting a bucket (over maxClients) forgets at most one
 * lease of that client's budget.
 */
export function createLeasedLimiter(options: LeasedLimiterOptions): LeasedLimiter {
  const { source, max, windowMs } = options;
  const leaseSize = leaseSizeFor(max);
  const refillAt = Math.floor(leaseSize / 4);
  const format = rateLimitHeaderFormat(max, windowMs);
  const buckets = createWindowLru<TokenBucket>(options.maxClients);

  const admitted = (bucket: TokenBucket, now: number): RateLimitHeaders => ({
    policy: bucket.policy,
    state: format.state(remaining(bucket, max), secondsUntil(bucket.windowEndsAt, now)),
  });

  const refused = (bucket: TokenBucket, now: number): Verdict => {
    const retryAfterSeconds = secondsUntil(bucket.windowEndsAt, now);
    return { admitted: false, policy: bucket.policy, state: format.state(0, retryAfterSeconds), retryAfterSeconds };
  };

  const refillIfLow = (bucket: TokenBucket): void => {
    if (leaseSize === 1 || bucket.leasing || bucket.exhausted || bucket.tokens > refillAt) return;
    bucket.leasing = true;
    const wanted = leaseSize - bucket.tokens;
    source
      .lease(bucket.key, wanted, false)
      .then((grant) => hold(bucket, grant, wanted, windowMs))
      // Best effort: without the refill, the next request that finds the bucket empty leases itself.
      .catch(() => {})
      .finally(() => (bucket.leasing = false));
  };

  const admitNow = (clientKey: string): RateLimitHeaders | undefined => {
    const bucket = buckets.get(clientKey);
    if (bucket === undefined) return undefined;
    const now = performance.now();
    if (!take(bucket, now)) return undefined;
    refillIfLow(bucket);
    return admitted(bucket, now);
  };

  return {
    admitNow,

    async admitByLease(clientKey) {
      let bucket = buckets.get(clientKey);
      if (bucket === undefined) {
        bucket = emptyBucket(clientKey, format.policy(clientKey));
        buckets.set(clientKey, bucket);
      }
      const now = performance.now();
      // Refused for this window by the store that would answer now: no need to ask it again.
      if (bucket.exhausted && now < bucket.windowEndsAt && bucket.store === source.current()) return refused(bucket, now);

      // A full lease, unless one is under way: then one token for this request alone, so that no
      // request waits behind another's lease and the bucket never holds more than one lease.
      const batch = leaseSize > 1 && !bucket.leasing;
      const wanted = batch ? leaseSize : 1;
      bucket.leasing ||= batch;
      let grant: Grant;
      try {
        grant = await source.lease(clientKey, wanted, true);
      } finally {
        if (batch) bucket.leasing = false;
      }
      hold(bucket, grant, wanted, windowMs);
      const after = performance.now();
      // This request spends a token of its own grant: the store granted it within its window.
      if (grant.granted > 0) bucket.tokens -= 1;
      else if (!take(bucket, after)) return refused(bucket, after);
      refillIfLow(bucket);
      return { admitted: true, ...admitted(bucket, after) };
    },

    sweep: (now) => buckets.sweep(now),
  };
}
