/** Pieces several pages use: product cards, pagination, the error panel, the sign-in block. */
import type { App } from '../app.ts';
import { h, marked, type Child } from '../dom.ts';
import type { DemoSession, Highlight, Image } from '../lib/api-types.ts';
import { formatMoney, formatRating } from '../lib/format.ts';
import { highlightSegments } from '../lib/highlight.ts';
import { describeError, type Action } from '../lib/messages.ts';

/** Demo products point at /img/products/…; nginx answers a placeholder for any that is missing. */
const PLACEHOLDER = '/img/product-placeholder.svg';
/**
 * The first two rows of cards (on a desktop width) load at once, one of them is the listing's LCP;
 * the first row also asks for high priority. The rest load lazily.
 */
const EAGER_CARDS = 10;
const HIGH_PRIORITY_CARDS = 5;

export interface CardProduct {
  id: string;
  name: string;
  brand: string;
  priceCents: number;
  currency: string;
  inStock: boolean;
  rating: { average: number; count: number };
  image: Image | null;
  highlights?: Highlight[];
}

export function productImage(image: Image | null, name: string, size: number, priority: 'high' | 'eager' | 'lazy'): HTMLImageElement {
  return h('img', {
    src: image?.url ?? PLACEHOLDER,
    alt: image?.alt || name,
    width: size,
    height: size,
    loading: priority === 'lazy' ? 'lazy' : 'eager',
    fetchpriority: priority === 'high' ? 'high' : null,
    decoding: 'async',
  });
}

function nameWithHighlights(product: CardProduct): Child {
  const highlight = product.highlights?.find((hl) => hl.field === 'name' && hl.text === product.name);
  return highlight ? marked(highlightSegments(product.name, highlight.ranges)) : product.name;
}

export function productCard(product: CardProduct, index: number): HTMLLIElement {
  return h(
    'li',
    { class: 'card' },
    h('a', { class: 'card-link', href: `/product/${product.id}` }, productImage(product.image, product.name, 240, index < HIGH_PRIORITY_CARDS ? 'high' : index < EAGER_CARDS ? 'eager' : 'lazy'), h('span', { class: 'card-name' }, nameWithHighlights(product))),
    h('p', { class: 'card-brand' }, product.brand),
    h('p', { class: 'card-price' }, formatMoney(product.priceCents, product.currency)),
    h('p', { class: 'card-meta' }, h('span', { class: product.inStock ? 'stock in' : 'stock out' }, product.inStock ? 'In stock' : 'Out of stock'), ' · ', formatRating(product.rating)),
  );
}

export function productGrid(products: CardProduct[], label: string): HTMLUListElement {
  return h('ul', { class: 'grid', 'aria-label': label }, products.map(productCard));
}

export function pagination(page: number, hasMore: boolean, href: (page: number) => string): HTMLElement | null {
  if (page === 1 && !hasMore) return null;
  return h(
    'nav',
    { class: 'pagination', 'aria-label': 'Pages' },
    page > 1 ? h('a', { href: href(page - 1), rel: 'prev' }, '← Previous') : null,
    h('span', { 'aria-current': 'page' }, `Page ${page}`),
    hasMore ? h('a', { href: href(page + 1), rel: 'next' }, 'Next →') : null,
  );
}

/** A failed page: what happened in words, and a way to try again. Never a blank page. */
export function errorPanel(error: unknown, action: Action, retry: (() => void) | null): HTMLElement {
  const { message, retryable } = describeError(error, action);
  // Not role=alert: the panel is the page, and its heading receives focus like any page's.
  return h(
    'section',
    { class: 'error-panel' },
    h('h1', { tabindex: -1 }, 'Sorry, that did not work'),
    h('p', null, message),
    retryable && retry ? h('button', { type: 'button', onclick: retry }, 'Try again') : h('a', { href: '/' }, 'Back to all products'),
  );
}

/**
 * The demo sign-in: one button, no password (decision 0012). Calls `onSignedIn` when done.
 * `announce`: the reason is news (a sign-in just expired), read out by screen readers.
 */
export function signInBlock(app: App, reason: string, announce: boolean, onSignedIn: (session: DemoSession) => void): HTMLElement {
  const status = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'button', class: 'primary' }, 'Sign in as a demo customer');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.hidden = true;
    try {
      onSignedIn(await app.signIn());
    } catch (error) {
      status.textContent = describeError(error, 'sign-in').message;
      status.hidden = false;
      button.disabled = false;
    }
  });
  return h(
    'section',
    { class: 'sign-in', 'aria-label': 'Sign in' },
    h('p', { role: announce ? 'alert' : null }, reason, ' This demo signs you in as a new demo customer; no password needed.'),
    button,
    status,
  );
}

export function emptyState(title: string, text: string, link: { href: string; label: string }): HTMLElement {
  return h('section', { class: 'empty' }, h('h1', { tabindex: -1 }, title), h('p', null, text), h('a', { href: link.href, class: 'button' }, link.label));
}
