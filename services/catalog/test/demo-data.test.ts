import { describe, expect, it } from '@jest/globals';
import { DEMO_WAREHOUSES, generateDemoCatalog } from '../src/data-access/demo-data.ts';

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

describe('generateDemoCatalog', () => {
  describe('determinism', () => {
    it('when called twice with the same options, then the catalogs are deep-equal', () => {
      const first = generateDemoCatalog({ products: 300, seed: 7 });
      const second = generateDemoCatalog({ products: 300, seed: 7 });

      expect(second).toEqual(first);
    });

    it('when no seed is given, then it matches the default seed 42', () => {
      expect(generateDemoCatalog({ products: 50 })).toEqual(generateDemoCatalog({ products: 50, seed: 42 }));
    });

    it('when the seed differs, then the products differ', () => {
      const a = generateDemoCatalog({ products: 50, seed: 1 });
      const b = generateDemoCatalog({ products: 50, seed: 2 });

      expect(b.products).not.toEqual(a.products);
    });

    it('when asking for 50 and for 500 products, then the first 50 products are identical', () => {
      const small = generateDemoCatalog({ products: 50 });
      const large = generateDemoCatalog({ products: 500 });

      expect(large.products.slice(0, 50)).toEqual(small.products);
      const smallSkus = new Set(small.products.map((p) => p.sku));
      expect(large.stock.filter((s) => smallSkus.has(s.sku))).toEqual(small.stock);
    });
  });

  describe('products', () => {
    const catalog = generateDemoCatalog({ products: 2000 });

    it('when generating N products, then exactly N products are returned', () => {
      expect(catalog.products).toHaveLength(2000);
    });

    it('when generating products, then every sku is unique', () => {
      const skus = new Set(catalog.products.map((p) => p.sku));

      expect(skus.size).toBe(catalog.products.length);
    });

    it('when generating products, then every sku is an uppercase PREFIX-000000 id matching the sku pattern', () => {
      for (const product of catalog.products) {
        expect(product.sku).toMatch(SKU_PATTERN);
        expect(product.sku).toMatch(/^[A-Z]{3}-\d{6}$/);
      }
    });

    it('when generating products, then every price is a positive integer number of cents in USD', () => {
      for (const product of catalog.products) {
        expect(Number.isInteger(product.priceCents)).toBe(true);
        expect(product.priceCents).toBeGreaterThan(0);
        expect(product.currency).toBe('USD');
      }
    });

    it('when generating products, then every categorySlug refers to an existing category', () => {
      const slugs = new Set(catalog.categories.map((c) => c.slug));

      for (const product of catalog.products) {
        expect(slugs.has(product.categorySlug)).toBe(true);
      }
    });

    it('when generating products, then names, descriptions, brands, images and ratings are populated', () => {
      for (const product of catalog.products) {
        expect(product.name.length).toBeGreaterThan(0);
        expect(product.description.length).toBeGreaterThan(product.name.length);
        expect(product.brand.length).toBeGreaterThan(0);
        expect(product.images.length).toBeGreaterThanOrEqual(1);
        expect(product.images.length).toBeLessThanOrEqual(3);
        for (const image of product.images) {
          expect(image.url.startsWith(`/img/products/${product.sku.toLowerCase()}-`)).toBe(true);
          expect(image.alt).toBe(product.name);
        }
        expect(product.rating.average).toBeGreaterThanOrEqual(2.5);
        expect(product.rating.average).toBeLessThanOrEqual(5);
        expect(Number.isInteger(product.rating.count)).toBe(true);
      }
    });

    it('when looking at popularity, then the top 1% of products hold more than 10% of the total', () => {
      const popularity = catalog.products.map((p) => p.popularity).sort((a, b) => b - a);
      const total = popularity.reduce((sum, p) => sum + p, 0);
      const topCount = Math.ceil(popularity.length / 100);
      const top = popularity.slice(0, topCount).reduce((sum, p) => sum + p, 0);

      expect(popularity.every((p) => Number.isInteger(p) && p >= 1)).toBe(true);
      expect(top / total).toBeGreaterThan(0.1);
    });
  });

  describe('categories', () => {
    it('when generating a catalog, then categories have unique slugs and human-readable names', () => {
      const { categories } = generateDemoCatalog({ products: 10 });
      const slugs = new Set(categories.map((c) => c.slug));

      expect(categories.length).toBeGreaterThanOrEqual(10);
      expect(slugs.size).toBe(categories.length);
      for (const category of categories) {
        expect(category.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(category.name.length).toBeGreaterThan(0);
      }
    });
  });

  describe('stock', () => {
    const catalog = generateDemoCatalog({ products: 2000 });

    it('when generating stock, then it only references existing skus and known warehouses with non-negative quantities', () => {
      const skus = new Set(catalog.products.map((p) => p.sku));

      for (const entry of catalog.stock) {
        expect(skus.has(entry.sku)).toBe(true);
        expect(DEMO_WAREHOUSES).toContain(entry.warehouse);
        expect(Number.isInteger(entry.quantity)).toBe(true);
        expect(entry.quantity).toBeGreaterThanOrEqual(0);
      }
    });

    it('when generating stock, then every product is stocked in at least one warehouse without duplicates', () => {
      const warehousesBySku = new Map<string, string[]>();
      for (const entry of catalog.stock) {
        warehousesBySku.set(entry.sku, [...(warehousesBySku.get(entry.sku) ?? []), entry.warehouse]);
      }

      for (const product of catalog.products) {
        const warehouses = warehousesBySku.get(product.sku) ?? [];
        expect(warehouses.length).toBeGreaterThanOrEqual(1);
        expect(new Set(warehouses).size).toBe(warehouses.length);
      }
    });

    it('when generating 2000 products, then some are out of stock and most are in stock', () => {
      const totals = new Map<string, number>();
      for (const entry of catalog.stock) {
        totals.set(entry.sku, (totals.get(entry.sku) ?? 0) + entry.quantity);
      }
      const outOfStock = catalog.products.filter((p) => (totals.get(p.sku) ?? 0) === 0).length;

      expect(outOfStock).toBeGreaterThan(0);
      expect(outOfStock).toBeLessThan(catalog.products.length * 0.25);
    });
  });

  describe('input validation', () => {
    it('when products is 0, then an empty product list is returned', () => {
      const catalog = generateDemoCatalog({ products: 0 });

      expect(catalog.products).toEqual([]);
      expect(catalog.stock).toEqual([]);
    });

    it.each([-1, 1.5, 200001])('when products is %p, then a RangeError is thrown', (products) => {
      expect(() => generateDemoCatalog({ products })).toThrow(RangeError);
    });
  });
});
