import { declaredIndexes } from './index-sync.ts';

export interface QueryShape {
  /** Fields compared with equality, any order. */
  equality: readonly string[];
  /** Sort keys in order. */
  sort: Readonly<Record<string, 1 | -1>>;
  /** A field with a range condition, if any. */
  range?: string;
}

/**
 * True when an index with `key` serves the query by the ESR rule: equality fields first (any
 * order), then the sort keys in order (or all reversed), then the range field.
 */
export function indexFits(query: QueryShape, key: Readonly<Record<string, unknown>>): boolean {
  const fields = Object.entries(key);
  const eq = fields.slice(0, query.equality.length).map(([f]) => f);
  if ([...eq].sort().join() !== [...query.equality].sort().join()) return false;
  const rest = fields.slice(query.equality.length);
  const sort = Object.entries(query.sort);
  const forward = sort.every(([f, dir], i) => rest[i]?.[0] === f && rest[i]?.[1] === dir);
  const backward = sort.every(([f, dir], i) => rest[i]?.[0] === f && rest[i]?.[1] === -dir);
  if (sort.length > 0 && !forward && !backward) return false;
  if (query.range && query.range !== Object.keys(query.sort)[0]) {
    return rest.slice(sort.length).some(([f]) => f === query.range);
  }
  return true;
}

/** The name of a declared index on `collection` that serves `query`, if any. */
export function servingIndex(collection: string, query: QueryShape): string | undefined {
  return (declaredIndexes[collection] ?? []).find((index) => indexFits(query, index.key))?.name;
}
