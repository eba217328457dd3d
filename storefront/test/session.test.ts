import { describe, expect, it } from '@jest/globals';
import type { DemoSession } from '../src/lib/api-types.ts';
import type { KeyStore } from '../src/lib/checkout-key.ts';
import { clearSession, readSession, saveSession } from '../src/lib/session.ts';

const STORAGE_KEY = 'shop.session.v1';
const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function memoryStore(initial: Record<string, string> = {}): KeyStore & { map: Map<string, string> } {
  const map = new Map(Object.entries(initial));
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

const session = (expiresAt: string): DemoSession => ({ token: 'header.payload.sig', customerId: '65f1c2a9b3e4d5f6a7b8c9d0', expiresAt });
const at = (ms: number): string => new Date(ms).toISOString();

describe('readSession', () => {
  it('when a session is saved and read well before expiry, then it comes back equal', () => {
    const store = memoryStore();
    const saved = session(at(NOW + 3_600_000));
    saveSession(store, saved);
    expect(readSession(store, NOW)).toEqual(saved);
    expect(store.map.has(STORAGE_KEY)).toBe(true);
  });

  it('when nothing is stored, then there is no session', () => {
    expect(readSession(memoryStore(), NOW)).toBeNull();
  });

  it('when the session expires more than 60 s from now, then it is used', () => {
    const store = memoryStore();
    saveSession(store, session(at(NOW + 60_001)));
    expect(readSession(store, NOW)).toEqual(session(at(NOW + 60_001)));
  });

  it('when the session expires exactly 60 s from now, then it counts as expired and is removed', () => {
    const store = memoryStore({ other: 'x' });
    saveSession(store, session(at(NOW + 60_000)));
    expect(readSession(store, NOW)).toBeNull();
    expect(store.map.has(STORAGE_KEY)).toBe(false);
    expect(store.map.get('other')).toBe('x');
  });

  it('when the session expires within 60 s, then it counts as expired and is removed', () => {
    const store = memoryStore();
    saveSession(store, session(at(NOW + 30_000)));
    expect(readSession(store, NOW)).toBeNull();
    expect(store.map.has(STORAGE_KEY)).toBe(false);
  });

  it('when the session has already expired, then it is removed', () => {
    const store = memoryStore();
    saveSession(store, session(at(NOW - 1)));
    expect(readSession(store, NOW)).toBeNull();
    expect(store.map.has(STORAGE_KEY)).toBe(false);
  });

  it('when the expiry is not a date, then the session is removed', () => {
    const store = memoryStore();
    saveSession(store, session('tomorrow'));
    expect(readSession(store, NOW)).toBeNull();
    expect(store.map.has(STORAGE_KEY)).toBe(false);
  });

  it('when no time is given, then the current time is used', () => {
    const store = memoryStore();
    saveSession(store, session(at(Date.now() + 3_600_000)));
    expect(readSession(store)).not.toBeNull();
    saveSession(store, session(at(Date.now() - 3_600_000)));
    expect(readSession(store)).toBeNull();
  });

  it('when the stored JSON is malformed, then there is no session', () => {
    expect(readSession(memoryStore({ [STORAGE_KEY]: '{"token": ' }), NOW)).toBeNull();
    expect(readSession(memoryStore({ [STORAGE_KEY]: 'undefined' }), NOW)).toBeNull();
  });

  it('when fields are missing or of the wrong type, then there is no session', () => {
    const good = session(at(NOW + 3_600_000));
    for (const value of [null, 42, 'text', [], {}, { ...good, token: 1 }, { ...good, customerId: null }, { ...good, expiresAt: NOW + 3_600_000 }, { token: 't', customerId: 'c' }]) {
      expect(readSession(memoryStore({ [STORAGE_KEY]: JSON.stringify(value) }), NOW)).toBeNull();
    }
  });

  it('when extra fields are stored, then only token, customerId and expiresAt come back', () => {
    const good = session(at(NOW + 3_600_000));
    const store = memoryStore({ [STORAGE_KEY]: JSON.stringify({ ...good, role: 'admin' }) });
    expect(readSession(store, NOW)).toEqual(good);
    expect(Object.keys(readSession(store, NOW)!).sort()).toEqual(['customerId', 'expiresAt', 'token']);
  });
});

describe('saveSession and clearSession', () => {
  it('when a session is saved, then it is stored as JSON under its key', () => {
    const store = memoryStore();
    const saved = session(at(NOW + 3_600_000));
    saveSession(store, saved);
    expect(JSON.parse(store.map.get(STORAGE_KEY)!)).toEqual(saved);
  });

  it('when the session is cleared, then it is gone and other keys stay', () => {
    const store = memoryStore({ 'shop.checkout.v1': 'k' });
    saveSession(store, session(at(NOW + 3_600_000)));
    clearSession(store);
    expect(readSession(store, NOW)).toBeNull();
    expect([...store.map.keys()]).toEqual(['shop.checkout.v1']);
  });
});
