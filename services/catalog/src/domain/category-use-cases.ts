import { AppError, notFound } from '@shop/service-kit';
import { CATEGORIES, type InvalidateTags } from './cache-tags.ts';
import type { CatalogStore } from './ports.ts';
import type { Category } from './types.ts';

export async function listCategories(store: CatalogStore): Promise<Category[]> {
  return store.categories.list();
}

export async function getCategory(store: CatalogStore, slug: string): Promise<Category> {
  const found = await store.categories.findBySlug(slug);
  if (!found) throw notFound('Category');
  return found;
}

export async function createCategory(
  store: CatalogStore,
  input: { slug: string; name: string; parent?: string | undefined },
  invalidate: InvalidateTags,
): Promise<Category> {
  let parentId: string | null = null;
  if (input.parent) {
    const parent = await store.categories.findBySlug(input.parent);
    if (!parent) throw new AppError('UNKNOWN_CATEGORY', `Parent category "${input.parent}" does not exist`, 422);
    parentId = parent.id;
  }
  const category = await store.categories.create({ slug: input.slug, name: input.name, parentId });
  await invalidate([CATEGORIES]);
  return category;
}

const OBJECT_ID = /^[a-f0-9]{24}$/i;

/** Resolves a category given by slug or id; 422 when it does not exist. */
export async function resolveCategoryId(store: CatalogStore, slugOrId: string): Promise<string> {
  const category = OBJECT_ID.test(slugOrId)
    ? await store.categories.findById(slugOrId)
    : await store.categories.findBySlug(slugOrId);
  if (!category) throw new AppError('UNKNOWN_CATEGORY', `Category "${slugOrId}" does not exist`, 422);
  return category.id;
}
