/** What every view shares: the cart, the demo sign-in, navigation and browser storage. */
import { api } from './lib/api.ts';
import type { DemoSession } from './lib/api-types.ts';
import { parseCart, type Cart } from './lib/cart.ts';
import type { KeyStore } from './lib/checkout-key.ts';
import { clearSession, readSession, saveSession } from './lib/session.ts';

const CART_KEY = 'shop.cart.v1';

/** localStorage when the browser allows it (private modes may not), else memory for this tab. */
function browserStore(): KeyStore {
  try {
    const probe = '__shop_probe__';
    localStorage.setItem(probe, probe);
    localStorage.removeItem(probe);
    return localStorage;
  } catch {
    const memory = new Map<string, string>();
    return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v), removeItem: (k) => void memory.delete(k) };
  }
}

export interface App {
  readonly store: KeyStore;
  cart(): Cart;
  setCart(cart: Cart): void;
  onCartChange(listener: (cart: Cart) => void): () => void;
  session(): DemoSession | null;
  signIn(): Promise<DemoSession>;
  signOut(): void;
  navigate(href: string, options?: { replace?: boolean }): void;
  /** A message for the shopper outside the current page (the notice under the header). */
  announce(message: string): void;
}

export function createApp(navigate: App['navigate'], announce: App['announce']): App {
  const store = browserStore();
  const listeners = new Set<(cart: Cart) => void>();
  let cart = parseCart(store.getItem(CART_KEY));
  const notify = (): void => {
    for (const listener of listeners) listener(cart);
  };
  // Another tab changed the cart: show the same one here.
  window.addEventListener('storage', (event) => {
    if (event.key === CART_KEY) {
      cart = parseCart(event.newValue);
      notify();
    }
  });
  return {
    store,
    cart: () => cart,
    setCart(next) {
      cart = next;
      try {
        store.setItem(CART_KEY, JSON.stringify(next));
      } catch {
        // Storage full: the cart still lives in this tab.
      }
      notify();
    },
    onCartChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    session: () => readSession(store),
    async signIn() {
      const session = await api<DemoSession>('/api/orders/demo-session', { method: 'POST', body: {} });
      saveSession(store, session);
      return session;
    },
    signOut: () => clearSession(store),
    navigate,
    announce,
  };
}
