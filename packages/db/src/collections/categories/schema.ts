import { Schema, type Types } from 'mongoose';
import { applyIndexes, type IndexDefinition } from '../../index-definition.ts';

export interface CategoryDoc {
  _id: Types.ObjectId;
  slug: string;
  name: string;
  parentId: Types.ObjectId | null;
  createdAt: Date;
  updatedAt: Date;
}

export const categoryIndexes: readonly IndexDefinition<CategoryDoc>[] = [
  {
    name: 'slug_unique',
    key: { slug: 1 },
    options: { unique: true },
    serves: 'GET /categories/:slug — findOne({ slug }); also rejects duplicate slugs',
  },
  {
    name: 'name',
    key: { name: 1 },
    serves: 'GET /categories — find({}).sort({ name: 1 }) (the storefront menu)',
  },
];

export const categorySchema = new Schema<CategoryDoc>(
  {
    slug: { type: String, required: true, trim: true, maxlength: 80 },
    name: { type: String, required: true, trim: true, maxlength: 120 },
    parentId: { type: Schema.Types.ObjectId, default: null },
  },
  { collection: 'categories', timestamps: true, autoIndex: false, strict: 'throw', versionKey: false },
);
applyIndexes(categorySchema, categoryIndexes);
