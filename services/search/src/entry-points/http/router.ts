import { apiRouter, type Auth } from '@shop/service-kit';
import type { Router } from 'express';
import { SEARCH_PREFIX, type SearchApi } from './routes.ts';

/** The search API router (mounted under /api/search) with its OpenAPI document. */
export function searchRouter(api: SearchApi, auth: Auth): Router {
  return apiRouter(
    {
      title: 'Search API',
      version: '1.0.0',
      description: 'Product search: relevance, prefixes, one-typo tolerance, filters, facets; type-ahead suggestions.',
      prefix: SEARCH_PREFIX,
    },
    api.routes,
    auth,
  );
}
