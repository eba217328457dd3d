import type { ShopModels } from '@shop/db';
import type { Types } from 'mongoose';
import { generateDemoCatalog, type DemoStock } from './demo-data.ts';

export interface SeedOptions {
  products: number;
  seed?: number;
  /** Products written per round trip. Default 500. */
  batchSize?: number;
  /** Called after each batch with (products written so far, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  categories: number;
  products: number;
  stockRows: number;
}

/**
 * Writes the deterministic demo catalog, inserting only what is missing (keyed by slug, sku and
 * product+warehouse): running it again changes nothing, a larger N only adds, and edits made
 * since (prices, stock) are kept. Each product's stockTotal is then recomputed from its rows.
 */
export async function seedCatalog(models: ShopModels, options: SeedOptions): Promise<SeedResult> {
  const catalog = generateDemoCatalog({ products: options.products, seed: options.seed });
  const batchSize = options.batchSize ?? 500;

  await models.Category.bulkWrite(
    catalog.categories.map((category) => ({
      updateOne: {
        filter: { slug: category.slug },
        update: { $setOnInsert: { name: category.name, parentId: null } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
  const categoryRows = await models.Category.find({}, { slug: 1 }).lean<{ _id: Types.ObjectId; slug: string }[]>();
  const categoryIds = new Map(categoryRows.map((row) => [row.slug, row._id]));

  const stockBySku = new Map<string, DemoStock[]>();
  for (const row of catalog.stock) {
    const rows = stockBySku.get(row.sku) ?? [];
    rows.push(row);
    stockBySku.set(row.sku, rows);
  }

  let stockRows = 0;
  for (let start = 0; start < catalog.products.length; start += batchSize) {
    const batch = catalog.products.slice(start, start + batchSize);
    await models.Product.bulkWrite(
      batch.map(({ categorySlug, sku, ...product }) => ({
        updateOne: {
          filter: { sku },
          update: { $setOnInsert: { ...product, categoryId: categoryIds.get(categorySlug), stockTotal: 0 } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    const idRows = await models.Product.find({ sku: { $in: batch.map((p) => p.sku) } }, { sku: 1 }).lean<
      { _id: Types.ObjectId; sku: string }[]
    >();
    const stockOps = idRows.flatMap((row) =>
      (stockBySku.get(row.sku) ?? []).map((stock) => ({
        updateOne: {
          filter: { productId: row._id, warehouse: stock.warehouse },
          update: { $setOnInsert: { quantity: stock.quantity } },
          upsert: true,
        },
      })),
    );
    if (stockOps.length > 0) await models.Stock.bulkWrite(stockOps, { ordered: false });
    stockRows += stockOps.length;
    await recomputeStockTotals(models, idRows.map((row) => row._id));
    options.onProgress?.(Math.min(start + batchSize, catalog.products.length), catalog.products.length);
  }
  return { categories: catalog.categories.length, products: catalog.products.length, stockRows };
}

/** Matches a product whose stored stockTotal is on the same side of zero as `total` (`inStock` as it was). */
const sameSideOfZero = (total: number) => (total > 0 ? { stockTotal: { $gt: 0 } } : { stockTotal: { $not: { $gt: 0 } } });
/** Matches a product whose stored stockTotal is on the other side of zero (or missing): `inStock` flips. */
const otherSideOfZero = (total: number) => (total > 0 ? { stockTotal: { $not: { $gt: 0 } } } : { stockTotal: { $gt: 0 } });

/**
 * Sets each product's stockTotal to the sum of its stock rows (0 when it has none); returns them by hex id.
 * `updatedAt` moves only when the product enters or leaves stock (`inStock` flips): a count that
 * stays above zero is not an edit of what a listing or a search shows, and what follows
 * `updatedAt` (search's poll and full comparison) has nothing to read again for it. Each
 * product gets two conditional updates, of which exactly one matches; one round trip for all.
 */
export async function recomputeStockTotals(models: ShopModels, productIds: Types.ObjectId[]): Promise<Map<string, number>> {
  const sums = await models.Stock.aggregate<{ _id: Types.ObjectId; total: number }>([
    { $match: { productId: { $in: productIds } } },
    { $group: { _id: '$productId', total: { $sum: '$quantity' } } },
  ]);
  const totals = new Map(sums.map((row) => [row._id.toHexString(), row.total]));
  const result = new Map(productIds.map((id) => [id.toHexString(), totals.get(id.toHexString()) ?? 0]));
  await models.Product.bulkWrite(
    productIds.flatMap((id) => {
      const stockTotal = result.get(id.toHexString()) ?? 0;
      return [
        { updateOne: { filter: { _id: id, ...sameSideOfZero(stockTotal) }, update: { $set: { stockTotal } }, timestamps: false } },
        { updateOne: { filter: { _id: id, ...otherSideOfZero(stockTotal) }, update: { $set: { stockTotal } } } },
      ];
    }),
    { ordered: false },
  );
  return result;
}
