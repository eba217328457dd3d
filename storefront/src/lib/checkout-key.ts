/**
 * The Idempotency-Key of a checkout. One key per cart content: a retry after a timeout, a 503 or a
 * reload sends the same key, so the order service places the order at most once; a changed cart
 * gets a new key (the service would refuse the old one with a different body).
 */

export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const STORAGE_KEY = 'shop.checkout.v1';

/** 128 random bits as hex: crypto.getRandomValues works on plain http too (randomUUID does not). */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `sf-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function checkoutKey(store: KeyStore, fingerprint: string, customerId: string): string {
  try {
    const saved = JSON.parse(store.getItem(STORAGE_KEY) ?? 'null') as { fingerprint?: unknown; customerId?: unknown; key?: unknown } | null;
    if (saved && saved.fingerprint === fingerprint && saved.customerId === customerId && typeof saved.key === 'string' && /^sf-[0-9a-f]{32}$/.test(saved.key)) {
      return saved.key;
    }
  } catch {
    // Unreadable: a new key.
  }
  const key = randomKey();
  store.setItem(STORAGE_KEY, JSON.stringify({ fingerprint, customerId, key }));
  return key;
}

/** After the order is placed (or refused for good), the next checkout is a new one. */
export function forgetCheckoutKey(store: KeyStore): void {
  store.removeItem(STORAGE_KEY);
}
