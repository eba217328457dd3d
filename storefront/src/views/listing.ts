import { h } from '../dom.ts';
import { api } from '../lib/api.ts';
import type { Category, ProductPage } from '../lib/api-types.ts';
import { formatCount } from '../lib/format.ts';
import { LISTING_SORTS, PAGE_SIZE, routeHref, type ListingSort, type Route } from '../lib/routes.ts';
import { pagination, productGrid } from './parts.ts';
import type { View } from './view.ts';

type ListingRoute = Extract<Route, { name: 'listing' }>;

const SORT_LABELS: Record<ListingSort, string> = { popularity: 'Most popular', price: 'Price: low to high', '-price': 'Price: high to low', newest: 'Newest' };

/** Category links; the current one is marked for screen readers and styled. */
function categoryNav(categories: Category[], route: ListingRoute): HTMLElement {
  const link = (label: string, category: string | undefined) =>
    h('li', null, h('a', { href: routeHref({ name: 'listing', ...(category ? { category } : {}), sort: route.sort, page: 1 }), 'aria-current': route.category === category ? 'page' : null }, label));
  return h('nav', { class: 'categories', 'aria-label': 'Categories' }, h('ul', null, link('All', undefined), categories.map((c) => link(c.name, c.slug))));
}

export function sortForm<S extends string>(id: string, sorts: readonly S[], labels: Record<S, string>, current: S, hrefFor: (sort: S) => string, onChange: (href: string) => void): HTMLFormElement {
  const select = h('select', { id, name: 'sort' }, sorts.map((sort) => h('option', { value: sort, selected: sort === current }, labels[sort])));
  select.addEventListener('change', () => onChange(hrefFor(select.value as S)));
  return h('form', { class: 'sort', method: 'get' }, h('label', { for: id }, 'Sort by'), select);
}

export const listingView: View<ListingRoute> = async (route, { app, signal }) => {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), sort: route.sort, page: String(route.page) });
  if (route.category) query.set('category', route.category);
  const [categories, page] = await Promise.all([
    api<{ items: Category[] }>('/api/catalog/categories', { signal }),
    api<ProductPage>(`/api/catalog/products?${query}`, { signal }),
  ]);
  const category = categories.items.find((c) => c.slug === route.category);
  const title = category ? category.name : 'All products';
  const first = (page.page - 1) * page.limit + 1;
  const summary =
    page.total === 0
      ? 'No products here yet.'
      : page.items.length === 0
        ? `This page is past the last of ${formatCount(page.total)} products.`
        : `Showing ${formatCount(first)}–${formatCount(first + page.items.length - 1)} of ${formatCount(page.total)} products`;
  const content = h(
    'div',
    { class: 'listing' },
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, title), sortForm('listing-sort', LISTING_SORTS, SORT_LABELS, route.sort, (sort) => routeHref({ ...route, sort, page: 1 }), app.navigate)),
    categoryNav(categories.items, route),
    h('p', { class: 'summary', role: 'status' }, summary),
    productGrid(
      page.items.map((p) => ({ ...p, image: p.images[0] ?? null })),
      title,
    ),
    pagination(page.page, page.hasMore, (n) => routeHref({ ...route, page: n })),
  );
  return { title, content };
};
