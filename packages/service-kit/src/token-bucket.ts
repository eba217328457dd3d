import type { Grant } from './lease-source.ts';
import type { Windowed } from './window-lru.ts';

/** One client's tokens in this worker: leased from one store, for one window of it. */
export interface TokenBucket extends Windowed {
  readonly key: string;
  /** This client's `RateLimit-Policy` value, built once. */
  readonly policy: string;
  /** Leased and not yet spent. */
  tokens: number;
  /** The client's count in the store at the last lease: every worker's reservations, plus counted refusals. */
  reserved: number;
  store: Grant['store'] | undefined;
  /** A lease came back short: the store has nothing left this window, so none is asked for until it ends. */
  exhausted: boolean;
  /** A lease of more than one token (a window's first, or a refill) is under way; there is at most one. */
  leasing: boolean;
}

/** A client's bucket before its first lease: no tokens, no window yet. */
export const emptyBucket = (key: string, policy: string): TokenBucket => ({
  key,
  policy,
  tokens: 0,
  reserved: 0,
  store: undefined,
  windowEndsAt: -Infinity,
  exhausted: false,
  leasing: false,
});

/**
 * Adds what a lease of `wanted` tokens brought. A grant from another window replaces what the
 * bucket held: the next window (its end is at least a window later, minus one round trip; within
 * one window ends differ by a round trip at most, hence the half-window test), or the other store
 * (Redis failed, or answers again). Tokens never outlive the window they were reserved in.
 */
export function hold(bucket: TokenBucket, grant: Grant, wanted: number, windowMs: number): void {
  const sameWindow = grant.store === bucket.store && Math.abs(grant.windowEndsAt - bucket.windowEndsAt) < windowMs / 2;
  if (sameWindow) {
    // Every estimate of the end is at or before the store's own (see Grant): the latest is the closest.
    bucket.windowEndsAt = Math.max(bucket.windowEndsAt, grant.windowEndsAt);
    bucket.reserved = Math.max(bucket.reserved, grant.reserved);
  } else {
    bucket.store = grant.store;
    bucket.windowEndsAt = grant.windowEndsAt;
    bucket.reserved = grant.reserved;
    bucket.tokens = 0;
    bucket.exhausted = false;
  }
  bucket.tokens += grant.granted;
  if (grant.granted < wanted) bucket.exhausted = true;
}

/** Spends one held token, if there is one; tokens of a window that has ended are dropped, never spent. */
export function take(bucket: TokenBucket, now: number): boolean {
  if (now >= bucket.windowEndsAt) bucket.tokens = 0;
  if (bucket.tokens === 0) return false;
  bucket.tokens -= 1;
  return true;
}

/**
 * `r=`: the tokens held here plus what the store had left at the last lease. Exact with single-token
 * leases or a single worker; otherwise other workers may have leased part of what was left since.
 */
export const remaining = (bucket: TokenBucket, max: number): number => bucket.tokens + Math.max(0, max - bucket.reserved);
