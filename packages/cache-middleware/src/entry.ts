/**
 * One cached value with its lifetimes. All times are epoch milliseconds.
 *
 *   createdAt ── fresh ──► freshUntil ── stale-while-revalidate ──► swrUntil
 *                                    └── stale-if-error (loader failing) ──► sieUntil
 *
 * An entry is stored until `storeUntil` = max(swrUntil, sieUntil).
 */
export interface CacheEntry<T = unknown> {
  value: T;
  tags: string[];
  createdAt: number;
  freshUntil: number;
  swrUntil: number;
  sieUntil: number;
}

export const storeUntil = (entry: CacheEntry): number => Math.max(entry.swrUntil, entry.sieUntil, entry.freshUntil);

export const isFresh = (entry: CacheEntry, now: number): boolean => now < entry.freshUntil;

export interface Lifetimes {
  /** Fresh for this long (ms). */
  ttl: number;
  /** After that, served stale while one refresh runs, for this long (ms). */
  staleWhileRevalidate: number;
  /** After that, served stale while the loader fails, for this long (ms). */
  staleIfError: number;
  /** ± fraction applied to ttl so entries written together do not expire together. */
  jitter: number;
}

export function makeEntry<T>(value: T, tags: readonly string[], life: Lifetimes, now: number, random = Math.random): CacheEntry<T> {
  const jittered = Math.max(1, Math.round(life.ttl * (1 + (random() * 2 - 1) * life.jitter)));
  const freshUntil = now + jittered;
  return {
    value,
    tags: [...new Set(tags)],
    createdAt: now,
    freshUntil,
    swrUntil: freshUntil + life.staleWhileRevalidate,
    sieUntil: freshUntil + life.staleIfError,
  };
}
