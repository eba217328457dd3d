import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Connection, Model } from 'mongoose';
import { hotQueries, type HotQuery } from '../src/hot-queries.ts';
import { indexFits } from '../src/index-fit.ts';
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
  ({ products: models.Product, categories: models.Category, stock: models.Stock })[query.collection] as unknown as Model<
    Record<string, unknown>
  >;

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

async function serverSupportsExplain(): Promise<boolean> {
  try {
    await connection.db!.command({ explain: { find: 'products', filter: {} }, verbosity: 'queryPlanner' });
    return true;
  } catch (error) {
    // The stand-in answers CommandNotFound (59); anything else is a real failure.
    if ((error as { code?: number }).code === 59) return false;
    throw error;
  }
}

describe('hot queries and their indexes', () => {
  it.each(hotQueries.map((q) => [q.name, q] as const))('when "%s" runs, then its declared index fits it (ESR)', (_name, query) => {
    const index = declaredIndexes[query.collection]!.find((d) => d.name === query.index);
    expect(index).toBeDefined();
    expect(indexFits(query, index!.key)).toBe(true);
  });

  it('when the server supports explain, then the planner picks the declared index for every hot query', async () => {
    const supported = await serverSupportsExplain();
    console.log(
      `[hot-queries] ${process.env.SHOP_MONGO_SERVER ?? 'server'}: explain ${
        supported ? 'supported: checking winning plans' : 'not supported (CommandNotFound): the ESR checks above are the proof here'
      }`,
    );
    if (!supported) return;
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
