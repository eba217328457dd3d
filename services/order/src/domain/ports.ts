import type { Order, OrderLine, OrderPage, OrderStatus, PricedProduct, StockRowView } from './types.ts';

/** What placing and reading orders needs from storage. data-access/ implements it on MongoDB. */
export interface OrderStore {
  products: {
    /** The products named by id or sku, with current prices (never the client's). */
    find(ids: string[], skus: string[]): Promise<PricedProduct[]>;
    /**
     * Sets each product's denormalized stockTotal to the sum of its rows (the rows are the truth;
     * deltas across two documents could be applied twice or not at all). Returns the new totals.
     */
    refreshStockTotals(productIds: string[]): Promise<Map<string, number>>;
  };
  stock: {
    /**
     * Takes `quantity` units from the fullest warehouse that has them all, recording a hold for
     * `orderId` in the same atomic update. Returns the warehouse, or null when no single row has enough.
     */
    reserve(productId: string, quantity: number, orderId: string): Promise<string | null>;
    /** The product's stock rows with their holds (a snapshot to plan takes from). */
    rows(productId: string): Promise<StockRowView[]>;
    /**
     * Takes exactly `quantity` units from one row if it still holds that many, adding them to this
     * order's hold there (one hold per row and order) in the same atomic update. False when the
     * row no longer has them: nothing changed.
     */
    take(productId: string, warehouse: string, quantity: number, orderId: string): Promise<boolean>;
    /** Gives the units of a hold back (no-op when the hold is already gone). */
    release(productId: string, warehouse: string, orderId: string): Promise<void>;
    /** Gives back every hold of `orderId` on any row of the product, including one whose take reply was lost. */
    releaseAll(productId: string, orderId: string): Promise<void>;
    /** Drops the hold, keeping the units taken: the order exists. */
    commit(productId: string, warehouse: string, orderId: string): Promise<void>;
    /**
     * Gives a cancelled order's units back and records that in the same atomic update; a second
     * call for the same order is a no-op (and so is a call for a stock row that was deleted).
     */
    returnUnits(productId: string, warehouse: string, orderId: string, quantity: number): Promise<void>;
    /** Forgets return records older than `before` (tombstones kept long after every line was marked). */
    pruneReturns(before: Date): Promise<void>;
  };
  orders: {
    /** Writes the order; returns null when an order for `idempotencyId` already exists. */
    create(order: {
      id: string;
      customerId: string;
      idempotencyId: string;
      lines: OrderLine[];
      totalCents: number;
      currency: string;
    }): Promise<Order | null>;
    findByIdempotencyId(idempotencyId: string): Promise<Order | null>;
    /** Moves the order from one of `from` to `to` (conditional); null when it was not in `from`. */
    transition(id: string, from: OrderStatus[], to: OrderStatus, paymentStatus?: Order['paymentStatus']): Promise<Order | null>;
    markRestocked(id: string, lineIndex: number): Promise<void>;
    listByStatus(status: OrderStatus, cursor: { createdAt: string; id: string } | null, limit: number): Promise<OrderPage>;
    /** Cancelled orders updated before `before` with a line not yet back in stock. */
    cancelledNotRestocked(before: Date): Promise<Order[]>;
    findById(id: string): Promise<Order | null>;
    listForCustomer(customerId: string, cursor: { createdAt: string; id: string } | null, limit: number): Promise<OrderPage>;
  };
}

/** Drops cached catalog reads by tag in every worker of every service. */
export type { InvalidateTags } from '@shop/catalog/cache-tags';
