import { createEdgePurger, type Purger } from '@shop/cache-middleware';
import { throttledWarn, type Logger } from '@shop/service-kit';
import { SEARCH_RESULTS } from '../domain/cache-tags.ts';

/** nginx's location that moves every stored search answer to a new generation (nginx/edge_generations.lua). */
const SEARCH_GENERATION = '/_edge/generation/search';

/**
 * The purger of nginx's edge cache for the search service, or none when EDGE_PURGE_URLS names no
 * nginx. Every search answer carries one tag, dropped whenever this worker's index changes: each
 * such invalidation moves every stored search answer to a new generation (twice, the second 50 ms
 * later, for an answer in flight). Each worker sends it after its own index changed, so the last
 * bump of a change follows the last worker's update (decision 0018). Failed bumps are counted and
 * logged at most every 30 s; what they missed lives out its 10 s at most.
 */
export function searchEdgePurgers(urls: readonly string[], logger: Logger, purges: { inc(labels: { result: string }): void }): Purger[] {
  if (urls.length === 0) return [];
  const warn = throttledWarn(logger, 'edge cache purge failed');
  return [
    createEdgePurger({
      urls,
      pathsFor: () => [],
      generation: { path: SEARCH_GENERATION, broadTags: [SEARCH_RESULTS] },
      onResult: (result) => purges.inc({ result }),
      onError: (error, url) => warn(error, url),
    }),
  ];
}
