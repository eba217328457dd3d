import { objectIdString, text, textCharacterSource } from '@shop/service-kit';
import { z } from 'zod';
import { PRODUCT_SORTS } from '../../domain/types.ts';

/** Largest page a client can ask for; bigger `limit`s are capped, not rejected. */
export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 500;

const slug = z.string().trim().min(1).max(80).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug (a-z, 0-9, -)');
const sku = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');
const categoryRef = z.union([objectIdString, slug]);
const money = z.number().int('must be whole cents').min(0).max(100_000_000);
const attributeKey = z.string().min(1).max(40).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an identifier');
const attributeValue = z.union([text({ max: 200 }), z.number().finite(), z.boolean()]);
/** A URL character: text (no controls, lone surrogates or noncharacters) and not whitespace. */
const urlCharacter = textCharacterSource({ alsoRefused: '\\s' });
const urlFirstCharacter = textCharacterSource({ alsoRefused: '\\s/' });
/**
 * `https://host…` or a site path `/…` (not `//…`), kept as sent (a URL is not normalized). Each
 * part is one quantified run whose end is fixed, so a long non-match fails in linear time.
 */
const imageUrl = new RegExp(`^(?:https://${urlFirstCharacter}${urlCharacter}*|/(?:${urlFirstCharacter}${urlCharacter}*)?)$`, 'u');
const image = z.strictObject({
  url: z.string().max(500).regex(imageUrl, 'must be an https URL or a site path starting with one "/", without whitespace or control characters'),
  alt: text({ max: 200 }).default(''),
});
const queryInt = (name: string) =>
  z
    .string()
    .regex(/^\d{1,12}$/, `${name} must be a non-negative integer`)
    .transform(Number);
const queryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const idParams = z.strictObject({ id: objectIdString });
export const skuParams = z.strictObject({ sku });
export const slugParams = z.strictObject({ slug });
export const stockParams = z.strictObject({
  id: objectIdString,
  warehouse: z.string().min(1).max(40).regex(/^[a-z0-9-]+$/, 'must be a lowercase warehouse code'),
});

export const listProductsQuery = z.strictObject({
  category: slug.optional(),
  brand: text({ min: 1, max: 80, trim: true }).optional(),
  minPrice: queryInt('minPrice').optional(),
  maxPrice: queryInt('maxPrice').optional(),
  inStock: queryBool.optional(),
  sort: z.enum(PRODUCT_SORTS).default('popularity'),
  page: queryInt('page')
    .pipe(z.number().min(1).max(MAX_PAGE))
    .default(1),
  limit: queryInt('limit')
    .pipe(z.number().min(1))
    .transform((n) => Math.min(n, MAX_PAGE_SIZE))
    .default(20),
});

export const createCategoryBody = z.strictObject({
  slug,
  name: text({ min: 1, max: 120, trim: true }),
  parent: slug.optional(),
});

const productFields = {
  sku,
  name: text({ min: 1, max: 200, trim: true }),
  description: text({ max: 5000, multiline: true }),
  brand: text({ min: 1, max: 80, trim: true }),
  category: categoryRef,
  priceCents: money,
  currency: z.enum(['USD', 'EUR', 'GBP']),
  attributes: z.record(attributeKey, attributeValue).refine((r) => Object.keys(r).length <= 50, 'at most 50 attributes'),
  images: z.array(image).max(10),
  rating: z.strictObject({ average: z.number().min(0).max(5), count: z.number().int().min(0) }),
  popularity: z.number().min(0).max(1e12),
};

export const createProductBody = z.strictObject({
  ...productFields,
  description: productFields.description.default(''),
  currency: productFields.currency.default('USD'),
  attributes: productFields.attributes.default({}),
  images: productFields.images.default([]),
  rating: productFields.rating.default({ average: 0, count: 0 }),
  popularity: productFields.popularity.default(0),
});

export const updateProductBody = z
  .strictObject(productFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');

export const setStockBody = z.strictObject({ quantity: z.number().int().min(0).max(1_000_000_000) });
