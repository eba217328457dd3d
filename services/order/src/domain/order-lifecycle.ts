import { stockChangeTags } from '@shop/catalog/cache-tags';
import { AppError, notFound, type AuthUser } from '@shop/service-kit';
import { decodeCursor, getOrder } from './order-queries.ts';
import type { InvalidateTags, OrderStore } from './ports.ts';
import type { Order, OrderPage, OrderStatus } from './types.ts';

/** Forward moves an admin (or, later, the payment and shipping systems) may make. */
const NEXT: Partial<Record<OrderStatus, { to: OrderStatus; payment?: Order['paymentStatus'] }>> = {
  pending: { to: 'paid', payment: 'paid' },
  paid: { to: 'shipped' },
  shipped: { to: 'delivered' },
};

const invalidTransition = (from: OrderStatus, to: OrderStatus): AppError =>
  new AppError('INVALID_TRANSITION', `An order cannot go from ${from} to ${to}`, 409, { details: { from, to } });

const concurrentUpdate = (): AppError => new AppError('CONCURRENT_UPDATE', 'The order changed meanwhile; read it and retry', 409);

/** pending → paid → shipped → delivered, one step at a time, by an admin. */
export async function advanceOrder(store: OrderStore, id: string, to: OrderStatus): Promise<Order> {
  const order = await store.orders.findById(id);
  if (!order) throw notFound('Order');
  const step = NEXT[order.status];
  if (!step || step.to !== to) throw invalidTransition(order.status, to);
  const moved = await store.orders.transition(id, [order.status], to, step.payment);
  if (!moved) throw concurrentUpdate();
  return moved;
}

/**
 * Cancels an order and returns its units. A customer may cancel their own pending order; an admin
 * any pending or paid one (a paid one is marked refunded). Someone else's order is 404.
 */
export async function cancelOrder(store: OrderStore, user: AuthUser, id: string, invalidate: InvalidateTags): Promise<Order> {
  const order = await getOrder(store, user, id);
  const cancellable: OrderStatus[] = user.role === 'admin' ? ['pending', 'paid'] : ['pending'];
  if (!cancellable.includes(order.status)) throw invalidTransition(order.status, 'cancelled');
  const cancelled = await store.orders.transition(id, cancellable, 'cancelled', order.paymentStatus === 'paid' ? 'refunded' : undefined);
  if (!cancelled) throw concurrentUpdate();
  return restock(store, cancelled, invalidate);
}

/**
 * Puts a cancelled order's units back, line by line: return each row's units to the row they came
 * from (with a return record for this order in the same atomic update, so a second return to that
 * row is refused however stale the caller's view is), then mark the line restocked. Return records
 * stay as tombstones (pruned after days), so concurrent or repeated passes can never restock twice.
 */
export async function restock(store: OrderStore, order: Order, invalidate: InvalidateTags): Promise<Order> {
  const lines = [...order.lines];
  for (const [index, line] of lines.entries()) {
    if (line.restocked) continue;
    for (const from of line.allocations) await store.stock.returnUnits(line.productId, from.warehouse, order.id, from.quantity);
    await store.orders.markRestocked(order.id, index);
    lines[index] = { ...line, restocked: true };
  }
  const productIds = order.lines.map((line) => line.productId);
  await store.products.refreshStockTotals(productIds).catch(() => {});
  await invalidate(stockChangeTags(productIds, true));
  return { ...order, lines };
}

/** Admin view: orders in one status, newest first. */
export async function listByStatus(store: OrderStore, status: OrderStatus, cursor: string | undefined, limit: number): Promise<OrderPage> {
  return store.orders.listByStatus(status, decodeCursor(cursor), limit);
}

/** Finishes cancellations a crash left half-restocked (each worker runs it with reconciliation). */
export async function reconcileCancellations(store: OrderStore, olderThanMs: number, invalidate: InvalidateTags): Promise<number> {
  const orders = await store.orders.cancelledNotRestocked(new Date(Date.now() - olderThanMs));
  for (const order of orders) await restock(store, order, invalidate);
  return orders.length;
}
