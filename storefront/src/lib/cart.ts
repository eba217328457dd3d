/** The cart: plain data and pure functions; app.ts keeps it in localStorage. */
import { OBJECT_ID } from './ids.ts';

/** The order API's limits (services/order schemas): more is refused there, so never sent. */
export const MAX_QUANTITY = 1_000;
export const MAX_LINES = 100;

export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  quantity: number;
  /** Stock when last seen (the order API decides; this only bounds the quantity input). */
  available: number;
}

export interface Cart {
  lines: CartLine[];
}

export const emptyCart = (): Cart => ({ lines: [] });

export type CartItem = Omit<CartLine, 'quantity'>;

export interface AddResult {
  cart: Cart;
  /** How many were added (less than asked when capped by stock or the per-line limit). */
  added: number;
}

/** A whole, non-negative count; anything else (NaN, Infinity, negative) is 0. */
const count = (n: number): number => (Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0);
const limitFor = (available: number): number => Math.min(MAX_QUANTITY, count(available));

export function addToCart(cart: Cart, item: CartItem, quantity: number): AddResult {
  const wanted = count(quantity);
  const existing = cart.lines.find((line) => line.productId === item.productId);
  if (!existing && cart.lines.length >= MAX_LINES) return { cart, added: 0 };
  const before = existing?.quantity ?? 0;
  const after = Math.min(before + wanted, limitFor(item.available));
  const added = Math.max(0, after - before);
  if (added === 0) return { cart, added: 0 };
  const line: CartLine = { ...item, quantity: after };
  const lines = existing ? cart.lines.map((l) => (l === existing ? line : l)) : [...cart.lines, line];
  return { cart: { lines }, added };
}

/** Sets a line's quantity (0 removes it), capped by what was available. */
export function setQuantity(cart: Cart, productId: string, quantity: number): Cart {
  const lines = cart.lines
    .map((line) => (line.productId === productId ? { ...line, quantity: Math.min(count(quantity), limitFor(line.available)) } : line))
    .filter((line) => line.quantity > 0);
  return { lines };
}

export const removeLine = (cart: Cart, productId: string): Cart => ({ lines: cart.lines.filter((l) => l.productId !== productId) });

export const cartCount = (cart: Cart): number => cart.lines.reduce((sum, line) => sum + line.quantity, 0);

/** Totals per currency (a cart may in principle mix them), in the order they first appear. */
export function cartTotals(cart: Cart): { currency: string; cents: number }[] {
  const totals = new Map<string, number>();
  for (const line of cart.lines) totals.set(line.currency, (totals.get(line.currency) ?? 0) + line.priceCents * line.quantity);
  return [...totals].map(([currency, cents]) => ({ currency, cents }));
}

/**
 * The body of POST /api/orders, in product-id order: equal carts (equal fingerprints) give equal
 * bodies, so a retry under the same Idempotency-Key is a replay, never IDEMPOTENCY_KEY_REUSED.
 * Prices are never sent: the order service takes them from the catalog.
 */
export const orderItems = (cart: Cart): { productId: string; quantity: number }[] =>
  cart.lines
    .map((line) => ({ productId: line.productId, quantity: line.quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));

/** Identifies the cart's content: one checkout attempt per content keeps one Idempotency-Key. */
export const cartFingerprint = (cart: Cart): string =>
  cart.lines
    .map((line) => `${line.productId}x${line.quantity}`)
    .sort()
    .join(',');


function parseLine(value: unknown): CartLine | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const ok =
    typeof v.productId === 'string' && OBJECT_ID.test(v.productId) &&
    typeof v.sku === 'string' && typeof v.name === 'string' && typeof v.currency === 'string' &&
    Number.isSafeInteger(v.priceCents) && (v.priceCents as number) >= 0 &&
    Number.isSafeInteger(v.quantity) && (v.quantity as number) >= 1 && (v.quantity as number) <= MAX_QUANTITY &&
    typeof v.available === 'number' && Number.isFinite(v.available);
  if (!ok) return null;
  return {
    productId: v.productId as string,
    sku: v.sku as string,
    name: v.name as string,
    priceCents: v.priceCents as number,
    currency: v.currency as string,
    quantity: v.quantity as number,
    available: v.available as number,
  };
}

/** A cart read back from storage: anything malformed (edited, older format) is dropped, not trusted. */
export function parseCart(json: string | null): Cart {
  if (!json) return emptyCart();
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return emptyCart();
  }
  const lines = (value as { lines?: unknown } | null)?.lines;
  if (!Array.isArray(lines)) return emptyCart();
  const seen = new Set<string>();
  const parsed: CartLine[] = [];
  for (const raw of lines.slice(0, MAX_LINES)) {
    const line = parseLine(raw);
    if (line && !seen.has(line.productId)) {
      seen.add(line.productId);
      parsed.push(line);
    }
  }
  return { lines: parsed };
}
