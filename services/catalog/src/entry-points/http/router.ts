import type { Cache } from '@shop/cache-middleware';
import { apiRouter, type Auth } from '@shop/service-kit';
import type { Router } from 'express';
import type { CatalogStore } from '../../domain/ports.ts';
import { catalogRoutes, type CachePolicyOptions } from './routes.ts';

export const CATALOG_PREFIX = '/api/catalog';

/** The catalog API router (mounted under /api/catalog) with its OpenAPI document. */
export function catalogRouter(store: CatalogStore, auth: Auth, cache: Cache, cacheOptions?: CachePolicyOptions): Router {
  return apiRouter(
    { title: 'Catalog API', version: '1.0.0', description: 'Products, categories and stock per warehouse.', prefix: CATALOG_PREFIX },
    catalogRoutes(store, cache, cacheOptions),
    auth,
  );
}
