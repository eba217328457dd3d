import { productsChangedSinceQuery, productVersionsQuery, type ProductDoc, type ShopModels } from '@shop/db';
import { Types } from 'mongoose';
import type { ProductSource } from '../domain/ports.ts';
import type { SearchableProduct } from '../domain/types.ts';

/** What search reads of a product; everything else (stock rows, full image list) stays in the catalog. */
const PROJECTION = {
  sku: 1,
  name: 1,
  description: 1,
  brand: 1,
  categoryId: 1,
  priceCents: 1,
  currency: 1,
  popularity: 1,
  rating: 1,
  stockTotal: 1,
  images: { $slice: 1 },
  attributes: 1,
  createdAt: 1,
  updatedAt: 1,
} as const;

type Row = Pick<ProductDoc, '_id' | keyof typeof PROJECTION>;

const LOAD_BATCH = 1_000;

export function toSearchable(row: Row): SearchableProduct {
  const image = row.images?.[0];
  return {
    id: row._id.toHexString(),
    sku: row.sku,
    name: row.name,
    description: row.description ?? '',
    brand: row.brand,
    categoryId: row.categoryId.toHexString(),
    priceCents: row.priceCents,
    currency: row.currency,
    popularity: row.popularity ?? 0,
    rating: { average: row.rating?.average ?? 0, count: row.rating?.count ?? 0 },
    inStock: (row.stockTotal ?? 0) > 0,
    image: image ? { url: image.url, alt: image.alt ?? '' } : null,
    attributes: row.attributes ?? {},
    createdAt: new Date(row.createdAt).getTime(),
    updatedAt: new Date(row.updatedAt).getTime(),
  };
}

/** The catalog's collections, read-only. */
export function mongoProductSource({ Product, Category }: ShopModels): ProductSource {
  return {
    async loadAll(onBatch) {
      let batch: SearchableProduct[] = [];
      for await (const row of Product.find({}, PROJECTION).lean<Row>().cursor({ batchSize: LOAD_BATCH })) {
        batch.push(toSearchable(row));
        if (batch.length === LOAD_BATCH) {
          onBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) onBatch(batch);
    },
    async byIds(ids) {
      const rows = await Product.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }, PROJECTION).lean<Row[]>();
      return rows.map(toSearchable);
    },
    async changedSince(since) {
      // Served by the products `updated` index (query shared with the hot-query registry).
      const { filter, sort } = productsChangedSinceQuery(since);
      const rows = await Product.find(filter, PROJECTION).sort(sort).lean<Row[]>();
      return rows.map(toSearchable);
    },
    count() {
      return Product.estimatedDocumentCount();
    },
    async versions() {
      // Sorted on the `updated` index, which then answers alone (covered): no product document is read.
      const { filter, sort } = productVersionsQuery();
      const rows = await Product.find(filter, { _id: 1, updatedAt: 1 }).sort(sort).lean<Pick<ProductDoc, '_id' | 'updatedAt'>[]>();
      return rows.map((row) => ({ id: row._id.toHexString(), updatedAt: new Date(row.updatedAt).getTime() }));
    },
    async categories() {
      const rows = await Category.find({}, { slug: 1, name: 1 }).lean<{ _id: Types.ObjectId; slug: string; name: string }[]>();
      return rows.map((row) => ({ id: row._id.toHexString(), slug: row.slug, name: row.name }));
    },
  };
}
