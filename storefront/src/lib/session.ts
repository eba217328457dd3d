/** The demo customer's sign-in (POST /api/orders/demo-session), kept until its token expires. */
import type { DemoSession } from './api-types.ts';
import type { KeyStore } from './checkout-key.ts';

const STORAGE_KEY = 'shop.session.v1';
/** A token this close to expiry is not used for a new checkout. */
const MARGIN_MS = 60_000;

export function readSession(store: KeyStore, now = Date.now()): DemoSession | null {
  try {
    const value = JSON.parse(store.getItem(STORAGE_KEY) ?? 'null') as Partial<DemoSession> | null;
    if (!value || typeof value.token !== 'string' || typeof value.customerId !== 'string' || typeof value.expiresAt !== 'string') return null;
    const expires = Date.parse(value.expiresAt);
    if (Number.isNaN(expires) || expires - MARGIN_MS <= now) {
      store.removeItem(STORAGE_KEY);
      return null;
    }
    return { token: value.token, customerId: value.customerId, expiresAt: value.expiresAt };
  } catch {
    return null;
  }
}

export function saveSession(store: KeyStore, session: DemoSession): void {
  store.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(store: KeyStore): void {
  store.removeItem(STORAGE_KEY);
}
