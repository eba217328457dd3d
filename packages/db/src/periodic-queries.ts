import { CANCELLED_NOT_RESTOCKED } from './collections/orders/schema.ts';
import { HAS_HOLDS, HAS_RETURNS } from './collections/stock/schema.ts';

/**
 * The queries the services run on a timer, built here so the service that sends them and the
 * hot-query registry (hot-queries.ts, checked against the declared indexes by its test) use the
 * same filter and sort: change one of these and the test sees the change.
 */
export interface PeriodicQuery {
  filter: Record<string, unknown>;
  sort: Record<string, 1 | -1>;
}

/** Order reconciliation: stock rows with a reservation older than `before` (index `holds_at`). */
export function staleHoldsQuery(before: Date): PeriodicQuery {
  return { filter: { ...HAS_HOLDS, 'holds.at': { $lt: before } }, sort: {} };
}

/** Order reconciliation: stock rows with a cancel-return record older than `before`, to prune (index `returns_at`). */
export function expiredReturnsQuery(before: Date): PeriodicQuery {
  return { filter: { ...HAS_RETURNS, 'returns.at': { $lt: before } }, sort: {} };
}

/** Order reconciliation: cancelled orders last changed before `before` with a line not restocked (index `cancelled_unrestocked`). */
export function cancelledNotRestockedQuery(before: Date): PeriodicQuery {
  return { filter: { ...CANCELLED_NOT_RESTOCKED, updatedAt: { $lt: before } }, sort: {} };
}

/** Search index poll: products changed since a watermark, oldest change first (index `updated`). */
export function productsChangedSinceQuery(since: Date): PeriodicQuery {
  return { filter: { updatedAt: { $gte: since } }, sort: { updatedAt: 1, _id: 1 } };
}

/**
 * Search index reconciliation (every few minutes, and whenever its subscription restarts): every
 * product's `_id` and `updatedAt`. Sorted on the `updated` index so the server reads that index
 * alone (a covered scan) instead of every whole product document.
 */
export function productVersionsQuery(): PeriodicQuery {
  return { filter: {}, sort: { updatedAt: 1, _id: 1 } };
}
