import type { App } from '../app.ts';
import { h } from '../dom.ts';
import { api, ApiError } from '../lib/api.ts';
import type { DemoSession, Order } from '../lib/api-types.ts';
import { cartFingerprint, emptyCart, orderItems, type Cart } from '../lib/cart.ts';
import { checkoutKey, forgetCheckoutKey } from '../lib/checkout-key.ts';
import { formatMoney, shortId } from '../lib/format.ts';
import { describeError } from '../lib/messages.ts';
import { routeHref, type Route } from '../lib/routes.ts';
import { totalsText } from './cart.ts';
import { emptyState, signInBlock } from './parts.ts';
import type { View } from './view.ts';

/**
 * IDEMPOTENCY_IN_PROGRESS: the first attempt with this key is still running (a worker may have
 * died holding it; the order service frees such a key after 30 s). Asked again until then.
 */
const IN_PROGRESS_WAIT_MS = 35_000;
const IN_PROGRESS_DELAY_MS = 1_000;

/**
 * Refusals the order service gave after reading the order, remembered under its key and replayed
 * for that key: the next attempt (after the shopper changed the cart, or stock came back) must be
 * a new order. Everything else (timeouts, 5xx, 429, 401) keeps the key, so a retry cannot place
 * the order twice.
 */
const FINAL_REFUSALS = new Set(['OUT_OF_STOCK', 'UNKNOWN_PRODUCT', 'DUPLICATE_LINE', 'VALIDATION_FAILED']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function placeOrder(app: App, session: DemoSession, cart: Cart): Promise<Order> {
  // The same key for the same cart and customer: a retry after a lost answer is a replay.
  const key = checkoutKey(app.store, cartFingerprint(cart), session.customerId);
  const giveUpAt = Date.now() + IN_PROGRESS_WAIT_MS;
  for (;;) {
    try {
      return await api<Order>('/api/orders', { method: 'POST', token: session.token, headers: { 'Idempotency-Key': key }, body: { items: orderItems(cart) } });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'IDEMPOTENCY_IN_PROGRESS' && Date.now() < giveUpAt) {
        await sleep(IN_PROGRESS_DELAY_MS);
        continue;
      }
      throw error;
    }
  }
}

function orderForm(app: App, session: DemoSession, cart: Cart, signal: AbortSignal, onExpired: () => void): HTMLElement {
  const status = h('p', { class: 'status', role: 'status' });
  const problem = h('p', { class: 'form-error', role: 'alert', tabindex: -1, hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Place order');
  const form = h('form', { class: 'place-order' }, h('p', null, `Signed in as demo customer ${shortId(session.customerId)}.`), button, status, problem);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    problem.hidden = true;
    status.textContent = 'Placing your order…';
    try {
      const order = await placeOrder(app, session, cart);
      forgetCheckoutKey(app.store);
      app.setCart(emptyCart());
      // The shopper may have moved on while it was placed: tell them, without taking them away.
      if (signal.aborted) app.announce(`Your order ${shortId(order.id)} is placed. It is under Orders.`);
      else app.navigate(routeHref({ name: 'orders', placed: order.id }), { replace: true });
    } catch (error) {
      if (error instanceof ApiError && FINAL_REFUSALS.has(error.code)) forgetCheckoutKey(app.store);
      status.textContent = '';
      if (error instanceof ApiError && error.status === 401) {
        app.signOut();
        onExpired();
        return;
      }
      const names = new Map(cart.lines.map((line) => [line.sku, line.name]));
      problem.textContent = describeError(error, 'checkout', (sku) => names.get(sku)).message;
      problem.hidden = false;
      button.disabled = false;
      problem.focus();
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

function checkoutContent(app: App, cart: Cart, signal: AbortSignal): HTMLElement {
  if (cart.lines.length === 0) return emptyState('Nothing to check out', 'Your cart is empty.', { href: '/', label: 'Browse products' });
  const step = h('div', { class: 'checkout-step' });
  const render = (expired: boolean): void => {
    const session = app.session();
    step.replaceChildren(
      session
        ? orderForm(app, session, cart, signal, () => render(true))
        : signInBlock(app, expired ? 'Your demo sign-in has expired. Sign in again to place your order.' : 'Sign in to place your order.', expired, () => {
            render(false);
            step.querySelector('button')?.focus();
          }),
    );
    if (expired) step.querySelector('button')?.focus();
  };
  render(false);
  return h(
    'section',
    { class: 'checkout' },
    h('h1', { tabindex: -1 }, 'Checkout'),
    h(
      'ul',
      { class: 'summary-lines', 'aria-label': 'Your order' },
      cart.lines.map((line) => h('li', null, `${line.quantity} × ${line.name}`, h('span', null, formatMoney(line.priceCents * line.quantity, line.currency)))),
    ),
    h('p', { class: 'cart-total' }, 'Total ', h('strong', null, totalsText(cart)), ' · ', h('a', { href: '/cart' }, 'Change cart')),
    step,
  );
}

/**
 * What is ordered is exactly what is shown: the page is drawn from one cart, and drawn again if
 * the cart changes meanwhile (in another tab).
 */
export const checkoutView: View<Extract<Route, { name: 'checkout' }>> = async (_route, { app, signal }) => {
  const holder = h('div', null, checkoutContent(app, app.cart(), signal));
  const unsubscribe = app.onCartChange((cart) => {
    if (!holder.querySelector('form[aria-busy]')) holder.replaceChildren(checkoutContent(app, cart, signal));
  });
  signal.addEventListener('abort', unsubscribe, { once: true });
  return { title: 'Checkout', content: holder };
};
