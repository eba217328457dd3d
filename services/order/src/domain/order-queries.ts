import { AppError, notFound, type AuthUser } from '@shop/service-kit';
import type { OrderStore } from './ports.ts';
import type { Order, OrderPage } from './types.ts';

/** One order; someone else's order is "not found" (its existence is not revealed). Admins see all. */
export async function getOrder(store: OrderStore, user: AuthUser, id: string): Promise<Order> {
  const order = await store.orders.findById(id);
  if (!order || (user.role !== 'admin' && order.customerId !== user.id)) throw notFound('Order');
  return order;
}

export function decodeCursor(cursor: string | undefined): { createdAt: string; id: string } | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c?: unknown; i?: unknown };
    if (typeof parsed.c === 'string' && !Number.isNaN(Date.parse(parsed.c)) && typeof parsed.i === 'string' && /^[a-f0-9]{24}$/.test(parsed.i)) {
      return { createdAt: parsed.c, id: parsed.i };
    }
  } catch {
    // fall through
  }
  throw new AppError('INVALID_CURSOR', 'The cursor is not one this API returned', 400);
}

export const encodeCursor = (order: Order): string =>
  Buffer.from(JSON.stringify({ c: order.createdAt, i: order.id })).toString('base64url');

/** The signed-in customer's own orders, newest first. */
export async function listMyOrders(store: OrderStore, user: AuthUser, cursor: string | undefined, limit: number): Promise<OrderPage> {
  return store.orders.listForCustomer(user.id, decodeCursor(cursor), limit);
}
