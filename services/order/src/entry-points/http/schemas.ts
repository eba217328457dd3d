import { objectIdString } from '@shop/service-kit';
import { z } from 'zod';

const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;

export const MAX_LINES = 100;
export const MAX_QUANTITY = 1_000;
export const MAX_PAGE_SIZE = 50;

const sku = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');

const line = z
  .strictObject({
    productId: objectIdString.optional(),
    sku: sku.optional(),
    quantity: z.number().int('must be a whole number').min(1).max(MAX_QUANTITY),
  })
  .refine((l) => (l.productId === undefined) !== (l.sku === undefined), 'give exactly one of productId or sku');

export const placeOrderBody = z.strictObject({
  items: z
    .array(line)
    .min(1)
    .max(MAX_LINES)
    .refine((items) => {
      const keys = items.map((i) => i.productId ?? `sku:${i.sku}`);
      return new Set(keys).size === keys.length;
    }, 'each product may appear in one line only'),
});

/** No ":" in keys: `<customerId>:<key>` then names one (customer, key) pair only. */
export const idempotencyKey = z.string().regex(/^[A-Za-z0-9_.-]{8,100}$/, 'must be 8-100 characters of A-Z a-z 0-9 _ . -');

export const orderIdParams = z.strictObject({ id: objectIdString });

/**
 * A page cursor as the API hands them out: base64url, nothing else. (Node's base64 decoder skips
 * characters it does not know, so without this a cursor with a NUL or an ESC spliced in would
 * decode as if they were not there.) Empty reads as no cursor: the first page.
 */
const cursor = z.string().max(200).regex(/^[A-Za-z0-9_-]*$/, 'must be a cursor this API returned (base64url)');

export const listOrdersQuery = z.strictObject({
  cursor: cursor.optional(),
  limit: z
    .string()
    .regex(/^\d{1,6}$/, 'limit must be a positive integer')
    .transform(Number)
    .pipe(z.number().min(1))
    .transform((n) => Math.min(n, MAX_PAGE_SIZE))
    .default(20),
});

export const statusParams = z.strictObject({ status: z.enum(STATUSES) });

export const advanceBody = z.strictObject({ status: z.enum(['paid', 'shipped', 'delivered']) });

/** The demo sign-in takes nothing: a JSON `{}`. */
export const demoSessionBody = z.strictObject({});
