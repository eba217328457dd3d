import type { CategoryDoc, ShopModels } from '@shop/db';
import { Types } from 'mongoose';
import type { CatalogStore } from '../domain/ports.ts';
import type { Category } from '../domain/types.ts';

type CategoryRow = Pick<CategoryDoc, '_id' | 'slug' | 'name' | 'parentId'>;
const PROJECTION = { slug: 1, name: 1, parentId: 1 } as const;

export const toCategory = (row: CategoryRow): Category => ({
  id: row._id.toHexString(),
  slug: row.slug,
  name: row.name,
  parentId: row.parentId ? row.parentId.toHexString() : null,
});

export function categoryRepository({ Category }: ShopModels): CatalogStore['categories'] {
  return {
    async list() {
      const rows = await Category.find({}, PROJECTION).sort({ name: 1 }).lean<CategoryRow[]>();
      return rows.map(toCategory);
    },
    async findBySlug(slug) {
      const row = await Category.findOne({ slug: { $eq: slug } }, PROJECTION).lean<CategoryRow>();
      return row ? toCategory(row) : null;
    },
    async findById(id) {
      const row = await Category.findById(new Types.ObjectId(id), PROJECTION).lean<CategoryRow>();
      return row ? toCategory(row) : null;
    },
    async create(input) {
      const doc = await Category.create({
        slug: input.slug,
        name: input.name,
        parentId: input.parentId ? new Types.ObjectId(input.parentId) : null,
      });
      return toCategory(doc);
    },
  };
}
