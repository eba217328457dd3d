import type { Model } from 'mongoose';
import { categoryIndexes } from './collections/categories/schema.ts';
import { productIndexes } from './collections/products/schema.ts';
import { idempotencyIndexes } from './collections/idempotency/schema.ts';
import { orderIndexes } from './collections/orders/schema.ts';
import { stockIndexes } from './collections/stock/schema.ts';
import type { IndexDefinition } from './index-definition.ts';

/** Every declared index, by collection name, with the query it serves. */
export const declaredIndexes: Record<string, readonly IndexDefinition<unknown>[]> = {
  categories: categoryIndexes as readonly IndexDefinition<unknown>[],
  products: productIndexes as readonly IndexDefinition<unknown>[],
  stock: stockIndexes as readonly IndexDefinition<unknown>[],
  orders: orderIndexes as readonly IndexDefinition<unknown>[],
  idempotency_keys: idempotencyIndexes as readonly IndexDefinition<unknown>[],
};

export interface IndexDrift {
  collection: string;
  /** Declared but missing, or present with a different definition. */
  toCreate: { name: string; key: Record<string, unknown>; serves: string }[];
  /** Present on the server but not declared (or declared differently). */
  toDrop: string[];
}

// A model is enough: mongoose compares the schema's declared indexes with listIndexes().
type AnyModel = Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Compares declared and actual indexes of every model. An empty list means no drift. */
export async function checkIndexes(models: readonly AnyModel[]): Promise<IndexDrift[]> {
  const drift: IndexDrift[] = [];
  for (const model of models) {
    const collection = model.collection.collectionName;
    // With indexOptionsToCreate, toCreate holds [key, options] pairs (what syncIndexes() uses).
    const diff = await model.diffIndexes({ indexOptionsToCreate: true } as Parameters<AnyModel['diffIndexes']>[0]);
    const declared = declaredIndexes[collection] ?? [];
    const toCreate = diff.toCreate.map((spec) => {
      const [key, options] = spec as unknown as [Record<string, unknown>, { name?: string }];
      const name = options?.name ?? JSON.stringify(key);
      return { name, key, serves: declared.find((d) => d.name === name)?.serves ?? '(undeclared)' };
    });
    if (toCreate.length > 0 || diff.toDrop.length > 0) {
      drift.push({ collection, toCreate, toDrop: diff.toDrop.map(String) });
    }
  }
  return drift;
}

/** Creates the declared indexes that are missing; never drops anything (used by start and seed). */
export async function ensureIndexes(models: readonly AnyModel[]): Promise<void> {
  for (const model of models) {
    await model.createCollection().catch(() => {});
    await model.createIndexes();
  }
}

/** Creates missing indexes and drops undeclared ones so the server matches the declarations. */
export async function applyIndexes(models: readonly AnyModel[]): Promise<void> {
  for (const model of models) {
    await model.createCollection().catch(() => {});
    await model.syncIndexes();
  }
}
