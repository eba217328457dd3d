import type { App } from '../app.ts';
import { h } from '../dom.ts';
import { api, ApiError, isAbort } from '../lib/api.ts';
import type { DemoSession, Order, OrderPage } from '../lib/api-types.ts';
import { formatDate, formatMoney, shortId } from '../lib/format.ts';
import { describeError } from '../lib/messages.ts';
import type { Route } from '../lib/routes.ts';
import { errorPanel, signInBlock } from './parts.ts';
import type { View } from './view.ts';

type OrdersRoute = Extract<Route, { name: 'orders' }>;

const PAGE = 10;
const STATUS_LABELS: Record<string, string> = { pending: 'Pending payment', paid: 'Paid', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };

function orderCard(order: Order, placed: boolean): HTMLElement {
  return h(
    'li',
    { class: placed ? 'order placed' : 'order', 'data-order-id': order.id },
    h(
      'article',
      { 'aria-labelledby': `order-${order.id}` },
      h('h2', { id: `order-${order.id}`, tabindex: -1 }, `Order ${shortId(order.id)}`),
      h('p', { class: 'order-meta' }, h('time', { datetime: order.createdAt }, formatDate(order.createdAt)), ' · ', STATUS_LABELS[order.status] ?? order.status),
      h('ul', { class: 'order-lines' }, order.lines.map((line) => h('li', null, `${line.quantity} × ${line.name}`, h('span', null, formatMoney(line.lineTotalCents, order.currency))))),
      h('p', { class: 'order-total' }, 'Total ', h('strong', null, formatMoney(order.totalCents, order.currency))),
    ),
  );
}

async function historyFor(app: App, session: DemoSession, route: OrdersRoute, signal: AbortSignal, onExpired: () => void): Promise<HTMLElement> {
  const first = await api<OrderPage>(`/api/orders?limit=${PAGE}`, { token: session.token, signal });
  const list = h('ul', { class: 'orders', 'aria-label': 'Your orders' }, first.items.map((o) => orderCard(o, o.id === route.placed)));
  const more = h('div', { class: 'more' });
  const problem = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const loadMore = (cursor: string | null): void => {
    if (!cursor) {
      more.replaceChildren();
      return;
    }
    const button = h('button', { type: 'button' }, 'Show older orders');
    button.addEventListener('click', async () => {
      button.disabled = true;
      problem.hidden = true;
      try {
        const page = await api<OrderPage>(`/api/orders?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`, { token: session.token });
        const cards = page.items.map((o) => orderCard(o, false));
        list.append(...cards);
        loadMore(page.nextCursor);
        // The keyboard continues at the first order just shown (the button may be gone).
        cards[0]?.querySelector<HTMLElement>('h2')?.focus();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          app.signOut();
          onExpired();
          return;
        }
        problem.textContent = describeError(error, 'orders').message;
        problem.hidden = false;
        button.disabled = false;
      }
    });
    more.replaceChildren(button);
  };
  loadMore(first.nextCursor);
  const placed = route.placed ? first.items.find((o) => o.id === route.placed) : undefined;
  return h(
    'div',
    null,
    placed ? h('p', { class: 'notice success', role: 'status' }, `Thank you! Your order ${shortId(placed.id)} is placed.`) : null,
    first.items.length === 0 ? h('p', null, 'You have no orders yet. ', h('a', { href: '/' }, 'Browse products')) : list,
    more,
    problem,
  );
}

export const ordersView: View<OrdersRoute> = async (route, { app, signal }) => {
  const holder = h('div');
  // Re-rendering after a sign-in or an expiry: a failure shows in place, with a retry.
  const reshow = (expired: boolean): void => {
    show(expired).catch((error: unknown) => {
      if (!isAbort(error)) holder.replaceChildren(errorPanel(error, 'orders', () => reshow(false)));
    });
  };
  const show = async (expired: boolean): Promise<void> => {
    const session = app.session();
    if (!session) {
      const reason = expired ? 'Your demo sign-in has expired. Sign in again to see your orders.' : 'Sign in to see your orders.';
      holder.replaceChildren(
        signInBlock(app, reason, expired, () => {
          reshow(false);
          holder.closest('section')?.querySelector<HTMLElement>('h1')?.focus();
        }),
      );
      if (expired) holder.querySelector('button')?.focus();
      return;
    }
    try {
      holder.replaceChildren(await historyFor(app, session, route, signal, () => reshow(true)));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        app.signOut();
        await show(true);
        return;
      }
      throw error;
    }
  };
  await show(false);
  return { title: 'Your orders', content: h('section', { class: 'orders-page' }, h('h1', { tabindex: -1 }, 'Your orders'), holder) };
};
