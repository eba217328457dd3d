import { notFound } from '@shop/service-kit';
import { stockChangeTags, type InvalidateTags } from './cache-tags.ts';
import type { CatalogStore } from './ports.ts';
import type { ProductStock, StockLevel } from './types.ts';

export async function getProductStock(store: CatalogStore, productId: string): Promise<ProductStock> {
  const product = await store.products.findById(productId);
  if (!product) throw notFound('Product');
  const warehouses = await store.stock.listForProduct(productId);
  return { productId, total: warehouses.reduce((sum, level) => sum + level.quantity, 0), warehouses };
}

/**
 * Sets one warehouse's quantity. The product's stockTotal moves by the difference from the
 * previous quantity, read atomically with the write, so concurrent updates stay consistent.
 * Cached reads of the product and its stock are invalidated; listings only when the product
 * moves in or out of stock (the in-stock filter and the inStock flag change).
 */
export async function setStock(
  store: CatalogStore,
  productId: string,
  warehouse: string,
  quantity: number,
  invalidate: InvalidateTags,
): Promise<StockLevel> {
  const product = await store.products.findById(productId);
  if (!product) throw notFound('Product');
  let crossedZero = true;
  try {
    const { previous, level } = await store.stock.set(productId, warehouse, quantity);
    if (quantity === previous) return level;
    let totalAfter: number | null;
    try {
      totalAfter = await store.products.addToStockTotal(productId, quantity - previous);
    } catch (error) {
      // Undo the row so a retry sees the old quantity and applies the whole delta again.
      await store.stock.set(productId, warehouse, previous).catch(() => {});
      throw error;
    }
    if (totalAfter === null) {
      // The product was deleted while we wrote: drop the rows we may have orphaned.
      await store.stock.deleteForProduct(productId);
      throw notFound('Product');
    }
    crossedZero = totalAfter > 0 !== totalAfter - (quantity - previous) > 0;
    return level;
  } finally {
    // Also after a failure: a timed-out write may still have been applied.
    await invalidate(stockChangeTags([productId], crossedZero));
  }
}
