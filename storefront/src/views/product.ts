import { h } from '../dom.ts';
import { api } from '../lib/api.ts';
import type { Product } from '../lib/api-types.ts';
import { addToCart, MAX_QUANTITY } from '../lib/cart.ts';
import { formatCount, formatMoney, formatRating } from '../lib/format.ts';
import type { Route } from '../lib/routes.ts';
import { productImage } from './parts.ts';
import type { View } from './view.ts';

type ProductRoute = Extract<Route, { name: 'product' }>;

/** A few left is worth saying; more is just "in stock". */
const LOW_STOCK = 5;

function stockText(product: Product): string {
  if (!product.inStock || product.stockTotal <= 0) return 'Out of stock';
  if (product.stockTotal <= LOW_STOCK) return `Only ${product.stockTotal} left in stock`;
  return `In stock: ${formatCount(product.stockTotal)} available`;
}

function attributeList(attributes: Product['attributes']): HTMLElement | null {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return null;
  const label = (key: string) => key.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
  const value = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? 'Yes' : 'No') : String(v));
  return h('section', { class: 'specs' }, h('h2', null, 'Specifications'), h('dl', null, entries.map(([k, v]) => [h('dt', null, label(k)), h('dd', null, value(v))])));
}

function addToCartForm(product: Product, ctx: Parameters<View>[1]): HTMLElement {
  const available = Math.min(product.stockTotal, MAX_QUANTITY);
  if (!product.inStock || available <= 0) return h('p', { class: 'stock out' }, 'This product cannot be ordered right now.');
  const quantity = h('input', { id: 'quantity', name: 'quantity', type: 'number', inputmode: 'numeric', min: 1, max: available, value: 1, required: true });
  const status = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'add-to-cart' }, h('label', { for: 'quantity' }, 'Quantity'), quantity, h('button', { type: 'submit', class: 'primary' }, 'Add to cart'), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = Number(quantity.value);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > available) {
      status.replaceChildren(`Choose a quantity from 1 to ${formatCount(available)}.`);
      quantity.focus();
      return;
    }
    const { cart, added } = addToCart(
      ctx.app.cart(),
      { productId: product.id, sku: product.sku, name: product.name, priceCents: product.priceCents, currency: product.currency, available },
      wanted,
    );
    if (added === 0) {
      status.replaceChildren(`Your cart already holds all ${formatCount(available)} available. `, h('a', { href: '/cart' }, 'View cart'));
      return;
    }
    ctx.app.setCart(cart);
    const capped = added < wanted ? ` (only ${formatCount(added)} more were available)` : '';
    status.replaceChildren(`Added ${formatCount(added)} × ${product.name} to your cart${capped}. `, h('a', { href: '/cart' }, 'View cart'));
  });
  return form;
}

export const productView: View<ProductRoute> = async (route, ctx) => {
  const product = await api<Product>(`/api/catalog/products/${route.id}`, { signal: ctx.signal });
  const content = h(
    'article',
    { class: 'product' },
    h('div', { class: 'product-media' }, productImage(product.images[0] ?? null, product.name, 480, 'high')),
    h(
      'div',
      { class: 'product-info' },
      h('p', { class: 'card-brand' }, product.brand),
      h('h1', { tabindex: -1 }, product.name),
      h('p', { class: 'product-price' }, formatMoney(product.priceCents, product.currency)),
      h('p', null, formatRating(product.rating)),
      h('p', { class: product.inStock ? 'stock in' : 'stock out', id: 'stock' }, stockText(product)),
      addToCartForm(product, ctx),
      product.description ? h('p', { class: 'description' }, product.description) : null,
      attributeList(product.attributes),
      h('p', { class: 'sku' }, `SKU ${product.sku}`),
    ),
  );
  return { title: product.name, content };
};
