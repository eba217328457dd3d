import { Schema, type Types } from 'mongoose';
import { applyIndexes, type IndexDefinition } from '../../index-definition.ts';

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_STATUSES = ['unpaid', 'paid', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Units of a line taken from one warehouse's stock row. */
export interface OrderAllocation {
  warehouse: string;
  quantity: number;
}

export interface OrderLine {
  productId: Types.ObjectId;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
  /**
   * Where the line's units came from: one entry per stock row, adding up to `quantity` (several
   * when no single warehouse held them all). Absent on orders written before lines could split.
   */
  allocations?: OrderAllocation[];
  /** Orders written before `allocations`: the one warehouse that served the whole line. */
  warehouse?: string;
  /** Set once a cancelled order's units for this line are back in stock. */
  restocked: boolean;
}

export interface OrderDoc {
  _id: Types.ObjectId;
  customerId: string;
  /** `<customerId>:<Idempotency-Key>` of the request that placed it: one order per key, ever. */
  idempotencyId: string;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Cancelled orders with a line whose units are not back in stock yet: the partial filter of
 * `cancelled_unrestocked` (normally an empty index). The reconciliation query carries this very
 * object (periodic-queries.ts), which is what lets MongoDB use the partial index.
 */
export const CANCELLED_NOT_RESTOCKED = { status: 'cancelled', 'lines.restocked': false } as const;

export const orderIndexes: readonly IndexDefinition<OrderDoc>[] = [
  {
    name: 'customer_created',
    key: { customerId: 1, createdAt: -1, _id: -1 },
    serves: 'GET /orders — find({ customerId, (createdAt,_id) < cursor }).sort({ createdAt: -1, _id: -1 }) (history)',
  },
  {
    name: 'idempotency_unique',
    key: { idempotencyId: 1 },
    options: { unique: true },
    serves: 'POST /orders retry after a crash — findOne({ idempotencyId }); the unique index makes a second order for one key impossible',
  },
  {
    name: 'status_created',
    key: { status: 1, createdAt: -1, _id: -1 },
    serves: 'GET /orders/by-status/:status (admin) — find({ status }).sort({ createdAt: -1, _id: -1 })',
  },
  {
    name: 'cancelled_unrestocked',
    key: { updatedAt: 1 },
    options: { partialFilterExpression: CANCELLED_NOT_RESTOCKED },
    serves:
      'order reconciliation, every pass of every worker — cancelledNotRestockedQuery: find({ status: "cancelled", ' +
      '"lines.restocked": false, updatedAt: { $lt: cutoff } }).limit(100): cancellations a crash left half-restocked',
  },
];

const allocationSchema = new Schema<OrderAllocation>(
  {
    warehouse: { type: String, required: true },
    quantity: { type: Number, required: true, min: 1 },
  },
  { _id: false },
);

/** A line says where its units came from: allocations over distinct warehouses adding up to its quantity, or (older orders) one warehouse. */
function sourcedOnce(this: unknown, quantity: number): boolean {
  const line = this as OrderLine;
  const allocations = line.allocations ?? [];
  if (allocations.length === 0) return typeof line.warehouse === 'string' && line.warehouse.length > 0;
  const warehouses = new Set(allocations.map((a) => a.warehouse));
  return warehouses.size === allocations.length && allocations.reduce((sum, a) => sum + a.quantity, 0) === quantity;
}

const lineSchema = new Schema<OrderLine>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    sku: { type: String, required: true },
    name: { type: String, required: true },
    quantity: {
      type: Number,
      required: true,
      min: 1,
      validate: { validator: sourcedOnce, message: 'a line needs allocations over distinct warehouses adding up to its quantity' },
    },
    unitPriceCents: { type: Number, required: true, min: 0 },
    lineTotalCents: { type: Number, required: true, min: 0 },
    allocations: { type: [allocationSchema], default: undefined },
    warehouse: { type: String },
    restocked: { type: Boolean, default: false },
  },
  { _id: false },
);

export const orderSchema = new Schema<OrderDoc>(
  {
    customerId: { type: String, required: true },
    idempotencyId: { type: String, required: true },
    status: { type: String, enum: ORDER_STATUSES, required: true },
    paymentStatus: { type: String, enum: PAYMENT_STATUSES, required: true },
    lines: { type: [lineSchema], required: true },
    totalCents: { type: Number, required: true, min: 0 },
    currency: { type: String, required: true },
  },
  { collection: 'orders', timestamps: true, autoIndex: false, strict: 'throw', versionKey: false },
);
applyIndexes(orderSchema, orderIndexes);
