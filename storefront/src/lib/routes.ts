/** The storefront's pages as URLs: parsed from and written to the address bar (history API). */
import { OBJECT_ID } from './ids.ts';

export const LISTING_SORTS = ['popularity', 'price', '-price', 'newest'] as const;
export type ListingSort = (typeof LISTING_SORTS)[number];
export const SEARCH_SORTS = ['relevance', 'popularity', 'price', '-price', 'newest', 'rating'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** The APIs' own bounds: catalog MAX_PAGE 500; search page × limit ≤ 1 000 (its MAX_RESULT_WINDOW). */
export const PAGE_SIZE = 24;
const MAX_LISTING_PAGE = 500;
export const MAX_SEARCH_PAGE = Math.floor(1_000 / PAGE_SIZE);

export interface SearchParams {
  q: string;
  category?: string;
  brand?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  sort: SearchSort;
  page: number;
}

export type Route =
  | { name: 'listing'; category?: string; sort: ListingSort; page: number }
  | { name: 'search'; params: SearchParams }
  | { name: 'product'; id: string }
  | { name: 'cart' }
  | { name: 'checkout' }
  | { name: 'orders'; placed?: string }
  | { name: 'not-found' };

/** The page names the web-vitals API accepts (a copy of @shop/metrics VITALS_PAGES; the e2e test posts them). */
export type VitalsPage = 'listing' | 'search' | 'product' | 'cart' | 'checkout' | 'orders' | 'other';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function pageNumber(value: string | null, max: number): number {
  if (!value || !/^\d{1,6}$/.test(value)) return 1;
  return Math.min(Math.max(1, Number(value)), max);
}

function cents(value: string | null): number | undefined {
  return value && /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}

const oneOf = <T extends string>(values: readonly T[], value: string | null, fallback: T): T =>
  values.includes(value as T) ? (value as T) : fallback;

function optionalSlug(value: string | null): string | undefined {
  return value && SLUG.test(value) && value.length <= 80 ? value : undefined;
}

/** Whatever is in the address bar becomes a valid route: bad parameters are dropped, never sent on. */
export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/products') {
    const category = optionalSlug(query.get('category'));
    return { name: 'listing', ...(category ? { category } : {}), sort: oneOf(LISTING_SORTS, query.get('sort'), 'popularity'), page: pageNumber(query.get('page'), MAX_LISTING_PAGE) };
  }
  if (path === '/search') {
    const params: SearchParams = {
      q: (query.get('q') ?? '').trim().slice(0, 200).trim(),
      sort: oneOf(SEARCH_SORTS, query.get('sort'), 'relevance'),
      page: pageNumber(query.get('page'), MAX_SEARCH_PAGE),
    };
    const category = optionalSlug(query.get('category'));
    if (category) params.category = category;
    const brand = query.get('brand')?.trim();
    if (brand && brand.length <= 80) params.brand = brand;
    const min = cents(query.get('minPrice'));
    const max = cents(query.get('maxPrice'));
    if (min !== undefined) params.minPrice = min;
    if (max !== undefined && (min === undefined || max >= min)) params.maxPrice = max;
    if (query.get('inStock') === 'true') params.inStock = true;
    return { name: 'search', params };
  }
  const product = /^\/product\/([^/]+)$/.exec(path);
  if (product) return product[1] && OBJECT_ID.test(product[1]) ? { name: 'product', id: product[1] } : { name: 'not-found' };
  if (path === '/cart') return { name: 'cart' };
  if (path === '/checkout') return { name: 'checkout' };
  if (path === '/orders') {
    const placed = query.get('placed');
    return placed && OBJECT_ID.test(placed) ? { name: 'orders', placed } : { name: 'orders' };
  }
  return { name: 'not-found' };
}

function withQuery(path: string, entries: [string, string | number | boolean | undefined][]): string {
  const query = new URLSearchParams();
  for (const [key, value] of entries) if (value !== undefined && value !== '') query.set(key, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The URL of a route; defaults are left out so that equal pages have equal URLs (and cache keys). */
export function routeHref(route: Route): string {
  switch (route.name) {
    case 'listing':
      return withQuery('/', [
        ['category', route.category],
        ['sort', route.sort === 'popularity' ? undefined : route.sort],
        ['page', route.page === 1 ? undefined : route.page],
      ]);
    case 'search': {
      const p = route.params;
      return withQuery('/search', [
        ['q', p.q],
        ['category', p.category],
        ['brand', p.brand],
        ['minPrice', p.minPrice],
        ['maxPrice', p.maxPrice],
        ['inStock', p.inStock ? true : undefined],
        ['sort', p.sort === 'relevance' ? undefined : p.sort],
        ['page', p.page === 1 ? undefined : p.page],
      ]);
    }
    case 'product':
      return `/product/${route.id}`;
    case 'orders':
      return withQuery('/orders', [['placed', route.placed]]);
    case 'cart':
    case 'checkout':
      return `/${route.name}`;
    case 'not-found':
      return '/';
  }
}

/** The search API's query string for a search route (the API's names are the page's). */
export function searchApiQuery(params: SearchParams): string {
  const query = new URLSearchParams(routeHref({ name: 'search', params }).split('?')[1] ?? '');
  query.set('limit', String(PAGE_SIZE));
  return query.toString();
}

export function vitalsPage(route: Route): VitalsPage {
  return route.name === 'not-found' ? 'other' : route.name;
}
