import { text } from '@shop/service-kit';
import { z } from 'zod';
import { MAX_RESULT_WINDOW } from '../../domain/search-products.ts';
import { SEARCH_SORTS } from '../../domain/types.ts';

/** Longest query accepted (in UTF-16 code units, once in NFC); longer ones are answered 400 before any work. */
export const MAX_QUERY_LENGTH = 200;
export const MAX_PAGE_SIZE = 100;
export const MAX_SUGGESTIONS = 10;

const queryInt = (name: string) =>
  z
    .string()
    .regex(/^\d{1,12}$/, `${name} must be a non-negative integer`)
    .transform(Number);
const queryBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** What a shopper typed: one line of text (no control characters), kept in NFC. */
const q = text({ max: MAX_QUERY_LENGTH });

export const searchQuery = z
  .strictObject({
    q: q.default(''),
    category: z
      .string()
      .trim()
      .min(1)
      .max(80)
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a category slug (a-z, 0-9, -)')
      .optional(),
    brand: text({ min: 1, max: 80, trim: true }).optional(),
    minPrice: queryInt('minPrice').optional(),
    maxPrice: queryInt('maxPrice').optional(),
    inStock: queryBool.optional(),
    sort: z.enum(SEARCH_SORTS).optional(),
    page: queryInt('page').pipe(z.number().min(1)).default(1),
    limit: queryInt('limit').pipe(z.number().min(1).max(MAX_PAGE_SIZE)).default(20),
  })
  .refine((v) => v.minPrice === undefined || v.maxPrice === undefined || v.minPrice <= v.maxPrice, {
    message: 'minPrice must not exceed maxPrice',
    path: ['minPrice'],
  })
  .refine((v) => v.page * v.limit <= MAX_RESULT_WINDOW, {
    message: `page × limit must be at most ${MAX_RESULT_WINDOW}: narrow the search instead of paging deeper`,
    path: ['page'],
  });

export const suggestQuery = z.strictObject({
  q,
  limit: queryInt('limit').pipe(z.number().min(1).max(MAX_SUGGESTIONS)).default(5),
});
