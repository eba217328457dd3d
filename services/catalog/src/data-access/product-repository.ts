import type { ProductDoc, ShopModels } from '@shop/db';
import { Types, type QueryFilter, type SortOrder } from 'mongoose';
import type { CatalogStore } from '../domain/ports.ts';
import type { Product, ProductFilter, ProductSort, ProductSummary } from '../domain/types.ts';

const SUMMARY_PROJECTION = {
  sku: 1,
  name: 1,
  brand: 1,
  categoryId: 1,
  priceCents: 1,
  currency: 1,
  images: { $slice: 1 },
  rating: 1,
  popularity: 1,
  stockTotal: 1,
} as const;

/** Each sort matches an index in packages/db (products schema); `_id` makes the order total. */
export const SORTS: Record<ProductSort, Record<string, SortOrder>> = {
  popularity: { popularity: -1, _id: 1 },
  price: { priceCents: 1, _id: 1 },
  '-price': { priceCents: -1, _id: -1 },
  newest: { createdAt: -1, _id: -1 },
};

type SummaryRow = Pick<ProductDoc, '_id' | keyof typeof SUMMARY_PROJECTION>;

const toSummary = (row: SummaryRow): ProductSummary => ({
  id: row._id.toHexString(),
  sku: row.sku,
  name: row.name,
  brand: row.brand,
  categoryId: row.categoryId.toHexString(),
  priceCents: row.priceCents,
  currency: row.currency,
  images: row.images ?? [],
  rating: row.rating,
  popularity: row.popularity,
  stockTotal: row.stockTotal,
  inStock: row.stockTotal > 0,
});

export const toProduct = (row: ProductDoc): Product => ({
  ...toSummary(row),
  description: row.description,
  attributes: row.attributes ?? {},
  createdAt: new Date(row.createdAt).toISOString(),
  updatedAt: new Date(row.updatedAt).toISOString(),
});

/** Builds the query from validated, typed values only: no client object ever reaches MongoDB. */
function toQuery(filter: ProductFilter): QueryFilter<ProductDoc> {
  const query: QueryFilter<ProductDoc> = {};
  if (filter.categoryId) query.categoryId = { $eq: new Types.ObjectId(filter.categoryId) };
  if (filter.brand) query.brand = { $eq: filter.brand };
  if (filter.minPriceCents !== undefined || filter.maxPriceCents !== undefined) {
    query.priceCents = {
      ...(filter.minPriceCents !== undefined ? { $gte: filter.minPriceCents } : {}),
      ...(filter.maxPriceCents !== undefined ? { $lte: filter.maxPriceCents } : {}),
    };
  }
  if (filter.inStock !== undefined) query.stockTotal = filter.inStock ? { $gt: 0 } : { $lte: 0 };
  return query;
}

export function productRepository({ Product }: ShopModels): CatalogStore['products'] {
  return {
    async list(filter, sort, skip, limit) {
      const rows = await Product.find(toQuery(filter), SUMMARY_PROJECTION)
        .sort(SORTS[sort])
        .skip(skip)
        .limit(limit)
        .lean<SummaryRow[]>();
      return rows.map(toSummary);
    },
    async count(filter) {
      const query = toQuery(filter);
      // An unfiltered count comes from collection metadata instead of scanning every product.
      return Object.keys(query).length === 0 ? Product.estimatedDocumentCount() : Product.countDocuments(query);
    },
    async findById(id) {
      const row = await Product.findById(new Types.ObjectId(id)).lean<ProductDoc>();
      return row ? toProduct(row) : null;
    },
    async findBySku(sku) {
      const row = await Product.findOne({ sku: { $eq: sku } }).lean<ProductDoc>();
      return row ? toProduct(row) : null;
    },
    async create(input) {
      const doc = await Product.create({ ...input, categoryId: new Types.ObjectId(input.categoryId), stockTotal: 0 });
      return toProduct(doc.toObject());
    },
    async update(id, changes) {
      const { categoryId, ...rest } = changes;
      const set = categoryId ? { ...rest, categoryId: new Types.ObjectId(categoryId) } : rest;
      const row = await Product.findByIdAndUpdate(new Types.ObjectId(id), { $set: set }, {
        returnDocument: 'after',
        runValidators: true,
      }).lean<ProductDoc>();
      return row ? toProduct(row) : null;
    },
    async delete(id) {
      const result = await Product.deleteOne({ _id: new Types.ObjectId(id) });
      return result.deletedCount === 1;
    },
    async addToStockTotal(id, delta) {
      const row = await Product.findOneAndUpdate(
        { _id: new Types.ObjectId(id) },
        { $inc: { stockTotal: delta } },
        { returnDocument: 'after', projection: { stockTotal: 1 } },
      ).lean<Pick<ProductDoc, 'stockTotal'>>();
      return row ? row.stockTotal : null;
    },
  };
}
