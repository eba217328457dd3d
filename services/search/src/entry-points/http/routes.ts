import { httpCache, normalizedUrl, type Cache, type EdgeKeys, type FastHits } from '@shop/cache-middleware';
import { apiRoute, parseQueryString, type AnyApiRoute } from '@shop/service-kit';
import type { RequestHandler } from 'express';
import { SEARCH_RESULTS } from '../../domain/cache-tags.ts';
import type { PopularSearches } from '../../domain/popular-searches.ts';
import type { SearchIndex } from '../../domain/search-index.ts';
import { searchProducts } from '../../domain/search-products.ts';
import { suggest } from '../../domain/suggest.ts';
import { searchQuery, suggestQuery } from './schemas.ts';

export const SEARCH_PREFIX = '/api/search';

const BAD_INPUT = 'Invalid input (code VALIDATION_FAILED or FORBIDDEN_KEY)';
const MINUTE = 60_000;

export interface SearchApiDeps {
  index: SearchIndex;
  cache: Cache;
  popular: PopularSearches;
  /** The fast lane's index (CACHE_FAST_LANE=on): fresh answers sent before Express. */
  fastHits?: FastHits;
  /**
   * Set when nginx runs the edge cache (EDGE_PURGE_URLS): answers to its edge locations are marked
   * storable there, under the generation every index change bumps (data-access/edge-purger.ts).
   */
  edgeKeys?: EdgeKeys;
}

export interface SearchApi {
  routes: AnyApiRoute[];
  /**
   * Puts the answer for a search URL (`/api/search?…`) in the cache unless a fresh one is there;
   * false when the URL is not a valid search or cannot be cached.
   */
  warm(url: string): Promise<boolean>;
}

/**
 * Counts a search once it was answered, from the cache or not. Answers the cache passed by
 * (credentials, a URL too long to be a key) are not counted: they could not be warmed anyway.
 */
function countPopular(popular: PopularSearches): RequestHandler {
  return (req, res, next) => {
    res.once('finish', () => {
      if ((res.statusCode === 200 || res.statusCode === 304) && res.getHeader('x-cache') !== 'BYPASS') {
        popular.record(normalizedUrl(req.originalUrl));
      }
    });
    next();
  };
}

/** The search API. Handlers only translate HTTP to a use case call and back. */
export function searchApi({ index, cache, popular, fastHits, edgeKeys }: SearchApiDeps): SearchApi {
  // Answers stay cached until the index changes (every change drops them), at most a minute.
  const cached = (namespace: string, onFastHit?: (url: string) => void) =>
    httpCache({ cache, namespace, ttl: MINUTE, staleWhileRevalidate: MINUTE, tags: () => [SEARCH_RESULTS], fastHits, onFastHit, edgeKeys });
  // A search the fast lane answers never reaches countPopular: it is counted here instead.
  const searchCache = cached('search', (url) => popular.record(url));
  const suggestCache = cached('suggest');

  const routes: AnyApiRoute[] = [
    apiRoute({
      method: 'get',
      path: '/',
      operationId: 'searchProducts',
      summary: 'Full-text product search with filters, facet counts, sorts and pagination',
      tags: ['search'],
      before: [countPopular(popular), searchCache],
      schemas: { query: searchQuery },
      responses: {
        200: 'Hits with highlights, total, page and facet counts (category, brand, price buckets) for the query and filters',
        304: 'Not modified (If-None-Match)',
        400: BAD_INPUT,
      },
      handler: ({ query }, _req, res) => {
        res.json(searchProducts(index, query));
      },
    }),
    apiRoute({
      method: 'get',
      path: '/suggest',
      operationId: 'suggest',
      summary: 'Type-ahead: completions of the last word, popular searches and top products',
      tags: ['search'],
      before: [suggestCache],
      schemas: { query: suggestQuery },
      responses: { 200: 'Suggestions', 304: 'Not modified (If-None-Match)', 400: BAD_INPUT },
      handler: ({ query }, _req, res) => {
        res.json(suggest(index, query.q, { limit: query.limit, popular: popular.queries }));
      },
    }),
  ];

  return {
    routes,
    async warm(url) {
      const q = url.indexOf('?');
      const parsed = searchQuery.safeParse(parseQueryString(q === -1 ? '' : url.slice(q + 1)));
      if (!parsed.success) return false;
      const status = await searchCache.warm(normalizedUrl(url), async () => searchProducts(index, parsed.data), [SEARCH_RESULTS]);
      return status !== undefined;
    },
  };
}
