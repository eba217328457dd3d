import { httpCache, type Cache, type EdgeKeys, type FastHits } from '@shop/cache-middleware';
import { apiRoute, type AnyApiRoute } from '@shop/service-kit';
import type { Request } from 'express';
import { CATEGORIES, PRODUCT_LISTS, productTag, stockTag } from '../../domain/cache-tags.ts';
import { createCategory, getCategory, listCategories } from '../../domain/category-use-cases.ts';
import type { CatalogStore } from '../../domain/ports.ts';
import {
  createProduct,
  deleteProduct,
  getProduct,
  getProductBySku,
  listProducts,
  updateProduct,
} from '../../domain/product-use-cases.ts';
import { getProductStock, setStock } from '../../domain/stock-use-cases.ts';
import {
  createCategoryBody,
  createProductBody,
  idParams,
  listProductsQuery,
  setStockBody,
  skuParams,
  slugParams,
  stockParams,
  updateProductBody,
} from './schemas.ts';

const BAD_INPUT = 'Invalid input (code VALIDATION_FAILED or FORBIDDEN_KEY)';
const ADMIN_ONLY = { 401: 'No or invalid bearer token', 403: 'Signed in without the admin role' };

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

const idOf = (body: unknown): string | undefined =>
  typeof body === 'object' && body !== null && 'id' in body && typeof body.id === 'string' ? body.id : undefined;

const itemIdsOf = (body: unknown): string[] =>
  typeof body === 'object' && body !== null && 'items' in body && Array.isArray(body.items)
    ? body.items.map(idOf).filter((id): id is string => id !== undefined)
    : [];

/** Default stale-if-error bound of every cached read (CACHE_STALE_IF_ERROR_MS). */
export const DEFAULT_STALE_IF_ERROR_MS = 10 * MINUTE;

export interface CachePolicyOptions {
  /** Stale-if-error bound of every cached read (CACHE_STALE_IF_ERROR_MS). Default DEFAULT_STALE_IF_ERROR_MS. */
  staleIfErrorMs?: number;
  /** The fast lane's index (CACHE_FAST_LANE=on): fresh answers sent before Express. Default: none. */
  fastHits?: FastHits;
  /** The record of the listings' edge keys (createEdgeKeys), when nginx's edge cache is purged from here. Default: none (the edge does not store listings). */
  edgeKeys?: EdgeKeys;
  /** The record of the product pages' edge keys, likewise. Default: none (the edge does not store product pages). */
  productEdgeKeys?: EdgeKeys;
}

/**
 * Response caching per read. Lifetimes are short enough that a missed invalidation heals by
 * itself; stale-if-error keeps reads answering through a database outage, for `staleIfErrorMs`
 * past an entry's fresh life (then the read answers 503).
 */
function cachePolicies(cache: Cache, { staleIfErrorMs = DEFAULT_STALE_IF_ERROR_MS, fastHits, edgeKeys, productEdgeKeys }: CachePolicyOptions) {
  const cached = (ttl: number, tags: (req: Request, body: unknown) => string[], edge?: EdgeKeys) =>
    httpCache({ cache, namespace: 'catalog', ttl, staleWhileRevalidate: ttl, staleIfError: staleIfErrorMs, tags, fastHits, edgeKeys: edge });
  return {
    categories: cached(5 * MINUTE, () => [CATEGORIES]),
    // A listing depends on every product it shows, and on the set of products as a whole. The
    // edge may hold it under the raw URL it was asked with: its keys are recorded for the purge.
    productList: cached(30 * SECOND, (_req, body) => [PRODUCT_LISTS, ...itemIdsOf(body).map(productTag)], edgeKeys),
    // The edge may hold a product page: its keys are recorded too, so that a worker that did not
    // make a change purges only the pages it answered itself (the writer purges by path).
    product: cached(
      MINUTE,
      (_req, body) => {
        const id = idOf(body);
        return id ? [productTag(id)] : [];
      },
      productEdgeKeys,
    ),
    stock: cached(10 * SECOND, (req) => [stockTag(String(req.params.id))]),
  };
}

/** Every catalog operation. Handlers only translate HTTP to a use case call and back. */
export function catalogRoutes(store: CatalogStore, cache: Cache, cacheOptions: CachePolicyOptions = {}): AnyApiRoute[] {
  const policy = cachePolicies(cache, cacheOptions);
  const invalidate = (tags: string[]): Promise<void> => cache.invalidateTags(tags);
  return [
    apiRoute({
      method: 'get',
      path: '/categories',
      operationId: 'listCategories',
      summary: 'All categories, by name',
      tags: ['categories'],
      before: [policy.categories],
      schemas: {},
      responses: { 200: 'Categories', 304: 'Not modified (If-None-Match)' },
      handler: async (_input, _req, res) => {
        res.json({ items: await listCategories(store) });
      },
    }),
    apiRoute({
      method: 'get',
      path: '/categories/:slug',
      operationId: 'getCategory',
      summary: 'One category by slug',
      tags: ['categories'],
      before: [policy.categories],
      schemas: { params: slugParams },
      responses: { 200: 'The category', 304: 'Not modified (If-None-Match)', 400: BAD_INPUT, 404: 'No such category' },
      handler: async ({ params }, _req, res) => {
        res.json(await getCategory(store, params.slug));
      },
    }),
    apiRoute({
      method: 'post',
      path: '/categories',
      operationId: 'createCategory',
      summary: 'Create a category (admin)',
      tags: ['categories'],
      roles: ['admin'],
      schemas: { body: createCategoryBody },
      responses: { 201: 'Created', 400: BAD_INPUT, ...ADMIN_ONLY, 409: 'Slug already used', 422: 'Unknown parent' },
      handler: async ({ body }, _req, res) => {
        res.status(201).json(await createCategory(store, body, invalidate));
      },
    }),
    apiRoute({
      method: 'get',
      path: '/products',
      operationId: 'listProducts',
      summary: 'Products, filtered, sorted and paginated (limit capped at 100)',
      tags: ['products'],
      before: [policy.productList],
      schemas: { query: listProductsQuery },
      responses: { 200: 'A page of product summaries', 304: 'Not modified (If-None-Match)', 400: BAD_INPUT },
      handler: async ({ query }, _req, res) => {
        res.json(
          await listProducts(store, {
            category: query.category,
            brand: query.brand,
            minPriceCents: query.minPrice,
            maxPriceCents: query.maxPrice,
            inStock: query.inStock,
            sort: query.sort,
            page: query.page,
            limit: query.limit,
          }),
        );
      },
    }),
    apiRoute({
      method: 'get',
      path: '/products/sku/:sku',
      operationId: 'getProductBySku',
      summary: 'One product by SKU',
      tags: ['products'],
      before: [policy.product],
      schemas: { params: skuParams },
      responses: { 200: 'The product', 304: 'Not modified (If-None-Match)', 400: BAD_INPUT, 404: 'No such product' },
      handler: async ({ params }, _req, res) => {
        res.json(await getProductBySku(store, params.sku));
      },
    }),
    apiRoute({
      method: 'get',
      path: '/products/:id',
      operationId: 'getProduct',
      summary: 'One product by id',
      tags: ['products'],
      before: [policy.product],
      schemas: { params: idParams },
      responses: { 200: 'The product', 304: 'Not modified (If-None-Match)', 400: BAD_INPUT, 404: 'No such product' },
      handler: async ({ params }, _req, res) => {
        res.json(await getProduct(store, params.id));
      },
    }),
    apiRoute({
      method: 'post',
      path: '/products',
      operationId: 'createProduct',
      summary: 'Create a product (admin)',
      tags: ['products'],
      roles: ['admin'],
      schemas: { body: createProductBody },
      responses: { 201: 'Created', 400: BAD_INPUT, ...ADMIN_ONLY, 409: 'SKU already used', 422: 'Unknown category' },
      handler: async ({ body }, _req, res) => {
        const product = await createProduct(store, body, invalidate);
        res.status(201).location(`products/${product.id}`).json(product);
      },
    }),
    apiRoute({
      method: 'patch',
      path: '/products/:id',
      operationId: 'updateProduct',
      summary: 'Change some fields of a product (admin)',
      tags: ['products'],
      roles: ['admin'],
      schemas: { params: idParams, body: updateProductBody },
      responses: {
        200: 'Updated',
        400: BAD_INPUT,
        ...ADMIN_ONLY,
        404: 'No such product',
        409: 'SKU already used',
        422: 'Unknown category',
      },
      handler: async ({ params, body }, _req, res) => {
        res.json(await updateProduct(store, params.id, body, invalidate));
      },
    }),
    apiRoute({
      method: 'delete',
      path: '/products/:id',
      operationId: 'deleteProduct',
      summary: 'Delete a product and its stock (admin)',
      tags: ['products'],
      roles: ['admin'],
      schemas: { params: idParams },
      responses: { 204: 'Deleted', 400: BAD_INPUT, ...ADMIN_ONLY, 404: 'No such product' },
      handler: async ({ params }, _req, res) => {
        await deleteProduct(store, params.id, invalidate);
        res.status(204).end();
      },
    }),
    apiRoute({
      method: 'get',
      path: '/products/:id/stock',
      operationId: 'getProductStock',
      summary: 'Stock per warehouse for a product',
      tags: ['stock'],
      before: [policy.stock],
      schemas: { params: idParams },
      responses: { 200: 'Stock levels', 304: 'Not modified (If-None-Match)', 400: BAD_INPUT, 404: 'No such product' },
      handler: async ({ params }, _req, res) => {
        res.json(await getProductStock(store, params.id));
      },
    }),
    apiRoute({
      method: 'put',
      path: '/products/:id/stock/:warehouse',
      operationId: 'setStock',
      summary: 'Set the quantity held in one warehouse (admin)',
      tags: ['stock'],
      roles: ['admin'],
      schemas: { params: stockParams, body: setStockBody },
      responses: { 200: 'The new level', 400: BAD_INPUT, ...ADMIN_ONLY, 404: 'No such product' },
      handler: async ({ params, body }, _req, res) => {
        res.json(await setStock(store, params.id, params.warehouse, body.quantity, invalidate));
      },
    }),
  ];
}
