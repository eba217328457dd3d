import { Schema, type Types } from 'mongoose';
import { applyIndexes, type IndexDefinition } from '../../index-definition.ts';

/**
 * A reservation recorded in the stock row it took units from, in the same atomic update as the
 * decrement: whoever finds a hold knows for certain those units left `quantity` (decision 0007).
 */
export interface StockHold {
  orderId: Types.ObjectId;
  quantity: number;
  at: Date;
}

/** Units of one product held in one warehouse. */
export interface StockDoc {
  _id: Types.ObjectId;
  productId: Types.ObjectId;
  warehouse: string;
  quantity: number;
  /** Reservations not yet committed to an order or released. */
  holds: StockHold[];
  /**
   * Units given back by a cancelled order, recorded with the same `$inc` that returned them, so a
   * retried cancellation never returns them twice. Removed once the order line is marked restocked.
   */
  returns: StockHold[];
  updatedAt: Date;
  createdAt: Date;
}

/**
 * The partial filters of `holds_at` and `returns_at`: only rows with something in the array are
 * indexed (almost none at any time). MongoDB uses a partial index only for a query that contains
 * its filter, so the reconciliation queries (periodic-queries.ts) carry these very objects.
 */
export const HAS_HOLDS = { 'holds.0': { $exists: true } } as const;
export const HAS_RETURNS = { 'returns.0': { $exists: true } } as const;

export const stockIndexes: readonly IndexDefinition<StockDoc>[] = [
  {
    name: 'product_warehouse_unique',
    key: { productId: 1, warehouse: 1 },
    options: { unique: true },
    serves:
      'PUT /products/:id/stock/:warehouse — updateOne({ productId, warehouse }, upsert); ' +
      'GET /products/:id/stock — find({ productId }); one row per product and warehouse',
  },
  {
    name: 'product_available',
    key: { productId: 1, quantity: -1 },
    options: { partialFilterExpression: { quantity: { $gt: 0 } } },
    serves:
      'reservation — findOneAndUpdate({ productId, quantity: { $gte: n } }, { $inc: { quantity: -n } }): ' +
      'warehouses with stock > 0 for a product, fullest first',
  },
  {
    name: 'holds_at',
    key: { 'holds.at': 1 },
    options: { partialFilterExpression: HAS_HOLDS },
    serves:
      'order reconciliation, every pass of every worker — staleHoldsQuery: find({ "holds.0": { $exists: true }, ' +
      '"holds.at": { $lt: cutoff } }): reservations left behind by a crash',
  },
  {
    name: 'returns_at',
    key: { 'returns.at': 1 },
    options: { partialFilterExpression: HAS_RETURNS },
    serves:
      'order reconciliation, every pass of every worker — expiredReturnsQuery: updateMany({ "returns.0": { $exists: true }, ' +
      '"returns.at": { $lt: cutoff } }, { $pull }): prunes old cancel-return records',
  },
];

const holdSchema = new Schema<StockHold>({ orderId: Schema.Types.ObjectId, quantity: Number, at: Date }, { _id: false });

export const stockSchema = new Schema<StockDoc>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    warehouse: { type: String, required: true, trim: true, maxlength: 40 },
    quantity: { type: Number, required: true, min: 0 },
    holds: { type: [holdSchema], default: [] },
    returns: { type: [holdSchema], default: [] },
  },
  { collection: 'stock', timestamps: true, autoIndex: false, strict: 'throw', versionKey: false },
);
applyIndexes(stockSchema, stockIndexes);
