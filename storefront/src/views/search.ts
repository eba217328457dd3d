import { h } from '../dom.ts';
import { api } from '../lib/api.ts';
import type { SearchResult } from '../lib/api-types.ts';
import { formatCount, formatPriceRange } from '../lib/format.ts';
import { routeHref, SEARCH_SORTS, searchApiQuery, type Route, type SearchParams, type SearchSort } from '../lib/routes.ts';
import { sortForm } from './listing.ts';
import { pagination, productGrid } from './parts.ts';
import type { View } from './view.ts';

type SearchRoute = Extract<Route, { name: 'search' }>;

const SORT_LABELS: Record<SearchSort, string> = {
  relevance: 'Best match',
  popularity: 'Most popular',
  price: 'Price: low to high',
  '-price': 'Price: high to low',
  newest: 'Newest',
  rating: 'Best rated',
};

type Filter = 'category' | 'brand' | 'minPrice' | 'maxPrice' | 'inStock';

/** The search with some filters changed or removed, from its first page. */
const hrefWith = (params: SearchParams, change: Partial<SearchParams>, drop: Filter[] = []): string => {
  const next: SearchParams = { ...params, ...change, page: 1 };
  for (const key of drop) next[key] = undefined;
  return routeHref({ name: 'search', params: next });
};

/** One facet: links that apply a value, or remove it when it is the applied one. */
function facetGroup(legend: string, items: { label: string; count: number; active: boolean; href: string }[]): HTMLElement | null {
  if (items.length === 0) return null;
  return h(
    'section',
    { class: 'facet' },
    h('h2', null, legend),
    h(
      'ul',
      null,
      items.map((item) =>
        h(
          'li',
          null,
          h('a', { href: item.href, 'aria-current': item.active ? 'true' : null }, item.active ? `✓ ${item.label}` : item.label, ' ', h('span', { class: 'count' }, `(${formatCount(item.count)})`)),
        ),
      ),
    ),
  );
}

function facets(result: SearchResult, params: SearchParams): HTMLElement {
  const filtered = params.category || params.brand || params.minPrice !== undefined || params.maxPrice !== undefined || params.inStock;
  return h(
    'aside',
    { class: 'facets', 'aria-label': 'Filters' },
    facetGroup(
      'Category',
      result.facets.category.map((f) => ({
        label: f.label,
        count: f.count,
        active: params.category === f.value,
        href: params.category === f.value ? hrefWith(params, {}, ['category']) : hrefWith(params, { category: f.value }),
      })),
    ),
    facetGroup(
      'Brand',
      result.facets.brand.map((f) => ({
        label: f.label,
        count: f.count,
        active: params.brand === f.value,
        href: params.brand === f.value ? hrefWith(params, {}, ['brand']) : hrefWith(params, { brand: f.value }),
      })),
    ),
    facetGroup(
      'Price',
      result.facets.price
        .filter((b) => b.count > 0)
        .map((b) => {
          // Buckets are [min, max); the API's maxPrice is inclusive.
          const maxPrice = b.max === null ? undefined : b.max - 1;
          const active = params.minPrice === b.min && params.maxPrice === maxPrice;
          const change: Partial<SearchParams> = { minPrice: b.min, ...(maxPrice === undefined ? {} : { maxPrice }) };
          return {
            label: formatPriceRange(b.min, b.max),
            count: b.count,
            active,
            href: active ? hrefWith(params, {}, ['minPrice', 'maxPrice']) : hrefWith(params, change, b.max === null ? ['maxPrice'] : []),
          };
        }),
    ),
    h(
      'p',
      { class: 'facet-toggle' },
      h('a', { href: params.inStock ? hrefWith(params, {}, ['inStock']) : hrefWith(params, { inStock: true }), 'aria-current': params.inStock ? 'true' : null }, params.inStock ? '✓ In stock only' : 'In stock only'),
    ),
    filtered ? h('p', null, h('a', { href: routeHref({ name: 'search', params: { q: params.q, sort: params.sort, page: 1 } }) }, 'Clear all filters')) : null,
  );
}

export const searchView: View<SearchRoute> = async (route, { app, signal }) => {
  const params = route.params;
  const result = await api<SearchResult>(`/api/search?${searchApiQuery(params)}`, { signal });
  const title = params.q ? `Results for “${params.q}”` : 'All products';
  const summary =
    result.total === 0
      ? `No products match${params.q ? ` “${params.q}”` : ''}. Check the spelling, or remove a filter.`
      : `${formatCount(result.total)} product${result.total === 1 ? '' : 's'} found`;
  const content = h(
    'div',
    { class: 'search-page' },
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, title), sortForm('search-sort', SEARCH_SORTS, SORT_LABELS, params.sort, (sort) => hrefWith(params, { sort }), app.navigate)),
    h(
      'div',
      { class: 'with-facets' },
      facets(result, params),
      h(
        'section',
        { class: 'results', 'aria-label': 'Results' },
        h('p', { class: 'summary', role: 'status' }, summary),
        productGrid(result.hits, title),
        pagination(result.page, result.page < result.pages, (n) => routeHref({ name: 'search', params: { ...params, page: n } })),
      ),
    ),
  );
  return { title, content };
};
