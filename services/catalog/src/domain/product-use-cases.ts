import { notFound } from '@shop/service-kit';
import { PRODUCT_LISTS, productTag, stockChangeTags, type InvalidateTags } from './cache-tags.ts';
import { resolveCategoryId } from './category-use-cases.ts';
import type { CatalogStore } from './ports.ts';
import type { NewProduct, Product, ProductChanges, ProductFilter, ProductPage, ProductSort } from './types.ts';

export interface ProductListRequest {
  category?: string | undefined;
  brand?: string | undefined;
  minPriceCents?: number | undefined;
  maxPriceCents?: number | undefined;
  inStock?: boolean | undefined;
  sort: ProductSort;
  page: number;
  limit: number;
}

/** One page of products; the count runs alongside the page query. */
export async function listProducts(store: CatalogStore, request: ProductListRequest): Promise<ProductPage> {
  const filter: ProductFilter = {
    brand: request.brand,
    minPriceCents: request.minPriceCents,
    maxPriceCents: request.maxPriceCents,
    inStock: request.inStock,
  };
  if (request.category) {
    const categoryId = await store.categories.findBySlug(request.category).then((c) => c?.id);
    if (!categoryId) {
      // An unknown category simply has no products; a listing is not an error.
      return { items: [], page: request.page, limit: request.limit, total: 0, hasMore: false };
    }
    filter.categoryId = categoryId;
  }
  const skip = (request.page - 1) * request.limit;
  const [items, total] = await Promise.all([
    store.products.list(filter, request.sort, skip, request.limit),
    store.products.count(filter),
  ]);
  return { items, page: request.page, limit: request.limit, total, hasMore: skip + items.length < total };
}

export async function getProduct(store: CatalogStore, id: string): Promise<Product> {
  const found = await store.products.findById(id);
  if (!found) throw notFound('Product');
  return found;
}

export async function getProductBySku(store: CatalogStore, sku: string): Promise<Product> {
  const found = await store.products.findBySku(sku);
  if (!found) throw notFound('Product');
  return found;
}

export type CreateProductInput = Omit<NewProduct, 'categoryId'> & { category: string };

/** Creates a product; a duplicate SKU surfaces as 409 DUPLICATE from the unique index. */
export async function createProduct(store: CatalogStore, input: CreateProductInput, invalidate: InvalidateTags): Promise<Product> {
  const { category, ...rest } = input;
  const categoryId = await resolveCategoryId(store, category);
  const product = await store.products.create({ ...rest, categoryId });
  // Nothing cached names the new id yet (a cached 404 is never stored); listings may now include
  // it. Its own tag tells followers of the invalidation channel (the search index) which product appeared.
  await invalidate([productTag(product.id), PRODUCT_LISTS]);
  return product;
}

export type UpdateProductInput = Omit<ProductChanges, 'categoryId'> & { category?: string | undefined };

export async function updateProduct(
  store: CatalogStore,
  id: string,
  input: UpdateProductInput,
  invalidate: InvalidateTags,
): Promise<Product> {
  const { category, ...rest } = input;
  const changes: ProductChanges = { ...rest };
  if (category !== undefined) changes.categoryId = await resolveCategoryId(store, category);
  // Invalidate even when the write throws: a timed-out write may still have been applied.
  try {
    const found = await store.products.update(id, changes);
    if (!found) throw notFound('Product');
    return found;
  } finally {
    await invalidate([productTag(id), PRODUCT_LISTS]);
  }
}

/** Deletes the product and its stock rows. */
export async function deleteProduct(store: CatalogStore, id: string, invalidate: InvalidateTags): Promise<void> {
  try {
    const deleted = await store.products.delete(id);
    if (!deleted) throw notFound('Product');
    await store.stock.deleteForProduct(id);
  } finally {
    await invalidate(stockChangeTags([id], true));
  }
}
