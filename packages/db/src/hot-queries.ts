import type { QueryShape } from './index-fit.ts';
import {
  cancelledNotRestockedQuery,
  expiredReturnsQuery,
  productsChangedSinceQuery,
  productVersionsQuery,
  staleHoldsQuery,
} from './periodic-queries.ts';

/**
 * The queries the services run on every request, and every query they run on a timer, each with
 * the index that must serve it. Tests check every entry three ways: the shape lists exactly the
 * fields the filter uses; statically (the index key starts with the equality fields, then the
 * sort, then the range field: the ESR rule; a partial index's filter is contained in the query's);
 * and, on servers that support `explain`, by asking the planner which index it picked.
 */
export interface HotQuery extends QueryShape {
  name: string;
  collection: 'categories' | 'products' | 'stock' | 'orders' | 'idempotency';
  /** The declared index that must serve it (`_id_`: the _id index every collection has). */
  index: string;
  /**
   * Fields the filter also tests that the index does not hold: checked on each document the index
   * leads to (the conditions that make a write conditional, e.g. "this order holds nothing here yet").
   */
  residual?: readonly string[];
  /**
   * A concrete filter and sort for explain. For the periodic queries: what the service's own
   * builder (periodic-queries.ts) produces, so the registry cannot drift from the code.
   */
  example: { filter: Record<string, unknown>; sort: Record<string, 1 | -1> };
  /** Runs on a timer in every worker (reconciliation, polls), not per request. */
  periodic?: true;
}

const someId = '0123456789abcdef01234567';
const otherId = '89abcdef0123456701234567';
const cutoff = new Date('2024-01-01T00:00:00Z');

export const hotQueries: readonly HotQuery[] = [
  {
    name: 'product by sku',
    collection: 'products',
    equality: ['sku'],
    sort: {},
    index: 'sku_unique',
    example: { filter: { sku: 'LAP-000001' }, sort: {} },
  },
  {
    name: 'category listing by popularity',
    collection: 'products',
    equality: ['categoryId'],
    sort: { popularity: -1, _id: 1 },
    index: 'category_popularity',
    example: { filter: { categoryId: someId }, sort: { popularity: -1, _id: 1 } },
  },
  {
    name: 'category listing in a price range, by price',
    collection: 'products',
    equality: ['categoryId'],
    sort: { priceCents: 1, _id: 1 },
    range: 'priceCents',
    index: 'category_price',
    example: { filter: { categoryId: someId, priceCents: { $gte: 1000, $lte: 5000 } }, sort: { priceCents: 1, _id: 1 } },
  },
  {
    name: 'brand listing by price',
    collection: 'products',
    equality: ['brand'],
    sort: { priceCents: 1, _id: 1 },
    index: 'brand_price',
    example: { filter: { brand: 'Nordvik' }, sort: { priceCents: 1, _id: 1 } },
  },
  {
    name: 'home listing by popularity',
    collection: 'products',
    equality: [],
    sort: { popularity: -1, _id: 1 },
    index: 'popularity',
    example: { filter: {}, sort: { popularity: -1, _id: 1 } },
  },
  {
    name: 'category by slug',
    collection: 'categories',
    equality: ['slug'],
    sort: {},
    index: 'slug_unique',
    example: { filter: { slug: 'laptops' }, sort: {} },
  },
  {
    name: 'category menu',
    collection: 'categories',
    equality: [],
    sort: { name: 1 },
    index: 'name',
    example: { filter: {}, sort: { name: 1 } },
  },
  {
    name: 'brand listing by popularity',
    collection: 'products',
    equality: ['brand'],
    sort: { popularity: -1, _id: 1 },
    index: 'brand_popularity',
    example: { filter: { brand: 'Nordvik' }, sort: { popularity: -1, _id: 1 } },
  },
  {
    name: 'search index poll: products changed since a watermark',
    collection: 'products',
    equality: [],
    sort: { updatedAt: 1, _id: 1 },
    range: 'updatedAt',
    index: 'updated',
    example: productsChangedSinceQuery(cutoff),
    periodic: true,
  },
  {
    name: 'search index reconciliation: every product version (covered by the index)',
    collection: 'products',
    equality: [],
    sort: { updatedAt: 1, _id: 1 },
    index: 'updated',
    example: productVersionsQuery(),
    periodic: true,
  },
  {
    name: 'order reconciliation: stock rows with stale holds',
    collection: 'stock',
    equality: [],
    sort: {},
    range: 'holds.at',
    index: 'holds_at',
    example: staleHoldsQuery(cutoff),
    periodic: true,
  },
  {
    name: 'order reconciliation: prune old cancel-return records',
    collection: 'stock',
    equality: [],
    sort: {},
    range: 'returns.at',
    index: 'returns_at',
    example: expiredReturnsQuery(cutoff),
    periodic: true,
  },
  {
    name: 'order reconciliation: cancelled orders not restocked',
    collection: 'orders',
    equality: ['status', 'lines.restocked'],
    sort: {},
    range: 'updatedAt',
    index: 'cancelled_unrestocked',
    example: cancelledNotRestockedQuery(cutoff),
    periodic: true,
  },
  {
    name: 'stock rows of a product',
    collection: 'stock',
    equality: ['productId'],
    sort: {},
    index: 'product_warehouse_unique',
    example: { filter: { productId: someId }, sort: {} },
  },
  {
    name: 'order: reserve units in the fullest warehouse that has enough',
    collection: 'stock',
    equality: ['productId'],
    sort: { quantity: -1 },
    range: 'quantity',
    residual: ['holds.orderId'],
    index: 'product_available',
    example: { filter: { productId: someId, quantity: { $gte: 2 }, 'holds.orderId': { $ne: otherId } }, sort: { quantity: -1 } },
  },
  {
    name: 'order: take units from one warehouse',
    collection: 'stock',
    equality: ['productId', 'warehouse'],
    sort: {},
    residual: ['quantity', 'holds.orderId'],
    index: 'product_warehouse_unique',
    example: { filter: { productId: someId, warehouse: { $eq: 'main' }, quantity: { $gte: 2 }, 'holds.orderId': { $ne: otherId } }, sort: {} },
  },
  {
    name: 'order: commit or release a hold',
    collection: 'stock',
    equality: ['productId', 'warehouse'],
    sort: {},
    residual: ['holds.orderId'],
    index: 'product_warehouse_unique',
    example: { filter: { productId: someId, warehouse: { $eq: 'main' }, 'holds.orderId': otherId }, sort: {} },
  },
  {
    name: 'order: the order of an idempotency key',
    collection: 'orders',
    equality: ['idempotencyId'],
    sort: {},
    index: 'idempotency_unique',
    example: { filter: { idempotencyId: { $eq: 'customer-1:key-1' } }, sort: {} },
  },
  {
    name: 'order: status transition',
    collection: 'orders',
    equality: ['_id'],
    sort: {},
    residual: ['status'],
    index: '_id_',
    example: { filter: { _id: someId, status: { $in: ['pending', 'paid'] } }, sort: {} },
  },
  {
    name: 'order history of a customer',
    collection: 'orders',
    equality: ['customerId'],
    sort: { createdAt: -1, _id: -1 },
    index: 'customer_created',
    example: { filter: { customerId: 'customer-1' }, sort: { createdAt: -1, _id: -1 } },
  },
  {
    name: 'idempotency: a key and its lock',
    collection: 'idempotency',
    equality: ['_id'],
    sort: {},
    residual: ['owner', 'state'],
    index: '_id_',
    example: { filter: { _id: { $eq: 'customer-1:key-1' }, owner: { $eq: 'attempt-1' }, state: 'running' }, sort: {} },
  },
];
