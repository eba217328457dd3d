import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../src/lib/api.ts';
import { describeError, type Action } from '../src/lib/messages.ts';

const ACTIONS: Action[] = ['load', 'search', 'sign-in', 'checkout', 'orders'];

const CHECKOUT_SAFE = ' Your cart is kept, and trying again will not order twice.';
const CHECKOUT_KEPT = ' Your order was not confirmed; your cart is kept, and trying again will not order twice.';

describe('describeError: no answer (status 0)', () => {
  it('when the network failed, then the shopper is told the shop could not be reached', () => {
    expect(describeError(new ApiError(0, 'NETWORK', 'fetch failed'), 'load')).toEqual({
      message: 'We could not reach the shop. Check your connection and try again.',
      retryable: true,
    });
  });

  it('when the request timed out, then the shopper is told the shop took too long', () => {
    expect(describeError(new ApiError(0, 'TIMEOUT', 'The request timed out'), 'search')).toEqual({
      message: 'The shop took too long to answer. Check your connection and try again.',
      retryable: true,
    });
  });

  it('when a checkout got no answer, then the shopper is reassured the cart is kept and no double order happens', () => {
    expect(describeError(new ApiError(0, 'NETWORK', 'fetch failed'), 'checkout')).toEqual({
      message: `We could not reach the shop. Check your connection and try again.${CHECKOUT_SAFE}`,
      retryable: true,
    });
    expect(describeError(new ApiError(0, 'TIMEOUT', 'x'), 'checkout').message).toBe(
      `The shop took too long to answer. Check your connection and try again.${CHECKOUT_SAFE}`,
    );
  });

  it('when any other action got no answer, then there is no checkout reassurance', () => {
    for (const action of ACTIONS.filter((a) => a !== 'checkout')) {
      expect(describeError(new ApiError(0, 'NETWORK', 'x'), action).message).not.toContain('order twice');
    }
  });
});

describe('describeError: rate limited (429)', () => {
  it('when Retry-After was given, then the shopper is told how many seconds to wait', () => {
    expect(describeError(new ApiError(429, 'RATE_LIMITED', 'Too many requests, slow down', { retryAfterS: 5 }), 'search')).toEqual({
      message: 'Too many requests right now. Please wait 5 seconds and try again.',
      retryable: true,
    });
  });

  it('when Retry-After is 1, then "second" is singular', () => {
    expect(describeError(new ApiError(429, 'RATE_LIMITED', 'x', { retryAfterS: 1 }), 'load').message).toBe(
      'Too many requests right now. Please wait 1 second and try again.',
    );
  });

  it('when there is no Retry-After or it is 0, then the shopper is asked to wait a few seconds', () => {
    const expected = 'Too many requests right now. Please wait a few seconds and try again.';
    expect(describeError(new ApiError(429, 'RATE_LIMITED', 'x'), 'load').message).toBe(expected);
    expect(describeError(new ApiError(429, 'RATE_LIMITED', 'x', { retryAfterS: 0 }), 'load').message).toBe(expected);
    expect(describeError(new ApiError(429, 'HTTP_429', 'Too Many Requests'), 'checkout')).toEqual({ message: expected, retryable: true });
  });
});

describe('describeError: order refusals', () => {
  const outOfStock = (details: unknown) => new ApiError(409, 'OUT_OF_STOCK', 'Not enough stock for SKU-7', { details });

  it('when a product is out of stock and the cart knows its SKU, then the message names the product and the quantity', () => {
    const names = new Map([['SKU-7', 'Blue Kettle']]);
    expect(describeError(outOfStock({ sku: 'SKU-7', requested: 3 }), 'checkout', (sku) => names.get(sku))).toEqual({
      message: 'Sorry, Blue Kettle is out of stock: we cannot reserve 3 for you. Lower the quantity or remove it from your cart, then place the order again.',
      retryable: false,
    });
  });

  it('when the lookup does not know the SKU, then the message falls back to the SKU', () => {
    expect(describeError(outOfStock({ sku: 'SKU-7', requested: 2 }), 'checkout', () => undefined).message).toBe(
      'Sorry, SKU-7 is out of stock: we cannot reserve 2 for you. Lower the quantity or remove it from your cart, then place the order again.',
    );
    expect(describeError(outOfStock({ sku: 'SKU-7', requested: 2 }), 'checkout').message).toBe(
      'Sorry, SKU-7 is out of stock: we cannot reserve 2 for you. Lower the quantity or remove it from your cart, then place the order again.',
    );
  });

  it('when the details are missing or malformed, then the message speaks of "one of the products" without a quantity', () => {
    const expected = 'Sorry, one of the products is out of stock: we cannot reserve for you. Lower the quantity or remove it from your cart, then place the order again.';
    expect(describeError(outOfStock(undefined), 'checkout').message).toBe(expected);
    expect(describeError(outOfStock({ sku: 7, requested: '3' }), 'checkout').message).toBe(expected);
    expect(describeError(outOfStock(null), 'checkout').message).toBe(expected);
  });

  it('when the lookup is asked, then it gets the SKU from the details', () => {
    const asked: string[] = [];
    describeError(outOfStock({ sku: 'SKU-42' }), 'checkout', (sku) => {
      asked.push(sku);
      return 'Lamp';
    });
    expect(asked).toEqual(['SKU-42']);
  });

  it('when the order is still being placed, then the shopper is told to look at their orders before trying again', () => {
    expect(describeError(new ApiError(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed'), 'checkout')).toEqual({
      message: 'Your order is still being placed. Check your orders in a minute before you try again.',
      retryable: true,
    });
  });

  it('when the demo sign-in answers 404 (DEMO_SIGN_IN off), then the shopper is told checkout is off here, not that a product is missing', () => {
    expect(describeError(new ApiError(404, 'ROUTE_NOT_FOUND', 'No route for POST /api/orders/demo-session'), 'sign-in')).toEqual({
      message: 'Demo sign-in is turned off on this shop, so orders cannot be placed here.',
      retryable: false,
    });
  });

  it('when a product is no longer sold, then the shopper is asked to remove it', () => {
    expect(describeError(new ApiError(422, 'UNKNOWN_PRODUCT', 'Unknown product'), 'checkout')).toEqual({
      message: 'A product in your cart is no longer sold. Remove it from your cart and place the order again.',
      retryable: false,
    });
  });
});

describe('describeError: other 4xx', () => {
  it('when the sign-in expired (401), then the shopper is asked to sign in again', () => {
    expect(describeError(new ApiError(401, 'UNAUTHENTICATED', 'The bearer token is invalid or expired'), 'checkout')).toEqual({
      message: 'Your demo sign-in has expired. Sign in again to continue.',
      retryable: false,
    });
  });

  it('when something is not found (404), then the message names an order on the orders page and a product elsewhere', () => {
    expect(describeError(new ApiError(404, 'NOT_FOUND', 'Order not found'), 'orders')).toEqual({
      message: 'We could not find that order. It may have been removed.',
      retryable: false,
    });
    expect(describeError(new ApiError(404, 'NOT_FOUND', 'Product not found'), 'load')).toEqual({
      message: 'We could not find that product. It may have been removed.',
      retryable: false,
    });
  });

  it('when another 4xx comes back, then the server message is included', () => {
    expect(describeError(new ApiError(400, 'VALIDATION_FAILED', 'Invalid query: q is too long'), 'search')).toEqual({
      message: 'The shop could not accept that search: Invalid query: q is too long.',
      retryable: false,
    });
    expect(describeError(new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key belongs to another request'), 'checkout')).toEqual({
      message: 'The shop could not accept that request: This Idempotency-Key belongs to another request.',
      retryable: false,
    });
    expect(describeError(new ApiError(403, 'FORBIDDEN', 'This action needs the admin role'), 'orders').message).toBe(
      'The shop could not accept that request: This action needs the admin role.',
    );
  });
});

describe('describeError: server failures', () => {
  it('when a gateway answer (502/503/504) has Retry-After and a request id, then both are in the message', () => {
    for (const status of [502, 503, 504]) {
      expect(describeError(new ApiError(status, `HTTP_${status}`, 'x', { retryAfterS: 5, requestId: 'req-abc' }), 'load')).toEqual({
        message: 'This part of the shop is unavailable right now. Please try again in 5 seconds. (reference req-abc)',
        retryable: true,
      });
    }
  });

  it('when a 503 has Retry-After 1 and no request id, then "1 second" is singular and there is no reference', () => {
    expect(describeError(new ApiError(503, 'DEPENDENCY_UNAVAILABLE', 'x', { retryAfterS: 1 }), 'search').message).toBe(
      'This part of the shop is unavailable right now. Please try again in 1 second.',
    );
  });

  it('when a 503 has no Retry-After, then the shopper is asked to try again in a moment', () => {
    expect(describeError(new ApiError(503, 'HTTP_503', 'Service Unavailable'), 'load').message).toBe(
      'This part of the shop is unavailable right now. Please try again in a moment.',
    );
  });

  it('when a checkout meets a 504, then the shopper is told the order was not confirmed and a retry is safe', () => {
    expect(describeError(new ApiError(504, 'HTTP_504', 'Gateway Timeout', { retryAfterS: 2, requestId: 'r-1' }), 'checkout')).toEqual({
      message: `This part of the shop is unavailable right now. Please try again in 2 seconds.${CHECKOUT_KEPT} (reference r-1)`,
      retryable: true,
    });
  });

  it('when a 500 comes back, then the status and reference are given', () => {
    expect(describeError(new ApiError(500, 'INTERNAL_ERROR', 'Internal server error', { requestId: 'req-9' }), 'load')).toEqual({
      message: 'Something went wrong on our side (error 500). Please try again. (reference req-9)',
      retryable: true,
    });
    expect(describeError(new ApiError(500, 'INTERNAL_ERROR', 'Internal server error'), 'checkout')).toEqual({
      message: `Something went wrong on our side (error 500). Please try again.${CHECKOUT_KEPT}`,
      retryable: true,
    });
  });

  it('when the failure is not an ApiError, then a generic reload message is given', () => {
    for (const error of [new TypeError("Cannot read properties of undefined (reading 'x')"), 'boom', null, undefined, { status: 500 }]) {
      expect(describeError(error, 'load')).toEqual({ message: 'Something went wrong in this page. Please reload it and try again.', retryable: true });
    }
  });
});

describe('describeError: never a code or stack trace', () => {
  const errors: unknown[] = [
    new ApiError(0, 'NETWORK', 'TypeError: fetch failed\n    at node:internal/deps/undici'),
    new ApiError(0, 'TIMEOUT', 'The request timed out'),
    new ApiError(429, 'RATE_LIMITED', 'x', { retryAfterS: 3 }),
    new ApiError(409, 'OUT_OF_STOCK', 'x', { details: { sku: 'S', requested: 1 } }),
    new ApiError(409, 'IDEMPOTENCY_IN_PROGRESS', 'x'),
    new ApiError(422, 'UNKNOWN_PRODUCT', 'x'),
    new ApiError(401, 'UNAUTHENTICATED', 'x'),
    new ApiError(404, 'NOT_FOUND', 'x'),
    new ApiError(400, 'VALIDATION_FAILED', 'Invalid body'),
    new ApiError(502, 'HTTP_502', 'Bad Gateway', { requestId: 'id-1' }),
    new ApiError(503, 'HTTP_503', 'x', { retryAfterS: 10 }),
    new ApiError(504, 'HTTP_504', 'x'),
    new ApiError(500, 'INTERNAL_ERROR', 'Error: boom\n    at handler (/srv/app.js:1:1)'),
    new ApiError(507, 'HTTP_507', 'x'),
    new Error('boom'),
    new RangeError('Invalid array length\n    at Array (<anonymous>)'),
    'a string',
  ];

  it('when any failure is described for any action, then the message has no "Error:", no stack frame, and no code alone', () => {
    let checked = 0;
    for (const error of errors) {
      for (const action of ACTIONS) {
        const { message } = describeError(error, action, () => 'Kettle');
        expect(message).not.toContain('Error:');
        expect(message).not.toMatch(/\bat\s/);
        expect(message).not.toContain('\n');
        expect(message).not.toMatch(/\b[A-Z]+_[A-Z_]+\b/);
        expect(message).toMatch(/^[A-Z].*[.)]$/);
        checked++;
      }
    }
    expect(checked).toBe(errors.length * ACTIONS.length);
  });
});
