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

const RANGE_OPERATORS = ['$gt', '$gte', '$lt', '$lte'] as const;
type RangeOperator = (typeof RANGE_OPERATORS)[number];

/** True when every number `value` (or beside it, for an exclusive bound) satisfies `operator bound`. */
function numberSatisfies(value: number, inclusive: boolean, operator: RangeOperator, bound: number): boolean {
  switch (operator) {
    case '$gt':
      return value > bound || (value === bound && !inclusive);
    case '$gte':
      return value >= bound;
    case '$lt':
      return value < bound || (value === bound && !inclusive);
    case '$lte':
      return value <= bound;
  }
}

/**
 * True when the query's condition on a field implies the partial filter's numeric range condition
 * (`{ quantity: { $gte: 2 } }` implies `{ quantity: { $gt: 0 } }`), as MongoDB's planner proves it.
 */
function rangeImplied(given: unknown, required: Readonly<Record<string, unknown>>): boolean {
  const requiredOps = Object.entries(required);
  if (requiredOps.length === 0 || !requiredOps.every(([op, bound]) => (RANGE_OPERATORS as readonly string[]).includes(op) && typeof bound === 'number')) return false;
  const bounds: { value: number; inclusive: boolean; lower: boolean }[] = [];
  if (typeof given === 'number') bounds.push({ value: given, inclusive: true, lower: true }, { value: given, inclusive: true, lower: false });
  else if (isOperatorObject(given)) {
    for (const [op, value] of Object.entries(given as Record<string, unknown>)) {
      if (typeof value !== 'number') continue;
      if (op === '$eq') bounds.push({ value, inclusive: true, lower: true }, { value, inclusive: true, lower: false });
      if (op === '$gt' || op === '$gte') bounds.push({ value, inclusive: op === '$gte', lower: true });
      if (op === '$lt' || op === '$lte') bounds.push({ value, inclusive: op === '$lte', lower: false });
    }
  }
  return requiredOps.every(([op, bound]) => {
    const lower = op === '$gt' || op === '$gte';
    return bounds.some((b) => b.lower === lower && numberSatisfies(b.value, b.inclusive, op as RangeOperator, bound as number));
  });
}

/**
 * True when MongoDB may use a partial index with this filter for a query with `filter`: the query
 * must imply the index's filter, which the planner proves field by field — checked here in the
 * forms the code relies on: each condition of the index's filter present verbatim in the query, or
 * a numeric range condition implied by the query's range on that field. An index without a
 * partial filter is usable by any query.
 */
export function partialFilterImplied(filter: Readonly<Record<string, unknown>>, partialFilterExpression?: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(partialFilterExpression ?? {}).every(
    ([field, condition]) =>
      Object.hasOwn(filter, field) &&
      (isDeepStrictEqual(filter[field], condition) || (isOperatorObject(condition) && rangeImplied(filter[field], condition as Record<string, unknown>))),
  );
}

/** The name of a declared index on `collection` that serves `query`, if any. */
export function servingIndex(collection: string, query: QueryShape & { filter?: Readonly<Record<string, unknown>> }): string | undefined {
  return (declaredIndexes[collection] ?? []).find((index) => {
    const partial = index.options?.partialFilterExpression as Record<string, unknown> | undefined;
    return indexFits(query, index.key, partial) && (partial === undefined || (query.filter !== undefined && partialFilterImplied(query.filter, partial)));
  })?.name;
}
