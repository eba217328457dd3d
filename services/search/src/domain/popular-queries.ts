/**
 * The most requested searches of this worker, in bounded memory (the Space-Saving algorithm:
 * when full, a new query takes the place of the least counted one and inherits its count, so a
 * query that is truly frequent cannot be pushed out by a stream of one-off ones).
 */
export interface PopularQueries {
  /** Counts `key` `count` times (default once): requests another layer answered come in batches. */
  record(key: string, count?: number): void;
  /** Counts recorded since the last drain (what to add to the shared ranking), then forgets them. */
  drain(): Map<string, number>;
  /** This worker's most counted keys, most first. */
  top(n: number): string[];
  readonly size: number;
}

export function createPopularQueries(capacity = 500): PopularQueries {
  const counts = new Map<string, number>();
  let pending = new Map<string, number>();

  const bump = (map: Map<string, number>, key: string, by: number): void => {
    const count = map.get(key);
    if (count !== undefined) {
      map.set(key, count + by);
      return;
    }
    if (map.size < capacity) {
      map.set(key, by);
      return;
    }
    let minKey = '';
    let min = Infinity;
    for (const [k, c] of map) {
      if (c < min) {
        min = c;
        minKey = k;
      }
    }
    map.delete(minKey);
    map.set(key, min + by);
  };

  return {
    record(key, count = 1) {
      if (!(count >= 1)) return;
      bump(counts, key, count);
      bump(pending, key, count);
    },
    drain() {
      const drained = pending;
      pending = new Map();
      return drained;
    },
    top(n) {
      return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([key]) => key);
    },
    get size() {
      return counts.size;
    },
  };
}
