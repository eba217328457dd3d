// Baselines for the hostile-input fuzz: one valid request per operationId, built from the seeded
// data. Every mutation starts from a fresh one (writes get new slugs, SKUs and idempotency keys).
import { randomBytes } from 'node:crypto';
import type { SeededFixtures } from './seeded-fixtures.ts';

/** The fuzz customer's orders: A is read and advanced, B cancelled. */
export interface Fixtures extends SeededFixtures {
  orderA: string;
  orderB: string;
}

export interface Baseline {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Request headers the operation reads, with the rule their values must follow. */
  headerRules?: Record<string, RegExp>;
  /** Query strings with the same answer as `query` but another cache key (cache-poisoning probes). */
  equivalents?: Record<string, string>[];
  /** Values worth trying for a parameter beyond what its schema suggests. */
  extraQueryValues?: Record<string, string[]>;
}

const run = randomBytes(3).toString('hex');
let serial = 0;
/** A value no earlier request of this run used. */
export const unique = (): string => `${run}-${++serial}`;
const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const CRAFTED_CURSORS = [
  cursorOf({ c: { $gt: '' }, i: { $ne: null } }),
  cursorOf({ c: '2020-01-01T00:00:00.000Z', i: 'ffffffffffffffffffffffff', $where: 'sleep(2000)' }),
  cursorOf({ c: '+275760-09-13T00:00:00.000Z', i: '000000000000000000000000' }),
  cursorOf({ c: '0', i: '0'.repeat(24) }),
  cursorOf({ __proto__: { polluted: true }, c: '2020-01-01', i: 'a'.repeat(24) }),
  Buffer.from('{"c":"2020-01-01","i":"aaaaaaaaaaaaaaaaaaaaaaaa","__proto__":{"x":1}}').toString('base64url'),
  'not base64 !!',
  '%%%',
  // A well-formed cursor with an ESC spliced in, which Node's base64 decoder would skip over.
  ((valid) => `${valid.slice(0, 8)}\u001b${valid.slice(8)}`)(cursorOf({ c: '2020-01-01T00:00:00.000Z', i: 'a'.repeat(24) })),
];

const queries = (...list: Record<string, string>[]): Record<string, string>[] => list;

export const BASELINES: Record<string, (fx: Fixtures) => Baseline> = {
  // Catalog
  listCategories: () => ({}),
  getCategory: (fx) => ({ params: { slug: fx.categorySlug } }),
  createCategory: () => ({ body: { slug: `hostile-${unique()}`, name: 'Hostile Input Test' } }),
  listProducts: (fx) => ({
    query: { category: fx.categorySlug, brand: fx.brand, minPrice: '0', maxPrice: '100000000', inStock: 'true', sort: 'price', page: '1', limit: '5' },
    equivalents: queries({}, { page: '1' }, { limit: '20' }, { sort: 'popularity' }, { page: '1', limit: '20' }, { page: '1', sort: 'popularity' }, { limit: '20', sort: 'popularity' }, { page: '1', limit: '20', sort: 'popularity' }),
  }),
  getProductBySku: (fx) => ({ params: { sku: fx.sku } }),
  getProduct: (fx) => ({ params: { id: fx.productId } }),
  createProduct: (fx) => ({
    body: {
      sku: `HOSTILE-${unique()}`,
      name: 'Hostile Input Lamp',
      description: 'Made by the hostile-input suite.',
      brand: 'Fuzzco',
      category: fx.categorySlug,
      priceCents: 1999,
      currency: 'EUR',
      attributes: { color: 'red', weightKg: 1.5, wireless: true },
      images: [{ url: 'https://img.example.com/lamp.webp', alt: 'A lamp' }],
      rating: { average: 4.5, count: 10 },
      popularity: 5,
    },
  }),
  updateProduct: (fx) => ({
    params: { id: fx.writeProductId },
    body: { name: 'Hostile Input Renamed', priceCents: 2599, attributes: { color: 'blue' }, images: [{ url: '/img/renamed.webp' }], rating: { average: 3, count: 2 } },
  }),
  deleteProduct: (fx) => ({ params: { id: fx.deleteProductId } }),
  getProductStock: (fx) => ({ params: { id: fx.productId } }),
  setStock: (fx) => ({ params: { id: fx.writeProductId, warehouse: fx.warehouse }, body: { quantity: 42 } }),
  // Performance (served by the catalog)
  performanceSummary: () => ({}),
  reportVitals: () => ({ body: { page: 'product', metrics: [{ name: 'LCP', value: 1200 }, { name: 'CLS', value: 0.05 }] } }),
  // Orders
  startDemoSession: () => ({ body: {} }),
  placeOrder: (fx) => ({
    body: { items: [{ productId: fx.orderProductId, quantity: 1 }] },
    headers: { 'idempotency-key': `hostile-${unique()}` },
    headerRules: { 'idempotency-key': /^[A-Za-z0-9_.-]{8,100}$/ },
  }),
  listMyOrders: () => ({ query: { limit: '5' }, extraQueryValues: { cursor: CRAFTED_CURSORS } }),
  getOrder: (fx) => ({ params: { id: fx.orderA } }),
  cancelOrder: (fx) => ({ params: { id: fx.orderB } }),
  advanceOrder: (fx) => ({ params: { id: fx.orderA }, body: { status: 'paid' } }),
  listOrdersByStatus: () => ({ params: { status: 'pending' }, query: { limit: '5' }, extraQueryValues: { cursor: CRAFTED_CURSORS } }),
  // Search
  searchProducts: (fx) => ({
    query: { q: 'desk chair', category: fx.categorySlug, brand: fx.brand, minPrice: '0', maxPrice: '100000000', inStock: 'true', sort: 'relevance', page: '1', limit: '10' },
    equivalents: queries({ q: 'desk' }, { q: 'desk', page: '1' }, { q: 'desk', limit: '20' }, { q: 'desk', page: '1', limit: '20' }),
  }),
  suggest: () => ({ query: { q: 'des', limit: '5' }, equivalents: queries({ q: 'des' }, { q: 'des', limit: '5' }) }),
};
