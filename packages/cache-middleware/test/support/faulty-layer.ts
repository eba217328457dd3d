import type { CacheLayer } from '../../src/index.ts';

export interface Faults {
  /** Probability 0..1 that an operation throws. */
  errorRate: number;
  /** Added latency per operation, ms. */
  delayMs: number;
}

/** Wraps a layer so each operation can be delayed and/or fail, like a sick Redis. */
export function faultyLayer(inner: CacheLayer, faults: Faults, random = Math.random): CacheLayer & { faults: Faults; calls: number } {
  const state = { faults, calls: 0 };
  const around = async <T>(operation: () => Promise<T>): Promise<T> => {
    state.calls++;
    if (state.faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.faults.delayMs));
    if (random() < state.faults.errorRate) throw new Error('injected fault');
    return operation();
  };
  return {
    name: `faulty(${inner.name})`,
    get faults() {
      return state.faults;
    },
    set faults(next: Faults) {
      state.faults = next;
    },
    get calls() {
      return state.calls;
    },
    get: (key) => around(() => inner.get(key)),
    set: (key, entry, since) => around(() => inner.set(key, entry, since)),
    deleteKeys: (keys) => around(() => inner.deleteKeys(keys)),
    deleteTags: (tags) => around(() => inner.deleteTags(tags)),
    clear: () => around(() => inner.clear()),
  };
}
