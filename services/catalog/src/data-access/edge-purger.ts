import { createEdgePurger, type EdgeKeys, type Purger } from '@shop/cache-middleware';
import { throttledWarn, type Logger } from '@shop/service-kit';
import { edgePathsFor, PRODUCT_LISTS } from '../domain/cache-tags.ts';

/** nginx's location that moves every stored listing to a new generation (nginx/edge_generations.lua). */
const LISTINGS_GENERATION = '/_edge/generation/lists';

/**
 * The purgers of nginx's edge cache for a service that changes products (catalog, order), or
 * none when EDGE_PURGE_URLS names no nginx.
 * - A writer purges a product's page by its path, in every encoding class.
 * - A catalog worker also purges what it recorded (`recorded`): the listings it answered, by key;
 *   a change every listing carries (products:list) moves all listings to a new generation
 *   instead, as do more than 256 recorded listings at once. And the product pages it answered, by
 *   key: on an invalidation another worker made (`purgeAnswered`) that is all it sends, so a
 *   worker that never answered a product sends nothing for it.
 * Failed purges are counted and logged at most every 30 s; the entry they missed lives out its
 * 10 s at most (decision 0018).
 */
export function productEdgePurgers(
  urls: readonly string[],
  logger: Logger,
  purges: { inc(labels: { result: string }): void },
  recorded: { listings?: EdgeKeys; products?: EdgeKeys } = {},
): Purger[] {
  if (urls.length === 0) return [];
  const warn = throttledWarn(logger, 'edge cache purge failed');
  const reporting = { onResult: (result: 'purged' | 'absent' | 'failed') => purges.inc({ result }), onError: (error: Error, url: string) => warn(error, url) };
  const byPathAndListings = createEdgePurger({
    urls,
    pathsFor: edgePathsFor,
    recorded: recorded.listings,
    generation: { path: LISTINGS_GENERATION, broadTags: [PRODUCT_LISTS] },
    ...reporting,
  });
  if (!recorded.products) return [byPathAndListings];
  // Product pages have no generation: after a gap in the bus they are not purged as a whole
  // (writers purge them by path meanwhile), so this one has no purgeRecorded.
  const pages = createEdgePurger({ urls, pathsFor: () => [], recorded: recorded.products, ...reporting });
  return [byPathAndListings, { purge: pages.purge, purgeAnswered: pages.purgeAnswered, close: pages.close }];
}
