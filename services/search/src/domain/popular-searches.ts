import type { PopularQueries } from './popular-queries.ts';
import type { PopularStore } from './ports.ts';

export interface PopularSearches {
  /** Counts an answered search `count` times (default once), by its normalized URL (path and sorted query). */
  record(url: string, count?: number): void;
  /** The most requested search URLs across the cluster as last fetched (this worker's own when Redis is away). */
  urls(): readonly string[];
  /** The `q` of the most requested searches, distinct, most first. */
  queries(): readonly string[];
  /** Pushes this worker's counts to the shared ranking and fetches it back. */
  sync(): Promise<void>;
}

/**
 * Popular searches: counted per worker in bounded memory, merged every few seconds into one
 * bounded ranking in Redis that all workers read back (so every worker warms the same ones).
 */
export function createPopularSearches(local: PopularQueries, store: PopularStore | null, size = 100): PopularSearches {
  let urls: string[] = [];
  let queries: string[] = [];
  const remember = (list: string[]): void => {
    urls = list;
    const seen = new Set<string>();
    for (const url of list) {
      const q = new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('q')?.trim();
      if (q) seen.add(q);
    }
    queries = [...seen];
  };
  return {
    record(url, count) {
      local.record(url, count);
    },
    urls: () => urls,
    queries: () => queries,
    async sync() {
      const counts = local.drain();
      if (!store) {
        remember(local.top(size));
        return;
      }
      try {
        await store.add(counts);
        remember(await store.top(size));
      } catch (error) {
        remember(local.top(size));
        throw error;
      }
    },
  };
}
