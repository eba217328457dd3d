import type { IndexDirection, IndexOptions, Schema } from 'mongoose';

/**
 * One declared index. `serves` names the query it exists for, so nobody drops it
 * (or adds a redundant one) without knowing what gets slower.
 */
export interface IndexDefinition<TDoc> {
  name: string;
  key: { [K in keyof TDoc & string]?: IndexDirection } & Record<string, IndexDirection>;
  options?: Omit<IndexOptions, 'name'>;
  serves: string;
}

/** Declares every index on the schema under its explicit name. */
export function applyIndexes<TDoc>(schema: Schema<TDoc>, definitions: readonly IndexDefinition<TDoc>[]): void {
  for (const definition of definitions) {
    schema.index(definition.key, { ...definition.options, name: definition.name });
  }
}
