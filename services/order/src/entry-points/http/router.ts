import { apiRouter, type Auth } from '@shop/service-kit';
import type { Router } from 'express';
import { orderRoutes, type OrderRouteDeps } from './routes.ts';

export const ORDER_PREFIX = '/api/orders';

/** The order API router (mounted under /api/orders) with its OpenAPI document. */
export function orderRouter(deps: OrderRouteDeps, auth: Auth): Router {
  return apiRouter(
    { title: 'Order API', version: '1.0.0', description: 'Idempotent checkout and order history.', prefix: ORDER_PREFIX },
    orderRoutes(deps),
    auth,
  );
}
