/**
 * The most requested searches of this worker, in bounded memory (the Space-Saving algorithm:
 * when full, a new query takes the place of the least counted one and inherits its count, so a
 * query that is truly frequent cannot be pushed out by a stream of one-off ones).
 */
export interface PopularQueries {
  record(key: string): void;
  /** Counts recorded since the last drain (what to add to the shared ranking), then forgets them. */
  drain(): Map<string, number>;
  /** This worker's most counted keys, most first. */
  top(n: number): string[];
  readonly size: number;
}

export function createPopularQueries(capacity = 500): PopularQueries {
  const counts = new Map<string, number>();
  let pending = new Map<string, number>();

  const bump = (map: Map<string, number>, key: string): void => {
    const count = map.get(key);
    if (count !== undefined) {
      map.set(key, count + 1);
      return;
    }
    if (map.size < capacity) {
      map.set(key, 1);
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
    map.set(key, min + 1);
  };

  return {
    record(key) {
      bump(counts, key);
      bump(pending, key);
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
