import type { ShopModels } from '@shop/db';
import type { CatalogStore } from '../domain/ports.ts';
import { categoryRepository } from './category-repository.ts';
import { productRepository } from './product-repository.ts';
import { stockRepository } from './stock-repository.ts';

/** The MongoDB implementation of everything the catalog use cases need. */
export function mongoCatalogStore(models: ShopModels): CatalogStore {
  return {
    categories: categoryRepository(models),
    products: productRepository(models),
    stock: stockRepository(models),
  };
}
