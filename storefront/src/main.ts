/**
 * The storefront: one small script, no framework (decision 0012). The server sends the same
 * index.html for every page path; this renders the page for the address and keeps links in the app.
 */
import { createApp } from './app.ts';
import { h } from './dom.ts';
import { isAbort } from './lib/api.ts';
import { cartCount } from './lib/cart.ts';
import { describeError, type Action } from './lib/messages.ts';
import { parseRoute, vitalsPage, type Route } from './lib/routes.ts';
import { cartView } from './views/cart.ts';
import { checkoutView } from './views/checkout.ts';
import { listingView } from './views/listing.ts';
import { notFoundView } from './views/not-found.ts';
import { ordersView } from './views/orders.ts';
import { errorPanel } from './views/parts.ts';
import { productView } from './views/product.ts';
import { searchView } from './views/search.ts';
import { setUpTypeahead } from './views/typeahead.ts';
import type { View, ViewContext } from './views/view.ts';
import { startVitals } from './vitals-observer.ts';

/** Below this, a page shows no "Loading…" (it would only flash). */
const LOADING_DELAY_MS = 150;
const SHOP = 'perf-shop';

function viewFor(route: Route): (ctx: ViewContext) => ReturnType<View> {
  switch (route.name) {
    case 'listing':
      return (ctx) => listingView(route, ctx);
    case 'search':
      return (ctx) => searchView(route, ctx);
    case 'product':
      return (ctx) => productView(route, ctx);
    case 'cart':
      return (ctx) => cartView(route, ctx);
    case 'checkout':
      return (ctx) => checkoutView(route, ctx);
    case 'orders':
      return (ctx) => ordersView(route, ctx);
    case 'not-found':
      return (ctx) => notFoundView(route, ctx);
  }
}

const ACTIONS: Partial<Record<Route['name'], Action>> = { search: 'search', orders: 'orders' };

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`index.html has no #${id}`);
  return found;
}

function start(): void {
  const main = element('main', HTMLElement);
  const notice = element('notice', HTMLElement);
  const count = element('cart-count', HTMLElement);
  const searchForm = element('search-form', HTMLFormElement);
  const searchInput = element('search-q', HTMLInputElement);
  let current: AbortController | null = null;

  const landing = parseRoute(location.pathname, location.search);
  const vitals = startVitals(vitalsPage(landing));
  const app = createApp(navigate, (message) => {
    notice.textContent = message;
    notice.classList.add('success');
    notice.hidden = false;
  });

  const markNavigation = (route: Route): void => {
    for (const link of document.querySelectorAll<HTMLAnchorElement>('.site-header nav a')) {
      const section = link.dataset.section;
      if (section === route.name || (section === 'listing' && route.name === 'search')) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    // The box shows the current search, and is empty elsewhere.
    searchInput.value = route.name === 'search' ? route.params.q : '';
  };

  const show = async (focus: boolean): Promise<void> => {
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const route = parseRoute(location.pathname, location.search);
    markNavigation(route);
    notice.hidden = true;
    notice.classList.remove('success');
    // A control that caused this page (the sort menu) keeps the keyboard if the new page has it too.
    const focusedId = document.activeElement instanceof HTMLElement && main.contains(document.activeElement) ? document.activeElement.id : '';
    const loading = setTimeout(() => {
      main.setAttribute('aria-busy', 'true');
      main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
    }, LOADING_DELAY_MS);
    let title: string;
    let content: Node;
    try {
      ({ title, content } = await viewFor(route)({ app, signal: controller.signal }));
    } catch (error) {
      if (controller.signal.aborted || isAbort(error)) return;
      title = 'Something went wrong';
      content = errorPanel(error, ACTIONS[route.name] ?? 'load', () => void show(true));
    } finally {
      clearTimeout(loading);
    }
    if (controller.signal.aborted) return;
    main.removeAttribute('aria-busy');
    main.replaceChildren(content);
    document.title = `${title} · ${SHOP}`;
    if (focus) {
      const same = focusedId ? document.getElementById(focusedId) : null;
      if (same && main.contains(same)) {
        same.focus();
      } else {
        // Screen readers hear the new page; keyboard users continue from its top.
        (main.querySelector<HTMLElement>('h1') ?? main).focus({ preventScroll: true });
        scrollTo(0, 0);
      }
    }
  };

  function navigate(href: string, options: { replace?: boolean } = {}): void {
    const url = new URL(href, location.href);
    if (url.origin !== location.origin) {
      location.assign(url);
      return;
    }
    if (options.replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    vitals.softNavigation();
    void show(true);
  }

  const showCount = (): void => {
    count.textContent = String(cartCount(app.cart()));
  };
  app.onCartChange(showCount);
  showCount();

  // Links inside the app change the page without a reload; anything else is left to the browser.
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.('a');
    if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin || link.pathname.startsWith('/api/')) return;
    // An anchor in this page (the skip link): the browser scrolls and moves focus; no new page.
    if (link.hash && link.pathname === location.pathname && link.search === location.search) return;
    event.preventDefault();
    navigate(link.href);
  });
  addEventListener('popstate', () => void show(true));

  setUpTypeahead(searchForm, searchInput, element('search-suggestions', HTMLUListElement), navigate);

  // A bug in a page must still leave words on the screen, not a half-drawn page.
  const oops = (error: unknown): void => {
    if (isAbort(error)) return;
    notice.textContent = describeError(error, 'load').message;
    notice.classList.remove('success');
    notice.hidden = false;
  };
  addEventListener('error', (event) => oops(event.error));
  addEventListener('unhandledrejection', (event) => oops(event.reason));

  void show(false);
}

start();
