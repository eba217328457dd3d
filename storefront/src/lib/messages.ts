import { ApiError } from './api.ts';

/** What the user was doing when it failed: the words depend on it. */
export type Action = 'load' | 'search' | 'sign-in' | 'checkout' | 'orders';

export interface Described {
  message: string;
  /** Whether trying the same thing again can help (a "Try again" button is offered). */
  retryable: boolean;
}

const seconds = (n: number): string => `${n} second${n === 1 ? '' : 's'}`;

/**
 * Turns any failure into a sentence for the shopper: never a code alone, never a stack trace.
 * `productName` names a SKU from the cart (OUT_OF_STOCK carries the SKU in `details`).
 */
export function describeError(error: unknown, action: Action, productName: (sku: string) => string | undefined = () => undefined): Described {
  if (!(error instanceof ApiError)) {
    return { message: 'Something went wrong in this page. Please reload it and try again.', retryable: true };
  }
  const reference = error.requestId ? ` (reference ${error.requestId})` : '';
  if (error.status === 0) {
    const what = error.code === 'TIMEOUT' ? 'The shop took too long to answer' : 'We could not reach the shop';
    const safe = action === 'checkout' ? ' Your cart is kept, and trying again will not order twice.' : '';
    return { message: `${what}. Check your connection and try again.${safe}`, retryable: true };
  }
  if (error.status === 429) {
    const wait = error.retryAfterS && error.retryAfterS > 0 ? seconds(error.retryAfterS) : 'a few seconds';
    return { message: `Too many requests right now. Please wait ${wait} and try again.`, retryable: true };
  }
  if (error.code === 'OUT_OF_STOCK') {
    const details = (error.details ?? {}) as { sku?: unknown; requested?: unknown };
    const sku = typeof details.sku === 'string' ? details.sku : null;
    const name = sku ? (productName(sku) ?? sku) : 'one of the products';
    const requested = typeof details.requested === 'number' ? ` ${details.requested}` : '';
    return {
      message: `Sorry, ${name} is out of stock: we cannot reserve${requested} for you. Lower the quantity or remove it from your cart, then place the order again.`,
      retryable: false,
    };
  }
  if (error.code === 'IDEMPOTENCY_IN_PROGRESS') {
    return { message: 'Your order is still being placed. Check your orders in a minute before you try again.', retryable: true };
  }
  if (error.code === 'UNKNOWN_PRODUCT') {
    return { message: 'A product in your cart is no longer sold. Remove it from your cart and place the order again.', retryable: false };
  }
  if (action === 'sign-in' && error.status === 404) {
    return { message: 'Demo sign-in is turned off on this shop, so orders cannot be placed here.', retryable: false };
  }
  if (error.status === 401) {
    return { message: 'Your demo sign-in has expired. Sign in again to continue.', retryable: false };
  }
  if (error.status === 404) {
    const what = action === 'orders' ? 'that order' : 'that product';
    return { message: `We could not find ${what}. It may have been removed.`, retryable: false };
  }
  if (error.status >= 400 && error.status < 500) {
    const what = action === 'search' ? 'that search' : 'that request';
    return { message: `The shop could not accept ${what}: ${error.message}.`, retryable: false };
  }
  const kept = action === 'checkout' ? ' Your order was not confirmed; your cart is kept, and trying again will not order twice.' : '';
  if (error.status === 502 || error.status === 503 || error.status === 504) {
    const wait = error.retryAfterS && error.retryAfterS > 0 ? ` in ${seconds(error.retryAfterS)}` : ' in a moment';
    return { message: `This part of the shop is unavailable right now. Please try again${wait}.${kept}${reference}`, retryable: true };
  }
  return { message: `Something went wrong on our side (error ${error.status}). Please try again.${kept}${reference}`, retryable: true };
}
