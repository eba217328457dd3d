/** Outcome of one reconciliation pass. */
export interface ReconcileResult {
  /** Holds whose order exists: kept as decrements. */
  committed: number;
  /** Holds without an order (a crash between reserve and order write): units given back. */
  released: number;
  /** Cancelled orders whose units were not all back in stock. */
  restocked?: number;
}

export interface HoldStore {
  /** Holds older than `before`: product, warehouse and order of each. */
  staleHolds(before: Date): Promise<{ productId: string; warehouse: string; orderId: string }[]>;
  orderExists(orderId: string): Promise<boolean>;
  release(productId: string, warehouse: string, orderId: string): Promise<void>;
  commit(productId: string, warehouse: string, orderId: string): Promise<void>;
  /** Rebuilds products' stockTotal from their rows. */
  recomputeTotals(productIds: string[]): Promise<void>;
}

/**
 * Resolves reservations left behind by crashed or stalled requests. A hold older than the
 * reservation timeout is committed if its order exists, released otherwise. Every step is a
 * conditional single-document update, so concurrent passes in several workers are harmless.
 */
export async function reconcileHolds(store: HoldStore, olderThanMs: number, now: () => number = Date.now): Promise<ReconcileResult> {
  const holds = await store.staleHolds(new Date(now() - olderThanMs));
  const result: ReconcileResult = { committed: 0, released: 0 };
  for (const hold of holds) {
    if (await store.orderExists(hold.orderId)) {
      await store.commit(hold.productId, hold.warehouse, hold.orderId);
      result.committed++;
    } else {
      await store.release(hold.productId, hold.warehouse, hold.orderId);
      result.released++;
    }
  }
  if (holds.length > 0) await store.recomputeTotals([...new Set(holds.map((h) => h.productId))]);
  return result;
}
