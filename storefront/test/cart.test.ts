import { describe, expect, it } from '@jest/globals';
import {
  addToCart,
  cartCount,
  cartFingerprint,
  cartTotals,
  emptyCart,
  MAX_LINES,
  MAX_QUANTITY,
  orderItems,
  parseCart,
  removeLine,
  setQuantity,
  type Cart,
  type CartItem,
  type CartLine,
} from '../src/lib/cart.ts';

/** A 24-hex product id made from a small number, so tests can make many distinct ones. */
const pid = (n: number): string => n.toString(16).padStart(24, '0');

const item = (n: number, overrides: Partial<CartItem> = {}): CartItem => ({
  productId: pid(n),
  sku: `SKU-${n}`,
  name: `Product ${n}`,
  priceCents: 1_000 + n,
  currency: 'USD',
  available: 50,
  ...overrides,
});

const line = (n: number, quantity: number, overrides: Partial<CartItem> = {}): CartLine => ({ ...item(n, overrides), quantity });

const cartOf = (...lines: CartLine[]): Cart => ({ lines });

describe('addToCart', () => {
  it('when a product is added to an empty cart, then the cart holds one line with that quantity', () => {
    const { cart, added } = addToCart(emptyCart(), item(1), 3);
    expect(added).toBe(3);
    expect(cart).toEqual({ lines: [line(1, 3)] });
  });

  it('when the same product is added twice, then one line holds the sum', () => {
    const first = addToCart(emptyCart(), item(1), 2);
    const second = addToCart(first.cart, item(1), 5);
    expect(second.added).toBe(5);
    expect(second.cart.lines).toEqual([line(1, 7)]);
  });

  it('when a second product is added, then it is appended after the first', () => {
    const first = addToCart(emptyCart(), item(1), 1);
    const second = addToCart(first.cart, item(2), 4);
    expect(second.cart.lines.map((l) => [l.productId, l.quantity])).toEqual([
      [pid(1), 1],
      [pid(2), 4],
    ]);
  });

  it('when more than is available is asked for, then the line is capped at available and added says how many', () => {
    const { cart, added } = addToCart(emptyCart(), item(1, { available: 4 }), 10);
    expect(added).toBe(4);
    expect(cart.lines[0]!.quantity).toBe(4);
  });

  it('when a line is already near the stock, then only the remainder is added', () => {
    const first = addToCart(emptyCart(), item(1, { available: 5 }), 3);
    const second = addToCart(first.cart, item(1, { available: 5 }), 10);
    expect(second.added).toBe(2);
    expect(second.cart.lines[0]!.quantity).toBe(5);
  });

  it('when the line already holds all that is available, then nothing is added and the same cart comes back', () => {
    const first = addToCart(emptyCart(), item(1, { available: 2 }), 2);
    const second = addToCart(first.cart, item(1, { available: 2 }), 1);
    expect(second.added).toBe(0);
    expect(second.cart).toBe(first.cart);
  });

  it('when stock is larger than MAX_QUANTITY, then the line is capped at MAX_QUANTITY', () => {
    const { cart, added } = addToCart(emptyCart(), item(1, { available: 5_000 }), 2_500);
    expect(MAX_QUANTITY).toBe(1_000);
    expect(added).toBe(1_000);
    expect(cart.lines[0]!.quantity).toBe(1_000);
  });

  it('when a line at MAX_QUANTITY gets more, then nothing is added', () => {
    const first = addToCart(emptyCart(), item(1, { available: 5_000 }), 1_000);
    const second = addToCart(first.cart, item(1, { available: 5_000 }), 1);
    expect(second.added).toBe(0);
    expect(second.cart.lines[0]!.quantity).toBe(1_000);
  });

  it('when the product is out of stock, then nothing is added and no line is created', () => {
    const cart = emptyCart();
    const result = addToCart(cart, item(1, { available: 0 }), 3);
    expect(result.added).toBe(0);
    expect(result.cart).toBe(cart);
    expect(result.cart.lines).toEqual([]);
  });

  it('when available is fractional, then it is floored', () => {
    const { added } = addToCart(emptyCart(), item(1, { available: 3.9 }), 10);
    expect(added).toBe(3);
  });

  it('when the quantity is zero, negative or fractional, then it is floored and never below zero', () => {
    expect(addToCart(emptyCart(), item(1), 0).added).toBe(0);
    expect(addToCart(emptyCart(), item(1), -5).added).toBe(0);
    expect(addToCart(emptyCart(), item(1), -5).cart.lines).toEqual([]);
    expect(addToCart(emptyCart(), item(1), 2.7).added).toBe(2);
  });

  it('when the quantity is not a number (NaN), then nothing is added and no line is created', () => {
    const cart = emptyCart();
    const result = addToCart(cart, item(1), Number.NaN);
    expect(result.added).toBe(0);
    expect(result.cart.lines).toEqual([]);
  });

  it('when the cart holds MAX_LINES products, then a new product is refused', () => {
    let cart = emptyCart();
    for (let n = 1; n <= MAX_LINES; n++) cart = addToCart(cart, item(n), 1).cart;
    expect(MAX_LINES).toBe(100);
    expect(cart.lines).toHaveLength(100);
    const refused = addToCart(cart, item(MAX_LINES + 1), 1);
    expect(refused.added).toBe(0);
    expect(refused.cart).toBe(cart);
    expect(refused.cart.lines).toHaveLength(100);
  });

  it('when the cart holds MAX_LINES products, then more of a product already in it can still be added', () => {
    let cart = emptyCart();
    for (let n = 1; n <= MAX_LINES; n++) cart = addToCart(cart, item(n), 1).cart;
    const more = addToCart(cart, item(7), 2);
    expect(more.added).toBe(2);
    expect(more.cart.lines).toHaveLength(100);
    expect(more.cart.lines.find((l) => l.productId === pid(7))!.quantity).toBe(3);
  });

  it('when a product is added, then the original cart is not modified', () => {
    const original = cartOf(line(1, 1));
    const snapshot = structuredClone(original);
    addToCart(original, item(1), 2);
    addToCart(original, item(2), 2);
    expect(original).toEqual(snapshot);
  });

  it('when a product is added again with a new price and stock, then the line takes the newest details', () => {
    const first = addToCart(emptyCart(), item(1, { priceCents: 500, available: 10 }), 1);
    const second = addToCart(first.cart, item(1, { priceCents: 450, name: 'Renamed', available: 20 }), 1);
    expect(second.cart.lines).toEqual([{ ...item(1, { priceCents: 450, name: 'Renamed', available: 20 }), quantity: 2 }]);
  });
});

describe('setQuantity', () => {
  it('when a quantity is set, then only that line changes', () => {
    const cart = setQuantity(cartOf(line(1, 1), line(2, 2)), pid(2), 6);
    expect(cart.lines.map((l) => l.quantity)).toEqual([1, 6]);
  });

  it('when the quantity is set to 0, then the line is removed', () => {
    const cart = setQuantity(cartOf(line(1, 1), line(2, 2)), pid(1), 0);
    expect(cart.lines.map((l) => l.productId)).toEqual([pid(2)]);
  });

  it('when a negative quantity is set, then the line is removed', () => {
    expect(setQuantity(cartOf(line(1, 3)), pid(1), -2).lines).toEqual([]);
  });

  it('when more than is available is set, then the quantity is capped at available', () => {
    const cart = setQuantity(cartOf(line(1, 1, { available: 8 })), pid(1), 20);
    expect(cart.lines[0]!.quantity).toBe(8);
  });

  it('when more than MAX_QUANTITY is set, then the quantity is capped at MAX_QUANTITY', () => {
    const cart = setQuantity(cartOf(line(1, 1, { available: 10_000 })), pid(1), 4_000);
    expect(cart.lines[0]!.quantity).toBe(MAX_QUANTITY);
  });

  it('when a fractional quantity is set, then it is floored', () => {
    expect(setQuantity(cartOf(line(1, 1)), pid(1), 4.8).lines[0]!.quantity).toBe(4);
  });

  it('when the product is not in the cart, then the lines are unchanged', () => {
    const cart = cartOf(line(1, 1), line(2, 2));
    expect(setQuantity(cart, pid(9), 5)).toEqual(cart);
  });

  it('when a quantity is set, then the original cart is not modified', () => {
    const original = cartOf(line(1, 1));
    setQuantity(original, pid(1), 9);
    expect(original.lines[0]!.quantity).toBe(1);
  });
});

describe('removeLine, cartCount, cartTotals, orderItems', () => {
  it('when a line is removed, then the other lines stay in order', () => {
    const cart = removeLine(cartOf(line(1, 1), line(2, 2), line(3, 3)), pid(2));
    expect(cart.lines.map((l) => l.productId)).toEqual([pid(1), pid(3)]);
  });

  it('when an unknown line is removed, then nothing changes', () => {
    expect(removeLine(cartOf(line(1, 1)), pid(5)).lines).toEqual([line(1, 1)]);
  });

  it('when the cart has several lines, then cartCount is the sum of quantities', () => {
    expect(cartCount(cartOf(line(1, 2), line(2, 3), line(3, 10)))).toBe(15);
    expect(cartCount(emptyCart())).toBe(0);
  });

  it('when lines are in one currency, then there is one total of price times quantity', () => {
    const cart = cartOf(line(1, 2, { priceCents: 1_999 }), line(2, 3, { priceCents: 500 }));
    expect(cartTotals(cart)).toEqual([{ currency: 'USD', cents: 5_498 }]);
  });

  it('when lines mix currencies, then there is one total per currency in order of first appearance', () => {
    const cart = cartOf(
      line(1, 1, { priceCents: 1_000, currency: 'EUR' }),
      line(2, 2, { priceCents: 300, currency: 'USD' }),
      line(3, 3, { priceCents: 100, currency: 'EUR' }),
    );
    expect(cartTotals(cart)).toEqual([
      { currency: 'EUR', cents: 1_300 },
      { currency: 'USD', cents: 600 },
    ]);
  });

  it('when the cart is empty, then there are no totals', () => {
    expect(cartTotals(emptyCart())).toEqual([]);
  });

  it('when order items are built, then they carry only product ids and quantities, never prices', () => {
    const items = orderItems(cartOf(line(1, 2), line(2, 5)));
    expect(items).toEqual([
      { productId: pid(1), quantity: 2 },
      { productId: pid(2), quantity: 5 },
    ]);
  });

  it('when two carts hold the same lines in a different order, then their order bodies are identical (a retry under one key is a replay)', () => {
    const a = orderItems(cartOf(line(3, 1), line(1, 2), line(2, 5)));
    const b = orderItems(cartOf(line(2, 5), line(3, 1), line(1, 2)));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.map((i) => i.productId)).toEqual([pid(1), pid(2), pid(3)]);
  });
});

describe('cartFingerprint', () => {
  it('when the same lines are in a different order, then the fingerprint is the same', () => {
    const a = cartOf(line(1, 2), line(2, 3), line(3, 1));
    const b = cartOf(line(3, 1), line(1, 2), line(2, 3));
    expect(cartFingerprint(a)).toBe(cartFingerprint(b));
    expect(cartFingerprint(a)).toBe(`${pid(1)}x2,${pid(2)}x3,${pid(3)}x1`);
  });

  it('when a quantity changes, then the fingerprint changes', () => {
    expect(cartFingerprint(cartOf(line(1, 2)))).not.toBe(cartFingerprint(cartOf(line(1, 3))));
  });

  it('when a product changes, then the fingerprint changes', () => {
    expect(cartFingerprint(cartOf(line(1, 2)))).not.toBe(cartFingerprint(cartOf(line(2, 2))));
  });

  it('when only the price or name changes, then the fingerprint is the same (the service prices the order)', () => {
    expect(cartFingerprint(cartOf(line(1, 2, { priceCents: 1 })))).toBe(cartFingerprint(cartOf(line(1, 2, { priceCents: 2, name: 'Other' }))));
  });

  it('when the cart is empty, then the fingerprint is the empty string', () => {
    expect(cartFingerprint(emptyCart())).toBe('');
  });
});

describe('parseCart', () => {
  it('when a valid stored cart is read, then it comes back equal', () => {
    const cart = cartOf(line(1, 2), line(2, 1, { currency: 'EUR', available: 0 }));
    expect(parseCart(JSON.stringify(cart))).toEqual(cart);
  });

  it('when nothing is stored, then the cart is empty', () => {
    expect(parseCart(null)).toEqual({ lines: [] });
    expect(parseCart('')).toEqual({ lines: [] });
  });

  it('when the stored text is not JSON, then the cart is empty', () => {
    expect(parseCart('{"lines": [')).toEqual({ lines: [] });
    expect(parseCart('not json')).toEqual({ lines: [] });
  });

  it('when the JSON has no lines array, then the cart is empty', () => {
    expect(parseCart('null')).toEqual({ lines: [] });
    expect(parseCart('42')).toEqual({ lines: [] });
    expect(parseCart('[]')).toEqual({ lines: [] });
    expect(parseCart('{"lines": {"0": 1}}')).toEqual({ lines: [] });
    expect(parseCart('{}')).toEqual({ lines: [] });
  });

  it('when a line is malformed, then only that line is dropped', () => {
    const good = line(1, 2);
    const bad: unknown[] = [
      null,
      'line',
      7,
      { ...line(2, 1), productId: 'not-an-object-id' },
      { ...line(3, 1), productId: pid(3).toUpperCase().replace(/0/g, 'A') },
      { ...line(4, 1), sku: 4 },
      { ...line(5, 1), name: undefined },
      { ...line(6, 1), currency: null },
      { ...line(7, 1), priceCents: -1 },
      { ...line(8, 1), priceCents: 10.5 },
      { ...line(9, 1), priceCents: '100' },
      { ...line(10, 1), quantity: 0 },
      { ...line(11, 1), quantity: MAX_QUANTITY + 1 },
      { ...line(12, 1), quantity: 1.5 },
      { ...line(13, 1), quantity: '2' },
      { ...line(14, 1), available: '5' },
      { ...line(15, 1), available: null },
    ];
    const parsed = parseCart(JSON.stringify({ lines: [...bad, good] }));
    expect(parsed).toEqual({ lines: [good] });
  });

  it('when a line has extra fields, then they are not kept', () => {
    const parsed = parseCart(JSON.stringify({ lines: [{ ...line(1, 2), discount: 50, note: 'x' }] }));
    expect(parsed.lines).toEqual([line(1, 2)]);
    expect(Object.keys(parsed.lines[0]!).sort()).toEqual(['available', 'currency', 'name', 'priceCents', 'productId', 'quantity', 'sku']);
  });

  it('when a product appears twice, then the first line is kept and the duplicate dropped', () => {
    const parsed = parseCart(JSON.stringify({ lines: [line(1, 2), line(2, 1), line(1, 9)] }));
    expect(parsed.lines).toEqual([line(1, 2), line(2, 1)]);
  });

  it('when the first copy of a product is malformed, then a later valid copy is kept', () => {
    const parsed = parseCart(JSON.stringify({ lines: [{ ...line(1, 2), quantity: -1 }, line(1, 3)] }));
    expect(parsed.lines).toEqual([line(1, 3)]);
  });

  it('when a line was edited to quantity MAX_QUANTITY, then it is still accepted', () => {
    expect(parseCart(JSON.stringify({ lines: [line(1, MAX_QUANTITY)] })).lines).toEqual([line(1, MAX_QUANTITY)]);
  });

  it('when more than MAX_LINES lines are stored, then only the first MAX_LINES are read', () => {
    const lines = Array.from({ length: MAX_LINES + 20 }, (_, i) => line(i + 1, 1));
    const parsed = parseCart(JSON.stringify({ lines }));
    expect(parsed.lines).toHaveLength(MAX_LINES);
    expect(parsed.lines[0]!.productId).toBe(pid(1));
    expect(parsed.lines[MAX_LINES - 1]!.productId).toBe(pid(MAX_LINES));
  });

  it('when a cart is written and read back through JSON, then add/set results survive unchanged', () => {
    let cart = addToCart(emptyCart(), item(1), 2).cart;
    cart = addToCart(cart, item(2, { currency: 'EUR' }), 3).cart;
    cart = setQuantity(cart, pid(1), 5);
    expect(parseCart(JSON.stringify(cart))).toEqual(cart);
  });
});
