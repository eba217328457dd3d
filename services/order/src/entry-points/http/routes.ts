import { AppError, apiRoute, currentUser, type AnyApiRoute } from '@shop/service-kit';
import type { DemoSession } from '../../domain/demo-session.ts';
import { claimKey, requestHash, runClaimed, type IdempotencyPolicy, type IdempotencyStore } from '../../domain/idempotency.ts';
import { advanceOrder, cancelOrder, listByStatus } from '../../domain/order-lifecycle.ts';
import { getOrder, listMyOrders } from '../../domain/order-queries.ts';
import { placeOrder } from '../../domain/place-order.ts';
import type { InvalidateTags, OrderStore } from '../../domain/ports.ts';
import { advanceBody, demoSessionBody, idempotencyKey, listOrdersQuery, orderIdParams, placeOrderBody, statusParams } from './schemas.ts';

export interface OrderRouteDeps {
  store: OrderStore;
  idempotency: IdempotencyStore;
  policy: IdempotencyPolicy;
  invalidate: InvalidateTags;
  /** Present when DEMO_SIGN_IN is on: `POST /demo-session` signs in a new demo customer. */
  demoSession?: () => Promise<DemoSession>;
}

const SIGNED_IN = { 401: 'No or invalid bearer token' };

/** Every order operation. Handlers only translate HTTP to a use case call and back. */
export function orderRoutes({ store, idempotency, policy, invalidate, demoSession }: OrderRouteDeps): AnyApiRoute[] {
  return [
    ...(demoSession ? [demoSessionRoute(demoSession)] : []),
    apiRoute({
      method: 'post',
      path: '/',
      operationId: 'placeOrder',
      summary: 'Place an order; requires an Idempotency-Key header (kept 24 h)',
      tags: ['orders'],
      roles: ['customer', 'admin'],
      schemas: { body: placeOrderBody },
      responses: {
        201: 'Created (a replay answers the original status and body with Idempotent-Replayed: true)',
        400: 'Invalid input or missing Idempotency-Key',
        ...SIGNED_IN,
        409: 'OUT_OF_STOCK, or IDEMPOTENCY_IN_PROGRESS (Retry-After) while an earlier request with this key runs or its outcome is not known yet',
        422: 'UNKNOWN_PRODUCT, DUPLICATE_LINE, or IDEMPOTENCY_KEY_REUSED with a different body',
      },
      handler: async ({ body }, req, res) => {
        const key = idempotencyKey.safeParse(req.get('idempotency-key'));
        if (!key.success) {
          throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header (8-100 characters of A-Z a-z 0-9 _ . -)', 400);
        }
        const user = currentUser(req);
        const id = `${user.id}:${key.data}`;
        const outcome = await claimKey(idempotency, id, requestHash(body), policy);
        if (outcome.kind === 'replay') {
          res.setHeader('Idempotent-Replayed', 'true');
          res.status(outcome.response.status).json(outcome.response.body);
          return;
        }
        const { owner, generation, orderId, takeover } = outcome;
        const order = await runClaimed(
          idempotency,
          id,
          owner,
          201,
          () => placeOrder(store, user.id, `${id}:${generation}`, body.items, invalidate, { writeDeadlineMs: policy.lockMs, mayExist: takeover, orderId }),
          (error) => req.log.warn({ err: error, idempotencyId: id }, 'answer not recorded for its Idempotency-Key; a retry takes the key over'),
        );
        res.status(201).location(`/api/orders/${order.id}`).json(order);
      },
    }),
    apiRoute({
      method: 'get',
      path: '/',
      operationId: 'listMyOrders',
      summary: 'The signed-in customer’s orders, newest first (cursor pagination)',
      tags: ['orders'],
      roles: ['customer', 'admin'],
      schemas: { query: listOrdersQuery },
      responses: { 200: 'A page of orders with nextCursor', 400: 'Invalid cursor or limit', ...SIGNED_IN },
      handler: async ({ query }, req, res) => {
        res.json(await listMyOrders(store, currentUser(req), query.cursor, query.limit));
      },
    }),
    apiRoute({
      method: 'get',
      path: '/:id',
      operationId: 'getOrder',
      summary: 'One order (404 when it belongs to someone else)',
      tags: ['orders'],
      roles: ['customer', 'admin'],
      schemas: { params: orderIdParams },
      responses: { 200: 'The order', 400: 'Invalid id', ...SIGNED_IN, 404: 'No such order of yours' },
      handler: async ({ params }, req, res) => {
        res.json(await getOrder(store, currentUser(req), params.id));
      },
    }),
    apiRoute({
      method: 'post',
      path: '/:id/cancel',
      operationId: 'cancelOrder',
      summary: 'Cancel an order and return its stock (own pending order; admin: pending or paid)',
      tags: ['orders'],
      roles: ['customer', 'admin'],
      schemas: { params: orderIdParams },
      responses: { 200: 'The cancelled order', 400: 'Invalid id', ...SIGNED_IN, 404: 'No such order of yours', 409: 'INVALID_TRANSITION or CONCURRENT_UPDATE' },
      handler: async ({ params }, req, res) => {
        res.json(await cancelOrder(store, currentUser(req), params.id, invalidate));
      },
    }),
    apiRoute({
      method: 'patch',
      path: '/:id/status',
      operationId: 'advanceOrder',
      summary: 'Move an order one step: pending → paid → shipped → delivered (admin)',
      tags: ['orders'],
      roles: ['admin'],
      schemas: { params: orderIdParams, body: advanceBody },
      responses: { 200: 'The updated order', ...SIGNED_IN, 403: 'Not an admin', 404: 'No such order', 409: 'INVALID_TRANSITION or CONCURRENT_UPDATE' },
      handler: async ({ params, body }, _req, res) => {
        res.json(await advanceOrder(store, params.id, body.status));
      },
    }),
    apiRoute({
      method: 'get',
      path: '/by-status/:status',
      operationId: 'listOrdersByStatus',
      summary: 'Orders in one status, newest first (admin)',
      tags: ['orders'],
      roles: ['admin'],
      schemas: { params: statusParams, query: listOrdersQuery },
      responses: { 200: 'A page of orders with nextCursor', 400: 'Invalid status, cursor or limit', ...SIGNED_IN, 403: 'Not an admin' },
      handler: async ({ params, query }, _req, res) => {
        res.json(await listByStatus(store, params.status, query.cursor, query.limit));
      },
    }),
  ];
}

/** The storefront's "sign in as a demo customer" (decision 0012); only mounted when DEMO_SIGN_IN is on. */
function demoSessionRoute(demoSession: () => Promise<DemoSession>): AnyApiRoute {
  return apiRoute({
    method: 'post',
    path: '/demo-session',
    operationId: 'startDemoSession',
    summary: 'Sign in as a new demo customer: a customer token for a fresh customer id, valid 12 h (demo stacks only)',
    tags: ['demo'],
    schemas: { body: demoSessionBody },
    responses: { 201: 'The token, the customer id and when the token expires', 400: 'A body other than {}' },
    handler: async (_input, _req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json(await demoSession());
    },
  });
}
