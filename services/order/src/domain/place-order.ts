import { stockChangeTags } from '@shop/catalog/cache-tags';
import { AppError } from '@shop/service-kit';
import { Types } from 'mongoose';
import type { InvalidateTags, OrderStore } from './ports.ts';
import { releaseOrder, reserveOrder, resumeReservation } from './reserve-stock.ts';
import type { Order, PricedLine, PricedProduct, RequestedLine } from './types.ts';

function priceLines(requested: RequestedLine[], products: PricedProduct[]): { lines: PricedLine[]; currency: string } {
  const byId = new Map(products.map((p) => [p.id, p]));
  const bySku = new Map(products.map((p) => [p.sku, p]));
  const unknown: string[] = [];
  const lines = requested.flatMap((line) => {
    const product = line.productId ? byId.get(line.productId) : bySku.get(line.sku ?? '');
    if (!product) {
      unknown.push(line.productId ?? line.sku ?? '?');
      return [];
    }
    return [
      {
        productId: product.id,
        sku: product.sku,
        name: product.name,
        quantity: line.quantity,
        unitPriceCents: product.priceCents,
        lineTotalCents: product.priceCents * line.quantity,
      },
    ];
  });
  if (unknown.length > 0) {
    throw new AppError('UNKNOWN_PRODUCT', `Unknown product(s): ${unknown.join(', ')}`, 422, { details: { products: unknown } });
  }
  const ids = lines.map((l) => l.productId);
  if (new Set(ids).size !== ids.length) {
    throw new AppError('DUPLICATE_LINE', 'Each product may appear in one line only', 422);
  }
  if (new Set(products.map((p) => p.currency)).size > 1) {
    throw new AppError('MIXED_CURRENCY', 'All products of an order must share one currency', 422);
  }
  return { lines, currency: products[0]?.currency ?? 'USD' };
}

/**
 * Places an order without multi-document transactions (decision 0007):
 * 1. price every line from the catalog;
 * 2. reserve each line, from one or several stock rows, with one conditional update per row that
 *    both decrements and records a hold for this order id, releasing every hold if any line
 *    cannot be completed (409);
 * 3. write the order; 4. commit the holds. A crash anywhere leaves holds that reconciliation
 *    resolves by whether the order exists, so units are never lost nor sold twice.
 */
/** An existing order for this key, only if it is this customer's. */
function ownOrder(order: Order, customerId: string): Order {
  if (order.customerId !== customerId) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key belongs to another request', 422);
  }
  return order;
}

/** Errors after which the order certainly was not written (anything else might have been). */
const DEFINITELY_NOT_WRITTEN = new Set(['ValidationError', 'StrictModeError', 'CastError']);

export interface PlaceOptions {
  /** Give up (and release) rather than write an order this late: reconciliation may already be releasing. Default 30 s. */
  writeDeadlineMs?: number;
  /**
   * False for a fresh claim of the key (no order or hold of it can exist yet): skips the lookups.
   * True (default) for a takeover: the order of an earlier attempt is answered, and its holds are
   * used rather than competed with.
   */
  mayExist?: boolean;
  /** The order's id, under which its holds are recorded: the same for every attempt of one generation. */
  orderId?: string;
}

export async function placeOrder(
  store: OrderStore,
  customerId: string,
  idempotencyId: string,
  requested: RequestedLine[],
  invalidate: InvalidateTags,
  { writeDeadlineMs = 30_000, mayExist = true, orderId = new Types.ObjectId().toHexString() }: PlaceOptions = {},
): Promise<Order> {
  const startedAt = Date.now();
  // A retry whose first attempt wrote the order but failed before answering (a lost reply) gets
  // that order, and finishes what the attempt could not: its holds, totals and cache tags.
  if (mayExist) {
    const earlier = await store.orders.findByIdempotencyId(idempotencyId);
    if (earlier) return settle(store, ownOrder(earlier, customerId), invalidate);
  }

  const ids = requested.flatMap((l) => (l.productId ? [l.productId] : []));
  const skus = requested.flatMap((l) => (l.sku ? [l.sku] : []));
  const { lines: priced, currency } = priceLines(requested, await store.products.find(ids, skus));

  const releaseAll = async (): Promise<void> => {
    await releaseOrder(store.stock, priced, orderId).catch(() => {});
  };
  // An earlier attempt of this generation that failed before writing (its insert cut, its process
  // gone) may still hold the units: they are this order's, so it takes them instead of competing
  // with itself (and being refused while they wait for reconciliation).
  // Holds older than the write deadline are not resumed: with this order's own deadline they could
  // outlive the reservation timeout, after which reconciliation releases holds without an order.
  const reserved =
    (mayExist ? await resumeReservation(store.stock, orderId, priced, writeDeadlineMs) : undefined) ?? (await reserveOrder(store.stock, orderId, priced));

  if (Date.now() - startedAt > writeDeadlineMs) {
    await releaseAll();
    throw new AppError('ORDER_TIMEOUT', 'Placing the order took too long; nothing was ordered, retry', 503, {
      headers: { 'Retry-After': '1' },
    });
  }
  let order: Order | null;
  try {
    order = await store.orders.create({
      id: orderId,
      customerId,
      idempotencyId,
      lines: reserved,
      totalCents: reserved.reduce((sum, line) => sum + line.lineTotalCents, 0),
      currency,
    });
  } catch (error) {
    // A timeout or dropped connection may hide a write that landed: then the holds must stay, and
    // reconciliation (which looks for the order) commits or releases them. Release only when
    // the write certainly failed.
    if (DEFINITELY_NOT_WRITTEN.has((error as { name?: string }).name ?? '')) await releaseAll();
    throw error;
  }
  if (!order) {
    // Another attempt of the same key wrote its order first: ours is not needed. When that is an
    // earlier attempt of this generation (same order id, its insert landed late), the holds are
    // the order's own and stay; settling commits them.
    const winner = await store.orders.findByIdempotencyId(idempotencyId);
    if (!winner) throw new Error(`order for ${idempotencyId} vanished`);
    if (winner.id !== orderId) await releaseAll();
    return settle(store, ownOrder(winner, customerId), invalidate);
  }
  return settle(store, order, invalidate);
}

/**
 * The order exists: its holds become plain decrements, its products' `stockTotal` is recomputed
 * from their rows and their cache tags are dropped. Every step is idempotent (a commit only pulls
 * a hold still there), so settling twice — the attempt that wrote the order and a retry that
 * found it — changes nothing more. Failures here are finished by reconciliation.
 */
async function settle(store: OrderStore, order: Order, invalidate: InvalidateTags): Promise<Order> {
  const productIds = order.lines.map((line) => line.productId);
  // Side by side: a commit only drops a hold, which the totals (sums of quantities) do not read.
  const [, totals] = await Promise.all([
    Promise.allSettled(order.lines.flatMap((line) => line.allocations.map((a) => store.stock.commit(line.productId, a.warehouse, order.id)))),
    store.products.refreshStockTotals(productIds).catch(() => new Map<string, number>()),
  ]);
  const soldOut = productIds.some((id) => totals.get(id) === 0);
  await invalidate(stockChangeTags(productIds, soldOut));
  return order;
}
