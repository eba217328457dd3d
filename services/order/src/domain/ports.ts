import type { Order, OrderLine, OrderPage, PricedProduct } from './types.ts';

/** What placing and reading orders needs from storage. data-access/ implements it on MongoDB. */
export interface OrderStore {
  products: {
    /** The products named by id or sku, with current prices (never the client's). */
    find(ids: string[], skus: string[]): Promise<PricedProduct[]>;
    /** Moves the denormalized stockTotal; returns the new total, or null if the product is gone. */
    addToStockTotal(productId: string, delta: number): Promise<number | null>;
  };
  stock: {
    /**
     * Takes `quantity` units from one warehouse that has them, recording a hold for `orderId` in
     * the same atomic update. Returns the warehouse, or null when no warehouse has enough.
     */
    reserve(productId: string, quantity: number, orderId: string): Promise<string | null>;
    /** Gives the units of a hold back (no-op when the hold is already gone). */
    release(productId: string, warehouse: string, orderId: string): Promise<void>;
    /** Drops the hold, keeping the units taken: the order exists. */
    commit(productId: string, warehouse: string, orderId: string): Promise<void>;
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
    findById(id: string): Promise<Order | null>;
    listForCustomer(customerId: string, cursor: { createdAt: string; id: string } | null, limit: number): Promise<OrderPage>;
  };
}

/** Drops cached catalog reads by tag in every worker of every service. */
export type InvalidateTags = (tags: string[]) => Promise<void>;
