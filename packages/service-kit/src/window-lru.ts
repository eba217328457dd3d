/** Per-client state that belongs to one rate-limit window and may be forgotten once it has ended. */
export interface Windowed {
  /** On the monotonic clock (`performance.now()`). */
  windowEndsAt: number;
}

/**
 * Per-client state of a limiter, bounded so that a flood of distinct clients costs a fixed amount
 * of memory: at most `capacity` entries (a new one pushes out the least recently used), and
 * `sweep` drops the entries whose window has ended.
 */
export interface WindowLru<V extends Windowed> {
  /** The entry of `key`, now the most recently used; ended windows included (sweep drops them). */
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  /** Drops every entry whose window ended by `now`. */
  sweep(now: number): void;
  readonly size: number;
}

/** A map of at most `capacity` entries that forgets the least recently used first, and ended windows on sweep(). */
export function createWindowLru<V extends Windowed>(capacity: number): WindowLru<V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, V>();
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
    },
    sweep(now) {
      for (const [key, value] of entries) if (value.windowEndsAt <= now) entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
