import { isDeepStrictEqual } from 'node:util';
import { declaredIndexes } from './index-sync.ts';

export interface QueryShape {
  /** Fields compared with equality, any order. */
  equality: readonly string[];
  /** Sort keys in order. */
  sort: Readonly<Record<string, 1 | -1>>;
  /** A field with a range condition, if any. */
  range?: string;
}

const isOperatorObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && Object.keys(value).some((k) => k.startsWith('$'));

/** Fields a partial filter pins to one value (`field: value` or `{ $eq: value }`). */
function pinnedBy(partialFilterExpression: Readonly<Record<string, unknown>> | undefined): Set<string> {
  return new Set(
    Object.entries(partialFilterExpression ?? {})
      .filter(([, condition]) => !isOperatorObject(condition) || Object.keys(condition as object).join() === '$eq')
      .map(([field]) => field),
  );
}

/**
 * True when an index with `key` serves the query by the ESR rule: equality fields first (any
 * order), then the sort keys in order (or all reversed), then the range field. Equality fields a
 * partial index pins with its filter (every entry it holds has that value) need not be in its key.
 */
export function indexFits(query: QueryShape, key: Readonly<Record<string, unknown>>, partialFilterExpression?: Readonly<Record<string, unknown>>): boolean {
  const pinned = pinnedBy(partialFilterExpression);
  const equality = query.equality.filter((f) => !pinned.has(f) || Object.hasOwn(key, f));
  const fields = Object.entries(key);
  const eq = fields.slice(0, equality.length).map(([f]) => f);
  if ([...eq].sort().join() !== [...equality].sort().join()) return false;
  const rest = fields.slice(equality.length);
  const sort = Object.entries(query.sort);
  const forward = sort.every(([f, dir], i) => rest[i]?.[0] === f && rest[i]?.[1] === dir);
  const backward = sort.every(([f, dir], i) => rest[i]?.[0] === f && rest[i]?.[1] === -dir);
  if (sort.length > 0 && !forward && !backward) return false;
  if (query.range && query.range !== Object.keys(query.sort)[0]) {
    return rest.slice(sort.length).some(([f]) => f === query.range);
  }
  return true;
}

/**
 * True when MongoDB may use a partial index with this filter for a query with `filter`: the query
 * must imply the index's filter, which the planner proves field by field — checked here in the
 * strict form the code relies on, each condition of the index's filter present verbatim in the
 * query. An index without a partial filter is usable by any query.
 */
export function partialFilterImplied(filter: Readonly<Record<string, unknown>>, partialFilterExpression?: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(partialFilterExpression ?? {}).every(([field, condition]) => Object.hasOwn(filter, field) && isDeepStrictEqual(filter[field], condition));
}

/** The name of a declared index on `collection` that serves `query`, if any. */
export function servingIndex(collection: string, query: QueryShape & { filter?: Readonly<Record<string, unknown>> }): string | undefined {
  return (declaredIndexes[collection] ?? []).find((index) => {
    const partial = index.options?.partialFilterExpression as Record<string, unknown> | undefined;
    return indexFits(query, index.key, partial) && (partial === undefined || (query.filter !== undefined && partialFilterImplied(query.filter, partial)));
  })?.name;
}
