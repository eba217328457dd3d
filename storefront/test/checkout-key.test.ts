import { describe, expect, it } from '@jest/globals';
import { checkoutKey, forgetCheckoutKey, randomKey, type KeyStore } from '../src/lib/checkout-key.ts';

const STORAGE_KEY = 'shop.checkout.v1';
const KEY_FORMAT = /^sf-[0-9a-f]{32}$/;

/** A Map-backed stand-in for localStorage. */
function memoryStore(initial: Record<string, string> = {}): KeyStore & { map: Map<string, string> } {
  const map = new Map(Object.entries(initial));
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

describe('randomKey', () => {
  it('when a key is made, then it is "sf-" and 32 lowercase hex digits', () => {
    for (let i = 0; i < 50; i++) expect(randomKey()).toMatch(KEY_FORMAT);
  });

  it('when many keys are made, then they are all different', () => {
    const keys = new Set(Array.from({ length: 1_000 }, () => randomKey()));
    expect(keys.size).toBe(1_000);
  });
});

describe('checkoutKey', () => {
  it('when there is no saved key, then a new key is made and saved with its fingerprint and customer', () => {
    const store = memoryStore();
    const key = checkoutKey(store, 'p1x2', 'cust-1');
    expect(key).toMatch(KEY_FORMAT);
    expect(JSON.parse(store.map.get(STORAGE_KEY)!)).toEqual({ fingerprint: 'p1x2', customerId: 'cust-1', key });
  });

  it('when the same cart and customer check out again, then the same key comes back', () => {
    const store = memoryStore();
    const first = checkoutKey(store, 'p1x2,p2x1', 'cust-1');
    const saved = store.map.get(STORAGE_KEY);
    expect(checkoutKey(store, 'p1x2,p2x1', 'cust-1')).toBe(first);
    expect(checkoutKey(store, 'p1x2,p2x1', 'cust-1')).toBe(first);
    expect(store.map.get(STORAGE_KEY)).toBe(saved);
  });

  it('when the cart changes, then a new key is made and replaces the old one', () => {
    const store = memoryStore();
    const first = checkoutKey(store, 'p1x2', 'cust-1');
    const second = checkoutKey(store, 'p1x3', 'cust-1');
    expect(second).toMatch(KEY_FORMAT);
    expect(second).not.toBe(first);
    expect(JSON.parse(store.map.get(STORAGE_KEY)!)).toEqual({ fingerprint: 'p1x3', customerId: 'cust-1', key: second });
    // Going back to the first cart does not bring the first key back: only the latest is kept.
    expect(checkoutKey(store, 'p1x2', 'cust-1')).not.toBe(first);
  });

  it('when another customer checks out the same cart, then a new key is made', () => {
    const store = memoryStore();
    const first = checkoutKey(store, 'p1x2', 'cust-1');
    const second = checkoutKey(store, 'p1x2', 'cust-2');
    expect(second).toMatch(KEY_FORMAT);
    expect(second).not.toBe(first);
    expect(JSON.parse(store.map.get(STORAGE_KEY)!).customerId).toBe('cust-2');
  });

  it('when a saved key is found for this cart and customer, then it is used as is', () => {
    const key = `sf-${'ab'.repeat(16)}`;
    const store = memoryStore({ [STORAGE_KEY]: JSON.stringify({ fingerprint: 'f', customerId: 'c', key }) });
    expect(checkoutKey(store, 'f', 'c')).toBe(key);
  });

  it('when the stored value is garbage, then a new key is made and saved over it', () => {
    for (const garbage of ['{not json', 'null', '42', '"text"', '[]', '{}']) {
      const store = memoryStore({ [STORAGE_KEY]: garbage });
      const key = checkoutKey(store, 'f', 'c');
      expect(key).toMatch(KEY_FORMAT);
      expect(JSON.parse(store.map.get(STORAGE_KEY)!)).toEqual({ fingerprint: 'f', customerId: 'c', key });
    }
  });

  it('when the stored key has the wrong format, then it is not reused', () => {
    for (const bad of ['sf-123', `sf-${'AB'.repeat(16)}`, `xx-${'ab'.repeat(16)}`, `sf-${'ab'.repeat(16)}0`, 12345, null]) {
      const store = memoryStore({ [STORAGE_KEY]: JSON.stringify({ fingerprint: 'f', customerId: 'c', key: bad }) });
      const key = checkoutKey(store, 'f', 'c');
      expect(key).not.toBe(bad);
      expect(key).toMatch(KEY_FORMAT);
    }
  });

  it('when the key is forgotten, then the store no longer holds it and the next checkout gets a new key', () => {
    const store = memoryStore({ other: 'kept' });
    const first = checkoutKey(store, 'f', 'c');
    forgetCheckoutKey(store);
    expect(store.map.has(STORAGE_KEY)).toBe(false);
    expect(store.map.get('other')).toBe('kept');
    const second = checkoutKey(store, 'f', 'c');
    expect(second).toMatch(KEY_FORMAT);
    expect(second).not.toBe(first);
  });

  it('when nothing was saved, then forgetting is harmless', () => {
    const store = memoryStore();
    forgetCheckoutKey(store);
    expect(store.map.size).toBe(0);
  });
});
