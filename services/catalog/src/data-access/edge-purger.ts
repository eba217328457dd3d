import { createEdgePurger, type EdgeKeys, type Purger } from '@shop/cache-middleware';
import { throttledWarn, type Logger } from '@shop/service-kit';
import { edgePathsFor, PRODUCT_LISTS } from '../domain/cache-tags.ts';

/** nginx's location that moves every stored listing to a new generation (nginx/edge_generations.lua). */
const LISTINGS_GENERATION = '/_edge/generation/lists';

/**
 * The purger of nginx's edge cache for a service that changes products (catalog, order), or
 * none when EDGE_PURGE_URLS names no nginx. It purges a product's page by its path, and the
 * listings this worker answered by the keys it recorded (`recorded`: catalog workers); a change
 * every listing carries (products:list) moves all listings to a new generation instead, as do
 * more than 256 recorded listings at once. Failed purges are counted and logged at most every
 * 30 s; the entry they missed lives out its 10 s at most (decision 0018).
 */
export function productEdgePurgers(
  urls: readonly string[],
  logger: Logger,
  purges: { inc(labels: { result: string }): void },
  recorded?: EdgeKeys,
): Purger[] {
  if (urls.length === 0) return [];
  const warn = throttledWarn(logger, 'edge cache purge failed');
  return [
    createEdgePurger({
      urls,
      pathsFor: edgePathsFor,
      recorded,
      generation: { path: LISTINGS_GENERATION, broadTags: [PRODUCT_LISTS] },
      onResult: (result) => purges.inc({ result }),
      onError: (error, url) => warn(error, url),
    }),
  ];
}
