import { stockChangeTags } from '@shop/catalog/cache-tags';
import type { InvalidateTags } from './ports.ts';
import type { Allocation } from './types.ts';

/** Outcome of one reconciliation pass. */
export interface ReconcileResult {
  /** Holds whose order exists and names their row: kept as decrements. */
  committed: number;
  /** Holds without an order (a crash between reserve and order write), or on a row their order does not name: units given back. */
  released: number;
  /** Cancelled orders whose units were not all back in stock. */
  restocked?: number;
}

export interface HoldStore {
  /** Holds older than `before`: product, warehouse and order of each (a line's holds may be on several rows). */
  staleHolds(before: Date): Promise<{ productId: string; warehouse: string; orderId: string }[]>;
  /** The order's lines with where their units came from; null when there is no such order. */
  orderLines(orderId: string): Promise<{ productId: string; allocations: Allocation[] }[] | null>;
  release(productId: string, warehouse: string, orderId: string): Promise<void>;
  commit(productId: string, warehouse: string, orderId: string): Promise<void>;
  /** Rebuilds products' stockTotal from their rows. */
  recomputeTotals(productIds: string[]): Promise<void>;
}

const rowKey = (productId: string, warehouse: string): string => `${productId}/${warehouse}`;

/**
 * Resolves reservations left behind by crashed or stalled requests. A hold older than the
 * reservation timeout is committed if its order exists and one of its lines took units from that
 * row, released otherwise: no order, or units the order does not count (never kept as sold). Every
 * step is a conditional single-document update, so concurrent passes in several workers are harmless.
 * The products whose totals were rebuilt are invalidated.
 */
export async function reconcileHolds(store: HoldStore, olderThanMs: number, invalidate: InvalidateTags, now: () => number = Date.now): Promise<ReconcileResult> {
  const holds = await store.staleHolds(new Date(now() - olderThanMs));
  const result: ReconcileResult = { committed: 0, released: 0 };
  // The rows each order's lines name, read once per order per pass.
  const named = new Map<string, Promise<Set<string> | null>>();
  const rowsNamedBy = (orderId: string): Promise<Set<string> | null> => {
    let rows = named.get(orderId);
    if (!rows) {
      rows = store
        .orderLines(orderId)
        .then((lines) => (lines ? new Set(lines.flatMap((line) => line.allocations.map((a) => rowKey(line.productId, a.warehouse)))) : null));
      named.set(orderId, rows);
    }
    return rows;
  };
  const touched = new Set<string>();
  try {
    for (const hold of holds) {
      touched.add(hold.productId);
      if ((await rowsNamedBy(hold.orderId))?.has(rowKey(hold.productId, hold.warehouse))) {
        await store.commit(hold.productId, hold.warehouse, hold.orderId);
        result.committed++;
      } else {
        await store.release(hold.productId, hold.warehouse, hold.orderId);
        result.released++;
      }
    }
  } finally {
    // Even when a step failed: the holds already resolved are not found by the next pass.
    if (touched.size > 0) {
      const productIds = [...touched];
      try {
        await store.recomputeTotals(productIds);
      } finally {
        // Released units are back in stock: cached product and stock answers change in every
        // worker and at the edge, and listings (which filter on stock) when any unit came back.
        await invalidate(stockChangeTags(productIds, result.released > 0));
      }
    }
  }
  return result;
}
