import { Schema, type Types } from 'mongoose';
import { applyIndexes, type IndexDefinition } from '../../index-definition.ts';

export interface ProductImage {
  url: string;
  alt: string;
}

export interface ProductDoc {
  _id: Types.ObjectId;
  sku: string;
  name: string;
  description: string;
  brand: string;
  categoryId: Types.ObjectId;
  /** Price in minor units (cents) so sums are exact. */
  priceCents: number;
  currency: string;
  attributes: Record<string, string | number | boolean>;
  images: ProductImage[];
  rating: { average: number; count: number };
  /** Relative demand score; the default sort of listings. */
  popularity: number;
  /** Sum of stock over all warehouses, kept in step by every stock write; serves the in-stock filter. */
  stockTotal: number;
  createdAt: Date;
  updatedAt: Date;
}

export const productIndexes: readonly IndexDefinition<ProductDoc>[] = [
  {
    name: 'sku_unique',
    key: { sku: 1 },
    options: { unique: true },
    serves: 'GET /products/sku/:sku — findOne({ sku }); enforces unique SKUs (duplicate → 409)',
  },
  {
    name: 'category_popularity',
    key: { categoryId: 1, popularity: -1, _id: 1 },
    serves: 'GET /products?category= — find({ categoryId }).sort({ popularity: -1, _id: 1 }) (default listing)',
  },
  {
    name: 'category_price',
    key: { categoryId: 1, priceCents: 1, _id: 1 },
    serves: 'GET /products?category=&minPrice=&maxPrice=&sort=price — range on price within a category, sorted by price',
  },
  {
    name: 'category_created',
    key: { categoryId: 1, createdAt: -1, _id: -1 },
    serves: 'GET /products?category=&sort=newest — find({ categoryId }).sort({ createdAt: -1, _id: -1 })',
  },
  {
    name: 'brand_created',
    key: { brand: 1, createdAt: -1, _id: -1 },
    serves: 'GET /products?brand=&sort=newest — find({ brand }).sort({ createdAt: -1, _id: -1 })',
  },
  {
    name: 'brand_popularity',
    key: { brand: 1, popularity: -1, _id: 1 },
    serves: 'GET /products?brand= — find({ brand }).sort({ popularity: -1, _id: 1 }) (default sort within a brand)',
  },
  {
    name: 'brand_price',
    key: { brand: 1, priceCents: 1, _id: 1 },
    serves: 'GET /products?brand=&sort=price — find({ brand, priceCents range }).sort({ priceCents: 1 })',
  },
  {
    name: 'popularity',
    key: { popularity: -1, _id: 1 },
    serves: 'GET /products — unfiltered listing sorted by popularity (storefront home)',
  },
  {
    name: 'price',
    key: { priceCents: 1, _id: 1 },
    serves: 'GET /products?sort=price|-price&minPrice=&maxPrice= — unfiltered price sort and range',
  },
  {
    name: 'created',
    key: { createdAt: -1, _id: -1 },
    serves: 'GET /products?sort=newest — find().sort({ createdAt: -1 })',
  },
  {
    name: 'updated',
    key: { updatedAt: 1, _id: 1 },
    serves: 'search index poll — find({ updatedAt: { $gte: watermark } }).sort({ updatedAt: 1, _id: 1 }) (products changed since)',
  },
];

const imageSchema = new Schema<ProductImage>(
  { url: { type: String, required: true }, alt: { type: String, default: '' } },
  { _id: false },
);

export const productSchema = new Schema<ProductDoc>(
  {
    sku: { type: String, required: true, trim: true, maxlength: 64 },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    description: { type: String, default: '', maxlength: 5000 },
    brand: { type: String, required: true, trim: true, maxlength: 80 },
    categoryId: { type: Schema.Types.ObjectId, required: true },
    priceCents: { type: Number, required: true, min: 0 },
    currency: { type: String, default: 'USD' },
    attributes: { type: Schema.Types.Mixed, default: () => ({}) },
    images: { type: [imageSchema], default: [] },
    rating: {
      average: { type: Number, default: 0, min: 0, max: 5 },
      count: { type: Number, default: 0, min: 0 },
    },
    popularity: { type: Number, default: 0, min: 0 },
    stockTotal: { type: Number, default: 0, min: 0 },
  },
  { collection: 'products', timestamps: true, autoIndex: false, strict: 'throw', versionKey: false, minimize: false },
);
applyIndexes(productSchema, productIndexes);
