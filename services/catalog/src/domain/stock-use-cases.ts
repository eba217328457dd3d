import { notFound } from '@shop/service-kit';
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
 */
export async function setStock(
  store: CatalogStore,
  productId: string,
  warehouse: string,
  quantity: number,
): Promise<StockLevel> {
  const product = await store.products.findById(productId);
  if (!product) throw notFound('Product');
  const { previous, level } = await store.stock.set(productId, warehouse, quantity);
  if (quantity !== previous) await store.products.addToStockTotal(productId, quantity - previous);
  return level;
}
