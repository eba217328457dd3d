import { recomputeStockTotals } from '@shop/catalog/seed';
import { cancelledNotRestockedQuery, expiredReturnsQuery, staleHoldsQuery, type OrderDoc, type ProductDoc, type ShopModels, type StockDoc } from '@shop/db';
import { Types } from 'mongoose';
import type { OrderStore } from '../domain/ports.ts';
import { encodeCursor } from '../domain/order-queries.ts';
import type { HoldStore } from '../domain/reconcile.ts';
import type { Allocation, Order, OrderLine, OrderPage } from '../domain/types.ts';

const oid = (id: string): Types.ObjectId => new Types.ObjectId(id);

/** Where a stored line's units came from; an order written before allocations names one warehouse for all. */
function allocationsOf(line: OrderDoc['lines'][number]): Allocation[] {
  if (line.allocations && line.allocations.length > 0) return line.allocations.map(({ warehouse, quantity }) => ({ warehouse, quantity }));
  return line.warehouse ? [{ warehouse: line.warehouse, quantity: line.quantity }] : [];
}

const toLine = (line: OrderDoc['lines'][number]): OrderLine => ({
  productId: line.productId.toHexString(),
  sku: line.sku,
  name: line.name,
  quantity: line.quantity,
  unitPriceCents: line.unitPriceCents,
  lineTotalCents: line.lineTotalCents,
  allocations: allocationsOf(line),
  restocked: line.restocked ?? false,
});

export const toOrder = (row: OrderDoc): Order => ({
  id: row._id.toHexString(),
  customerId: row.customerId,
  status: row.status,
  paymentStatus: row.paymentStatus,
  lines: row.lines.map(toLine),
  totalCents: row.totalCents,
  currency: row.currency,
  createdAt: new Date(row.createdAt).toISOString(),
  updatedAt: new Date(row.updatedAt).toISOString(),
});

/** The MongoDB implementation of what the order use cases need. */
export function mongoOrderStore(models: ShopModels): OrderStore {
  const { Product, Stock, Order } = models;
  return {
    products: {
      async find(ids, skus) {
        const rows = await Product.find(
          { $or: [{ _id: { $in: ids.map(oid) } }, { sku: { $in: skus } }] },
          { sku: 1, name: 1, priceCents: 1, currency: 1 },
        ).lean<Pick<ProductDoc, '_id' | 'sku' | 'name' | 'priceCents' | 'currency'>[]>();
        return rows.map((r) => ({ id: r._id.toHexString(), sku: r.sku, name: r.name, priceCents: r.priceCents, currency: r.currency }));
      },
      refreshStockTotals: (productIds) => recomputeStockTotals(models, [...new Set(productIds)].map(oid)),
    },
    stock: {
      async reserve(productId, quantity, orderId) {
        // One document, one atomic update: the row must hold enough, and the units that leave it
        // are recorded as a hold for this order in the same write (one hold per row and order).
        const row = await Stock.findOneAndUpdate(
          { productId: oid(productId), quantity: { $gte: quantity }, 'holds.orderId': { $ne: oid(orderId) } },
          { $inc: { quantity: -quantity }, $push: { holds: { orderId: oid(orderId), quantity, at: new Date() } } },
          { sort: { quantity: -1 }, projection: { warehouse: 1 } },
        ).lean<{ warehouse: string }>();
        return row ? row.warehouse : null;
      },
      async rows(productId) {
        const rows = await Stock.find({ productId: oid(productId) }, { warehouse: 1, quantity: 1, holds: 1 }).lean<
          Pick<StockDoc, 'warehouse' | 'quantity' | 'holds'>[]
        >();
        return rows.map((row) => ({
          warehouse: row.warehouse,
          quantity: row.quantity,
          holds: row.holds.map((h) => ({ orderId: h.orderId.toHexString(), quantity: h.quantity, at: new Date(h.at) })),
        }));
      },
      async take(productId, warehouse, quantity, orderId) {
        // One document, one atomic update each: the row must still hold `quantity`, and the units
        // that leave it join this order's hold there (a first hold, or more on the one it has).
        const row = { productId: oid(productId), warehouse: { $eq: warehouse }, quantity: { $gte: quantity } };
        const first = await Stock.updateOne(
          { ...row, 'holds.orderId': { $ne: oid(orderId) } },
          { $inc: { quantity: -quantity }, $push: { holds: { orderId: oid(orderId), quantity, at: new Date() } } },
        );
        if (first.modifiedCount === 1) return true;
        const more = await Stock.updateOne({ ...row, 'holds.orderId': oid(orderId) }, { $inc: { quantity: -quantity, 'holds.$.quantity': quantity } });
        return more.modifiedCount === 1;
      },
      release: (productId, warehouse, orderId) => releaseHolds(Stock, { productId: oid(productId), warehouse: { $eq: warehouse } }, orderId),
      releaseAll: (productId, orderId) => releaseHolds(Stock, { productId: oid(productId) }, orderId),
      commit: (productId, warehouse, orderId) => commitHold(Stock, productId, warehouse, orderId),
      async returnUnits(productId, warehouse, orderId, quantity) {
        await Stock.updateOne(
          { productId: oid(productId), warehouse: { $eq: warehouse }, 'returns.orderId': { $ne: oid(orderId) } },
          { $inc: { quantity }, $push: { returns: { orderId: oid(orderId), quantity, at: new Date() } } },
        );
      },
      async pruneReturns(before) {
        // Filter shared with the hot-query registry (@shop/db periodic-queries): served by `returns_at`.
        await Stock.updateMany(expiredReturnsQuery(before).filter, { $pull: { returns: { at: { $lt: before } } } });
      },
    },
    orders: {
      async create(order) {
        let doc;
        try {
          doc = await Order.create({
            _id: oid(order.id),
            customerId: order.customerId,
            idempotencyId: order.idempotencyId,
            status: 'pending',
            paymentStatus: 'unpaid',
            lines: order.lines.map((line) => ({ ...line, productId: oid(line.productId) })),
            totalCents: order.totalCents,
            currency: order.currency,
          });
        } catch (error) {
          const e = error as { code?: number; keyPattern?: Record<string, unknown>; message?: string };
          // The key's order exists already: written by a concurrent attempt, or by an earlier attempt
          // of this generation (the same _id) whose insert landed late.
          if (e.code === 11000 && (e.keyPattern?.idempotencyId !== undefined || e.keyPattern?._id !== undefined || /idempotency|index: _id_ /.test(e.message ?? ''))) {
            return null;
          }
          throw error;
        }
        return toOrder(doc.toObject());
      },
      async transition(id, from, to, paymentStatus) {
        const row = await Order.findOneAndUpdate(
          { _id: oid(id), status: { $in: from } },
          { $set: { status: to, ...(paymentStatus ? { paymentStatus } : {}) } },
          { returnDocument: 'after' },
        ).lean<OrderDoc>();
        return row ? toOrder(row) : null;
      },
      async markRestocked(id, lineIndex) {
        await Order.updateOne({ _id: oid(id) }, { $set: { [`lines.${lineIndex}.restocked`]: true } });
      },
      async listByStatus(status, cursor, limit) {
        return page(Order, { status: { $eq: status } }, cursor, limit);
      },
      async cancelledNotRestocked(before) {
        // Filter shared with the hot-query registry: served by `cancelled_unrestocked`.
        const rows = await Order.find(cancelledNotRestockedQuery(before).filter).limit(100).lean<OrderDoc[]>();
        return rows.map(toOrder);
      },
      async findByIdempotencyId(idempotencyId) {
        const row = await Order.findOne({ idempotencyId: { $eq: idempotencyId } }).lean<OrderDoc>();
        return row ? toOrder(row) : null;
      },
      async findById(id) {
        const row = await Order.findById(oid(id)).lean<OrderDoc>();
        return row ? toOrder(row) : null;
      },
      async listForCustomer(customerId, cursor, limit) {
        return page(Order, { customerId: { $eq: customerId } }, cursor, limit);
      },
    },
  };
}

type StockModel = ShopModels['Stock'];

/** Newest first, keyset-paginated on (createdAt, _id): no skip, stable under inserts. */
async function page(
  Order: ShopModels['Order'],
  filter: Record<string, unknown>,
  cursor: { createdAt: string; id: string } | null,
  limit: number,
): Promise<OrderPage> {
  const after = cursor
    ? {
        $or: [
          { createdAt: { $lt: new Date(cursor.createdAt) } },
          { createdAt: new Date(cursor.createdAt), _id: { $lt: oid(cursor.id) } },
        ],
      }
    : {};
  const rows = await Order.find({ ...filter, ...after })
    .sort({ createdAt: -1, _id: -1 })
    .limit(limit + 1)
    .lean<OrderDoc[]>();
  const items = rows.slice(0, limit).map(toOrder);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/**
 * Gives back the units of this order's hold in each row matching `rows`. Conditional on the hold
 * being there with the quantity read, so doing it twice changes nothing (and a hold that grew
 * meanwhile is left for the next release rather than half given back).
 */
async function releaseHolds(Stock: StockModel, rows: Record<string, unknown>, orderId: string): Promise<void> {
  const held = await Stock.find({ ...rows, 'holds.orderId': oid(orderId) }, { holds: 1 }).lean<Pick<StockDoc, '_id' | 'holds'>[]>();
  await Promise.all(
    held.map(async (row) => {
      const hold = row.holds.find((h) => h.orderId.toHexString() === orderId);
      if (!hold) return;
      await Stock.updateOne(
        { _id: row._id, holds: { $elemMatch: { orderId: oid(orderId), quantity: hold.quantity } } },
        { $inc: { quantity: hold.quantity }, $pull: { holds: { orderId: oid(orderId) } } },
      );
    }),
  );
}

/** Drops a hold and keeps the decrement (the order exists). */
async function commitHold(Stock: StockModel, productId: string, warehouse: string, orderId: string): Promise<void> {
  await Stock.updateOne(
    { productId: oid(productId), warehouse: { $eq: warehouse }, 'holds.orderId': oid(orderId) },
    { $pull: { holds: { orderId: oid(orderId) } } },
  );
}

/** What reconciliation needs, on MongoDB. */
export function mongoHoldStore(models: ShopModels): HoldStore {
  const { Stock, Order } = models;
  return {
    async staleHolds(before) {
      // Filter shared with the hot-query registry: served by `holds_at`.
      const rows = await Stock.find(staleHoldsQuery(before).filter, { productId: 1, warehouse: 1, holds: 1 }).lean<
        { productId: Types.ObjectId; warehouse: string; holds: { orderId: Types.ObjectId; at: Date }[] }[]
      >();
      return rows.flatMap((row) =>
        row.holds
          .filter((h) => new Date(h.at) < before)
          .map((h) => ({ productId: row.productId.toHexString(), warehouse: row.warehouse, orderId: h.orderId.toHexString() })),
      );
    },
    async orderLines(orderId) {
      const row = await Order.findById(oid(orderId), { lines: 1 }).lean<Pick<OrderDoc, 'lines'>>();
      return row ? row.lines.map((line) => ({ productId: line.productId.toHexString(), allocations: allocationsOf(line) })) : null;
    },
    release: (productId, warehouse, orderId) => releaseHolds(Stock, { productId: oid(productId), warehouse: { $eq: warehouse } }, orderId),
    commit: (productId, warehouse, orderId) => commitHold(Stock, productId, warehouse, orderId),
    recomputeTotals: async (productIds) => {
      await recomputeStockTotals(models, productIds.map(oid));
    },
  };
}
