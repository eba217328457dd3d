import { highlightField, highlightSnippet } from './highlight.ts';
import { fieldNames, parseQuery, type Candidate, type SearchIndex } from './search-index.ts';
import { fold } from './text.ts';
import type { FacetValue, Highlight, PriceBucket, SearchableProduct, SearchHit, SearchQuery, SearchResult, SearchSort } from './types.ts';

/** Lower bounds of the price buckets, cents: $0, $25, $50, $100, $250, $500, $1 000, $2 500 and up. */
export const PRICE_EDGES: readonly number[] = [0, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000];
/** Deepest result reachable by paging (page × limit); past it a client narrows the query instead. */
export const MAX_RESULT_WINDOW = 1_000;
/** Most brand facet values returned (by count). */
export const BRAND_FACET_LIMIT = 50;

type Compare = (a: Candidate, b: Candidate) => number;

/** Equal keys fall back to popularity, then id, so every order is total and pages never overlap. */
const tieBreak: Compare = (a, b) => b.product.popularity - a.product.popularity || (a.product.id < b.product.id ? -1 : a.product.id > b.product.id ? 1 : 0);

const ORDERS: Record<SearchSort, Compare> = {
  relevance: (a, b) => b.score - a.score || tieBreak(a, b),
  popularity: tieBreak,
  price: (a, b) => a.product.priceCents - b.product.priceCents || tieBreak(a, b),
  '-price': (a, b) => b.product.priceCents - a.product.priceCents || tieBreak(a, b),
  newest: (a, b) => b.product.createdAt - a.product.createdAt || tieBreak(a, b),
  rating: (a, b) => b.product.rating.average - a.product.rating.average || b.product.rating.count - a.product.rating.count || tieBreak(a, b),
};

export function priceBucketOf(priceCents: number): number {
  let i = PRICE_EDGES.length - 1;
  while (i > 0 && priceCents < (PRICE_EDGES[i] ?? 0)) i--;
  return i;
}

/**
 * Full-text search with filters, facets, a total order and pagination. Facet counts describe
 * the products that match the query and every filter given, the same set `total` counts.
 */
export function searchProducts(index: SearchIndex, query: SearchQuery): SearchResult {
  const words = parseQuery(query.q);
  const sort: SearchSort = query.sort ?? (words.length > 0 ? 'relevance' : 'popularity');
  const categoryId = query.category === undefined ? undefined : (index.categoryBySlug(query.category)?.id ?? null);
  const brand = query.brand === undefined ? undefined : fold(query.brand);
  // Brands are few: each is folded once per query, not once per product.
  const brandMatches = new Map<string, boolean>();
  const accept = (p: SearchableProduct): boolean => {
    if (categoryId !== undefined && p.categoryId !== categoryId) return false;
    if (brand !== undefined) {
      let matches = brandMatches.get(p.brand);
      if (matches === undefined) brandMatches.set(p.brand, (matches = fold(p.brand) === brand));
      if (!matches) return false;
    }
    if (query.minPrice !== undefined && p.priceCents < query.minPrice) return false;
    if (query.maxPrice !== undefined && p.priceCents > query.maxPrice) return false;
    if (query.inStock !== undefined && p.inStock !== query.inStock) return false;
    return true;
  };
  const { candidates: kept, matchedTerms } = index.match(words, accept);

  const { brands: byBrand, categoryIds: byCategory } = index.countFacets(kept);
  const byPrice = new Array<number>(PRICE_EDGES.length).fill(0);
  for (const { product } of kept) {
    const bucket = priceBucketOf(product.priceCents);
    byPrice[bucket] = (byPrice[bucket] ?? 0) + 1;
  }

  const window = query.page * query.limit;
  const top = selectTop(kept, window, ORDERS[sort]);
  const pageItems = top.slice((query.page - 1) * query.limit, window);

  return {
    q: query.q,
    total: kept.length,
    page: query.page,
    limit: query.limit,
    // Pages a client can actually request (the window caps deep paging).
    pages: Math.min(Math.ceil(kept.length / query.limit), Math.floor(MAX_RESULT_WINDOW / query.limit)),
    sort,
    hits: pageItems.map((c) => toHit(index, c, matchedTerms)),
    facets: {
      category: facetValues(byCategory, (id) => {
        const category = index.category(id);
        return category ? { value: category.slug, label: category.name } : undefined;
      }),
      brand: facetValues(byBrand, (name) => ({ value: name, label: name })).slice(0, BRAND_FACET_LIMIT),
      price: byPrice.map(
        (count, i): PriceBucket => ({ min: PRICE_EDGES[i] ?? 0, max: PRICE_EDGES[i + 1] ?? null, count }),
      ),
    },
  };
}

function facetValues(counts: Map<string, number>, describe: (key: string) => { value: string; label: string } | undefined): FacetValue[] {
  const out: FacetValue[] = [];
  for (const [key, count] of counts) {
    const described = describe(key);
    if (described) out.push({ ...described, count });
  }
  return out.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

export function toHit(index: SearchIndex, c: Candidate, matchedTerms: ReadonlySet<string>): SearchHit {
  const p = c.product;
  const category = index.category(p.categoryId);
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    brand: p.brand,
    category: category ? { id: category.id, slug: category.slug, name: category.name } : null,
    priceCents: p.priceCents,
    currency: p.currency,
    inStock: p.inStock,
    rating: p.rating,
    popularity: p.popularity,
    image: p.image,
    score: c.score,
    matched: fieldNames(c.fields),
    highlights: highlightsOf(p, matchedTerms),
  };
}

export function highlightsOf(p: { name: string; sku: string; brand: string; description?: string }, matchedTerms: ReadonlySet<string>): Highlight[] {
  if (matchedTerms.size === 0) return [];
  return [
    highlightField('name', p.name, matchedTerms),
    highlightField('sku', p.sku, matchedTerms),
    highlightField('brand', p.brand, matchedTerms),
    p.description === undefined ? null : highlightSnippet(p.description, matchedTerms),
  ].filter((h): h is Highlight => h !== null);
}

/**
 * The first `k` items in `compare` order, sorted. A bounded heap keeps the worst of the best k
 * at its root, so a page of 20 out of 10 000 matches costs n·log k, not a full sort.
 */
export function selectTop<T>(items: readonly T[], k: number, compare: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (items.length <= k * 4) return [...items].sort(compare).slice(0, k);
  const heap = items.slice(0, k);
  // Max-heap on `compare`: heap[0] is the item that sorts last among those kept.
  const at = (i: number): T => heap[i] as T;
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < k && compare(at(l), at(m)) > 0) m = l;
      if (r < k && compare(at(r), at(m)) > 0) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [at(m), at(i)];
      i = m;
    }
  };
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let i = k; i < items.length; i++) {
    const item = items[i] as T;
    if (compare(item, at(0)) < 0) {
      heap[0] = item;
      siftDown(0);
    }
  }
  return heap.sort(compare);
}
