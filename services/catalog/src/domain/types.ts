/** Catalog entities as the API and use cases see them: plain objects, ids as hex strings. */

export interface Category {
  id: string;
  slug: string;
  name: string;
  parentId: string | null;
}

export type AttributeValue = string | number | boolean;

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  brand: string;
  categoryId: string;
  priceCents: number;
  currency: string;
  attributes: Record<string, AttributeValue>;
  images: { url: string; alt: string }[];
  rating: { average: number; count: number };
  popularity: number;
  stockTotal: number;
  inStock: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What listings return: enough for a product card, no description or attributes. */
export type ProductSummary = Omit<Product, 'description' | 'attributes' | 'createdAt' | 'updatedAt'>;

export const PRODUCT_SORTS = ['popularity', 'price', '-price', 'newest'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductFilter {
  categoryId?: string;
  brand?: string;
  minPriceCents?: number;
  maxPriceCents?: number;
  inStock?: boolean;
}

export interface ProductPage {
  items: ProductSummary[];
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}

/** What an admin supplies for a new product; the rest (id, stock, timestamps) is the system's. */
export type NewProduct = Omit<Product, 'id' | 'stockTotal' | 'inStock' | 'createdAt' | 'updatedAt'>;

export type ProductChanges = Partial<NewProduct>;

export interface StockLevel {
  warehouse: string;
  quantity: number;
  updatedAt: string;
}

export interface ProductStock {
  productId: string;
  total: number;
  warehouses: StockLevel[];
}
