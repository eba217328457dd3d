import { normalizedUrl } from '@shop/cache-middleware';

/** nginx's location that hands over, and forgets, the searches the edge answered (nginx/edge_popular.lua). */
const POPULAR_PATH = '/_edge/popular/search';
/** One line of its answer: a count, a space, the raw query as the edge keyed it (nginx/nginx.conf.template `$edge_skip`). */
const LINE = /^([1-9][0-9]{0,9}) ([A-Za-z0-9&=%._~+-]{0,512})$/;

export interface EdgePopularCountsOptions {
  /** Base URLs of every nginx running the edge cache (EDGE_PURGE_URLS). */
  urls: readonly string[];
  /** How long one nginx may take to answer. Default 1 s. */
  timeoutMs?: number;
  /**
   * The most counted queries kept of one read (the rest, each counted less, would not make the
   * ranking anyway; each newcomer costs the ranking a scan of its entries). Default 500.
   */
  maxQueries?: number;
  /** An nginx that could not be read: its counts stay there for the next read. */
  onError?: (error: Error, url: string) => void;
}

/**
 * The searches nginx's edge cache answered itself since they were last taken, which no search
 * worker saw: `POST <url>/_edge/popular/search` on every nginx, merged by normalized URL (the
 * form the popular ranking counts by). An nginx that cannot be read is reported and skipped; if
 * its answer is lost after it was sent (a timeout), those counts are lost with it.
 */
export function edgePopularCounts(options: EdgePopularCountsOptions): () => Promise<Map<string, number>> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const maxQueries = options.maxQueries ?? 500;
  const readOne = async (base: string): Promise<string> => {
    const url = `${base.replace(/\/$/, '')}${POPULAR_PATH}`;
    try {
      const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`edge popular searches answered ${res.status}`);
      return text;
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)), url);
      return '';
    }
  };
  return async () => {
    const counts = new Map<string, number>();
    for (const text of await Promise.all(options.urls.map(readOne))) {
      for (const line of text.split('\n')) {
        const match = LINE.exec(line);
        if (!match) continue;
        const url = normalizedUrl(`/api/search?${match[2]}`);
        counts.set(url, (counts.get(url) ?? 0) + Number(match[1]));
      }
    }
    if (counts.size <= maxQueries) return counts;
    return new Map([...counts].sort((a, b) => b[1] - a[1]).slice(0, maxQueries));
  };
}
