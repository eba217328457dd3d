import { mountRoutes, openApiDocument, type Auth } from '@shop/service-kit';
import { Router } from 'express';
import { orderRoutes, type OrderRouteDeps } from './routes.ts';

export const ORDER_PREFIX = '/api/orders';

/** The order API router (mounted under /api/orders) with its OpenAPI document. */
export function orderRouter(deps: OrderRouteDeps, auth: Auth): Router {
  const routes = orderRoutes(deps);
  const document = openApiDocument(
    { title: 'Order API', version: '1.0.0', description: 'Idempotent checkout and order history.', prefix: ORDER_PREFIX },
    routes,
  );
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  mountRoutes(router, routes, auth);
  return router;
}
