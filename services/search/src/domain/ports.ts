import type { CategoryRef, SearchableProduct } from './types.ts';

/** Where the index reads the catalog from (the products and categories collections). */
export interface ProductSource {
  /** Every product, in batches (a cursor: memory stays flat while loading). */
  loadAll(onBatch: (products: SearchableProduct[]) => void): Promise<void>;
  byIds(ids: readonly string[]): Promise<SearchableProduct[]>;
  /** Products whose updatedAt ≥ `since`. */
  changedSince(since: Date): Promise<SearchableProduct[]>;
  count(): Promise<number>;
  /** Every product's id and updatedAt (epoch ms): what a full reconciliation compares. */
  versions(): Promise<{ id: string; updatedAt: number }[]>;
  categories(): Promise<CategoryRef[]>;
}

/** The ranking of popular searches shared by every worker (Redis), bounded. */
export interface PopularStore {
  add(increments: ReadonlyMap<string, number>): Promise<void>;
  top(n: number): Promise<string[]>;
}
