import type { Cache } from '@shop/cache-middleware';
import { mountRoutes, openApiDocument, type Auth } from '@shop/service-kit';
import { Router } from 'express';
import type { CatalogStore } from '../../domain/ports.ts';
import { catalogRoutes } from './routes.ts';

export const CATALOG_PREFIX = '/api/catalog';

/** The catalog API router (mounted under /api/catalog) with its OpenAPI document. */
export function catalogRouter(store: CatalogStore, auth: Auth, cache: Cache): Router {
  const routes = catalogRoutes(store, cache);
  const document = openApiDocument(
    {
      title: 'Catalog API',
      version: '1.0.0',
      description: 'Products, categories and stock per warehouse.',
      prefix: CATALOG_PREFIX,
    },
    routes,
  );
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  mountRoutes(router, routes, auth);
  return router;
}
