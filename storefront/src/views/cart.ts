import type { App } from '../app.ts';
import { h } from '../dom.ts';
import { cartCount, cartTotals, MAX_QUANTITY, removeLine, setQuantity, type Cart } from '../lib/cart.ts';
import { formatCount, formatMoney } from '../lib/format.ts';
import type { Route } from '../lib/routes.ts';
import { emptyState } from './parts.ts';
import type { View } from './view.ts';

export function totalsText(cart: Cart): string {
  return cartTotals(cart)
    .map((t) => formatMoney(t.cents, t.currency))
    .join(' + ');
}

function cartTable(app: App, cart: Cart): HTMLElement {
  const rows = cart.lines.map((line) => {
    const id = `qty-${line.productId}`;
    const quantity = h('input', { id, type: 'number', inputmode: 'numeric', min: 0, max: Math.min(line.available, MAX_QUANTITY), value: line.quantity });
    quantity.addEventListener('change', () => {
      const value = Number(quantity.value);
      if (Number.isInteger(value) && value >= 0) app.setCart(setQuantity(app.cart(), line.productId, value));
      else quantity.value = String(line.quantity);
    });
    return h(
      'tr',
      null,
      h('th', { scope: 'row' }, h('a', { href: `/product/${line.productId}` }, line.name), h('span', { class: 'sku' }, ` ${line.sku}`)),
      h('td', null, formatMoney(line.priceCents, line.currency)),
      h('td', null, h('label', { for: id, class: 'visually-hidden' }, `Quantity of ${line.name}`), quantity),
      h('td', null, formatMoney(line.priceCents * line.quantity, line.currency)),
      h('td', null, h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${line.name}`, onclick: () => app.setCart(removeLine(app.cart(), line.productId)) }, 'Remove')),
    );
  });
  return h(
    'table',
    { class: 'cart-table' },
    h('caption', { class: 'visually-hidden' }, 'Products in your cart'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Product'), h('th', { scope: 'col' }, 'Price'), h('th', { scope: 'col' }, 'Quantity'), h('th', { scope: 'col' }, 'Total'), h('td', null))),
    h('tbody', null, rows),
  );
}

function cartContent(app: App, cart: Cart): HTMLElement {
  if (cart.lines.length === 0) return emptyState('Your cart is empty', 'Find something you like first.', { href: '/', label: 'Browse products' });
  return h(
    'section',
    { class: 'cart' },
    h('h1', { tabindex: -1 }, 'Your cart'),
    cartTable(app, cart),
    h('p', { class: 'cart-total' }, `${formatCount(cartCount(cart))} item${cartCount(cart) === 1 ? '' : 's'} · Total `, h('strong', null, totalsText(cart))),
    h('p', null, h('a', { href: '/checkout', class: 'button primary' }, 'Go to checkout')),
  );
}

/** The cart, kept in step with changes (here or in another tab) until the shopper leaves the page. */
export const cartView: View<Extract<Route, { name: 'cart' }>> = async (_route, { app, signal }) => {
  const holder = h('div', null, cartContent(app, app.cart()));
  const unsubscribe = app.onCartChange((cart) => {
    const hadFocus = holder.contains(document.activeElement);
    const focused = document.activeElement?.id;
    holder.replaceChildren(cartContent(app, cart));
    if (!hadFocus) return;
    // Keep the keyboard where it was (the quantity field that changed); if that line is gone
    // (removed, or set to 0), continue from the page's heading.
    const again = focused ? document.getElementById(focused) : null;
    if (again && holder.contains(again)) again.focus();
    else holder.querySelector<HTMLElement>('h1')?.focus();
  });
  signal.addEventListener('abort', unsubscribe, { once: true });
  return { title: 'Your cart', content: holder };
};
