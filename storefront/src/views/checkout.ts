import type { App } from '../app.ts';
import { h } from '../dom.ts';
import { api, ApiError } from '../lib/api.ts';
import type { DemoSession, Order } from '../lib/api-types.ts';
import { cartFingerprint, emptyCart, orderItems } from '../lib/cart.ts';
import { checkoutKey, forgetCheckoutKey } from '../lib/checkout-key.ts';
import { formatMoney, shortId } from '../lib/format.ts';
import { describeError } from '../lib/messages.ts';
import { routeHref, type Route } from '../lib/routes.ts';
import { totalsText } from './cart.ts';
import { emptyState, signInBlock } from './parts.ts';
import type { View } from './view.ts';

/** IDEMPOTENCY_IN_PROGRESS: the first attempt with this key is still running; ask again shortly. */
const IN_PROGRESS_RETRIES = 5;
const IN_PROGRESS_DELAY_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function placeOrder(app: App, session: DemoSession): Promise<Order> {
  const cart = app.cart();
  // The same key for the same cart: a retry after a lost answer cannot order twice.
  const key = checkoutKey(app.store, cartFingerprint(cart), session.customerId);
  for (let attempt = 0; ; attempt++) {
    try {
      return await api<Order>('/api/orders', { method: 'POST', token: session.token, headers: { 'Idempotency-Key': key }, body: { items: orderItems(cart) } });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'IDEMPOTENCY_IN_PROGRESS' && attempt < IN_PROGRESS_RETRIES) {
        await sleep(IN_PROGRESS_DELAY_MS);
        continue;
      }
      throw error;
    }
  }
}

const isFinalRefusal = (error: unknown): boolean =>
  error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429 && error.code !== 'IDEMPOTENCY_IN_PROGRESS';

function orderForm(app: App, session: DemoSession, onExpired: () => void): HTMLElement {
  const status = h('p', { class: 'status', role: 'status' });
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Place order');
  const form = h('form', { class: 'place-order' }, h('p', null, `Signed in as demo customer ${shortId(session.customerId)}.`), button, status, problem);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    problem.hidden = true;
    status.textContent = 'Placing your order…';
    try {
      const order = await placeOrder(app, session);
      forgetCheckoutKey(app.store);
      app.setCart(emptyCart());
      app.navigate(routeHref({ name: 'orders', placed: order.id }), { replace: true });
    } catch (error) {
      // A refusal the service gave after reading the order (out of stock, unknown product, a bad
      // line) is remembered under its key and would be replayed: the next attempt is a new order.
      // Timeouts, 5xx and 429 keep the key, so a retry cannot place the order twice.
      if (isFinalRefusal(error)) forgetCheckoutKey(app.store);
      status.textContent = '';
      const names = new Map(app.cart().lines.map((line) => [line.sku, line.name]));
      problem.textContent = describeError(error, 'checkout', (sku) => names.get(sku)).message;
      problem.hidden = false;
      if (error instanceof ApiError && error.status === 401) {
        app.signOut();
        onExpired();
        return;
      }
      button.disabled = false;
      problem.focus();
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  problem.tabIndex = -1;
  return form;
}

export const checkoutView: View<Extract<Route, { name: 'checkout' }>> = async (_route, { app }) => {
  const cart = app.cart();
  if (cart.lines.length === 0) return { title: 'Checkout', content: emptyState('Nothing to check out', 'Your cart is empty.', { href: '/', label: 'Browse products' }) };
  const holder = h('div', { class: 'checkout-step' });
  const render = (expired = false): void => {
    const session = app.session();
    const reason = expired ? 'Your demo sign-in has expired. Sign in again to place your order.' : 'Sign in to place your order.';
    holder.replaceChildren(
      session
        ? orderForm(app, session, () => render(true))
        : signInBlock(app, reason, () => {
            render();
            holder.querySelector('button')?.focus();
          }),
    );
  };
  render();
  const content = h(
    'section',
    { class: 'checkout' },
    h('h1', { tabindex: -1 }, 'Checkout'),
    h(
      'ul',
      { class: 'summary-lines', 'aria-label': 'Your order' },
      cart.lines.map((line) => h('li', null, `${line.quantity} × ${line.name}`, h('span', null, formatMoney(line.priceCents * line.quantity, line.currency)))),
    ),
    h('p', { class: 'cart-total' }, 'Total ', h('strong', null, totalsText(cart)), ' · ', h('a', { href: '/cart' }, 'Change cart')),
    holder,
  );
  return { title: 'Checkout', content };
};
