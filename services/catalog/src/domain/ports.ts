import type {
  Category,
  NewProduct,
  Product,
  ProductChanges,
  ProductFilter,
  ProductSort,
  ProductSummary,
  StockLevel,
} from './types.ts';

/** What the catalog use cases need from storage. data-access/ implements it on MongoDB. */
export interface CatalogStore {
  categories: {
    list(): Promise<Category[]>;
    findBySlug(slug: string): Promise<Category | null>;
    findById(id: string): Promise<Category | null>;
    create(input: { slug: string; name: string; parentId: string | null }): Promise<Category>;
  };
  products: {
    list(filter: ProductFilter, sort: ProductSort, skip: number, limit: number): Promise<ProductSummary[]>;
    count(filter: ProductFilter): Promise<number>;
    findById(id: string): Promise<Product | null>;
    findBySku(sku: string): Promise<Product | null>;
    create(input: NewProduct): Promise<Product>;
    update(id: string, changes: ProductChanges): Promise<Product | null>;
    delete(id: string): Promise<boolean>;
    /** Adds `delta` to the product's stockTotal; returns the new total, or null if the product is gone. */
    addToStockTotal(id: string, delta: number): Promise<number | null>;
  };
  stock: {
    listForProduct(productId: string): Promise<StockLevel[]>;
    /** Sets the quantity and returns the previous one (0 when the row is new). */
    set(productId: string, warehouse: string, quantity: number): Promise<{ previous: number; level: StockLevel }>;
    deleteForProduct(productId: string): Promise<void>;
  };
}
