import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Connection, Model } from 'mongoose';
import { hotQueries, type HotQuery } from '../src/hot-queries.ts';
import { HAS_HOLDS } from '../src/collections/stock/schema.ts';
import { indexFits, partialFilterImplied, servingIndex } from '../src/index-fit.ts';
import { applyIndexes, declaredIndexes } from '../src/index-sync.ts';
import { shopModels, type ShopModels } from '../src/models.ts';
import { freshDatabase } from './helpers.ts';

let connection: Connection;
let models: ShopModels;

beforeAll(async () => {
  ({ connection } = await freshDatabase('hotq'));
  models = shopModels(connection);
  await applyIndexes(Object.values(models));
});

afterAll(async () => {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
});

const modelFor = (query: HotQuery): Model<Record<string, unknown>> =>
  ({ products: models.Product, categories: models.Category, stock: models.Stock, orders: models.Order, idempotency: models.Idempotency })[
    query.collection
  ] as unknown as Model<Record<string, unknown>>;

/** The index a hot query names: a declared one, or the _id index every collection has. */
const indexOf = (query: HotQuery): { key: Record<string, unknown>; options?: Record<string, unknown> } | undefined =>
  query.index === '_id_' ? { key: { _id: 1 } } : declaredIndexes[query.collection]?.find((d) => d.name === query.index);

interface PlanNode {
  stage?: string;
  indexName?: string;
  inputStage?: PlanNode;
  inputStages?: PlanNode[];
  queryPlan?: PlanNode;
}

function indexesIn(plan: PlanNode | undefined): string[] {
  if (!plan) return [];
  return [
    ...(plan.indexName ? [plan.indexName] : []),
    ...indexesIn(plan.inputStage),
    ...indexesIn(plan.queryPlan),
    ...(plan.inputStages ?? []).flatMap(indexesIn),
  ];
}

describe('hot queries and their indexes', () => {
  const partialOf = (query: HotQuery): Record<string, unknown> | undefined => indexOf(query)?.options?.partialFilterExpression as Record<string, unknown> | undefined;

  it.each(hotQueries.map((q) => [q.name, q] as const))('when "%s" runs, then its declared index fits it (ESR)', (_name, query) => {
    const index = indexOf(query);
    expect(index).toBeDefined();
    expect(indexFits(query, index!.key, partialOf(query))).toBe(true);
    // A partial index serves only queries that carry its filter.
    expect(partialFilterImplied(query.example.filter, partialOf(query))).toBe(true);
  });

  it.each(hotQueries.map((q) => [q.name, q] as const))('when "%s" is sent, then its registered shape names exactly the fields its filter and sort use', (_name, query) => {
    const shapeFields = new Set([...query.equality, ...(query.range ? [query.range] : [])]);
    const filterFields = Object.keys(query.example.filter);
    // Every field the query filters on is in its shape, or is a condition of its partial index's filter.
    const explained = new Set([...shapeFields, ...(query.residual ?? []), ...Object.keys(partialOf(query) ?? {})]);
    expect(filterFields.filter((f) => !explained.has(f))).toEqual([]);
    expect([...shapeFields].filter((f) => !filterFields.includes(f))).toEqual([]);
    expect(query.example.sort).toEqual(query.sort);
  });

  it('when the services run their periodic queries, then every one of them is registered with its index', () => {
    const periodic = Object.fromEntries(hotQueries.filter((q) => q.periodic).map((q) => [q.name, `${q.collection}.${q.index}`]));
    expect(periodic).toEqual({
      'search index poll: products changed since a watermark': 'products.updated',
      'search index reconciliation: every product version (covered by the index)': 'products.updated',
      'order reconciliation: stock rows with stale holds': 'stock.holds_at',
      'order reconciliation: prune old cancel-return records': 'stock.returns_at',
      'order reconciliation: cancelled orders not restocked': 'orders.cancelled_unrestocked',
    });
  });

  it('when a query lacks a partial index\'s filter condition, then that index is not counted as serving it', () => {
    // The stale-holds query as it was sent before: MongoDB cannot use `holds_at` (its filter is on holds.0).
    const before = { 'holds.at': { $lt: new Date(0) } };
    expect(partialFilterImplied(before, HAS_HOLDS)).toBe(false);
    expect(servingIndex('stock', { equality: [], sort: {}, range: 'holds.at', filter: before })).toBeUndefined();
    expect(servingIndex('stock', { equality: [], sort: {}, range: 'holds.at', filter: { ...HAS_HOLDS, ...before } })).toBe('holds_at');
  });

  it('when each hot query is explained, then the planner picks its declared index', async () => {
    // Every server the suite runs on answers explain: MongoDB, and the stand-in (issue 24).
    console.log(`[hot-queries] ${process.env.SHOP_MONGO_SERVER ?? 'server'}: checking the winning plan of ${hotQueries.length} hot queries`);
    // A few documents the partial indexes leave out, so a plan on another index has work to do
    // and the planner's trial can tell the plans apart.
    await models.Order.collection.insertMany(
      Array.from({ length: 20 }, (_, i) => ({ customerId: `c${i}`, idempotencyId: `c${i}:k`, status: 'cancelled', updatedAt: new Date(0), lines: [{ restocked: true }] })),
    );
    await models.Stock.collection.insertMany(Array.from({ length: 20 }, (_, i) => ({ productId: `p${i}`, warehouse: 'w', quantity: 1, holds: [], returns: [] })));
    for (const query of hotQueries) {
      const explained = (await modelFor(query)
        .find(query.example.filter)
        .sort(query.example.sort)
        .explain('queryPlanner')) as unknown as { queryPlanner: { winningPlan: PlanNode } };
      const used = indexesIn(explained.queryPlanner.winningPlan);
      expect({ query: query.name, used }).toEqual({ query: query.name, used: expect.arrayContaining([query.index]) });
    }
  });
});
