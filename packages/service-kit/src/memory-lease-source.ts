import type { Grant, LeaseSource } from './lease-source.ts';
import { createWindowLru } from './window-lru.ts';

/** A client's count in this worker's memory: the lease script's counter, kept locally. */
interface Counter {
  reserved: number;
  windowEndsAt: number;
}

/** Leases from this worker's memory, bounded like the token buckets; `sweep` drops ended windows. */
export interface MemoryLeaseSource extends LeaseSource {
  sweep(now: number): void;
}

/**
 * Counts in this worker's memory with the same rules as the lease script (the same max, the same
 * fixed window from a client's first lease, refusals counted alike): what a worker uses while
 * Redis fails, or always when it has none. Limits then hold per worker, loosened by the worker
 * count, never gone. At most `capacity` clients are tracked; beyond that the least recently seen
 * is forgotten and starts over, the price of bounded memory under a flood of addresses.
 */
export function createMemoryLeaseSource(max: number, windowMs: number, capacity: number): MemoryLeaseSource {
  const counters = createWindowLru<Counter>(capacity);
  return {
    lease(key, wanted, forRequest) {
      const now = performance.now();
      let counter = counters.get(key);
      if (counter === undefined || counter.windowEndsAt <= now) {
        counter = { reserved: 0, windowEndsAt: now + windowMs };
        counters.set(key, counter);
      }
      const granted = Math.max(0, Math.min(wanted, max - counter.reserved));
      counter.reserved += granted > 0 ? granted : forRequest ? 1 : 0;
      return Promise.resolve({ store: 'memory', granted, reserved: counter.reserved, windowEndsAt: counter.windowEndsAt } satisfies Grant);
    },
    current: () => 'memory',
    sweep: (now) => counters.sweep(now),
  };
}
