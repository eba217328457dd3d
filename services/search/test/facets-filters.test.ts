import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PRICE_EDGES } from '../src/domain/search-products.ts';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

/**
 * Filters, facets, sorts and pagination checked against a brute force computed from the
 * database itself (the products and categories collections, read with the shop's models), not
 * from anything the search code computes.
 *
 * The brute-force text matcher is deliberately simple and only used for one-word queries that
 * end with a space (so the word is not completed as a prefix): a product matches when the word
 * is one of the lowercased letter/digit runs of its SKU (also with its dash removed), name,
 * brand, category name, string attribute values or description. A guard test checks that no
 * word of the catalog is one typo away from the words used, so typo tolerance cannot add hits.
 */

interface Hit {
  id: string;
  sku: string;
  name: string;
  brand: string;
  category: { id: string; slug: string; name: string } | null;
  priceCents: number;
  inStock: boolean;
  rating: { average: number; count: number };
  popularity: number;
  score: number;
}

interface FacetValue {
  value: string;
  label: string;
  count: number;
}

interface SearchBody {
  q: string;
  total: number;
  page: number;
  limit: number;
  pages: number;
  sort: string;
  hits: Hit[];
  facets: { category: FacetValue[]; brand: FacetValue[]; price: { min: number; max: number | null; count: number }[] };
}

/** A product as the brute force sees it, straight from the database. */
interface Product {
  id: string;
  sku: string;
  name: string;
  brand: string;
  categorySlug: string;
  categoryName: string;
  priceCents: number;
  inStock: boolean;
  popularity: number;
  rating: { average: number; count: number };
  createdAt: number;
  /** Words by field, for the text matcher. */
  fields: Record<TextField, Set<string>>;
}

type TextField = 'sku' | 'name' | 'brand' | 'category' | 'attributes' | 'description';
type Params = Record<string, string | number>;

const PRODUCTS = 2_000;
/** Documented field weights and the exact-match quality (a word query with no prefix or typo). */
const WEIGHTS: Record<TextField, number> = { sku: 8, name: 8, brand: 6, category: 5, attributes: 2, description: 1 };
const EXACT = 3;
const SORTS = ['relevance', 'popularity', 'price', '-price', 'newest', 'rating'] as const;
type Sort = (typeof SORTS)[number];

let db: TestDatabase;
let app: SearchUnderTest;
let products: Product[] = [];
const byId = new Map<string, Product>();

const words = (text: string): string[] =>
  text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');

beforeAll(async () => {
  db = await testDatabase('test_search_facets');
  await seedDemo(db, PRODUCTS);
  app = await startSearchForTest(db);
  const categories = await db.models.Category.find({}).lean();
  const categoryById = new Map(categories.map((c) => [String(c._id), c]));
  const rows = await db.models.Product.find({}).lean();
  products = rows.map((row) => {
    const category = categoryById.get(String(row.categoryId))!;
    const attributes = Object.values(row.attributes ?? {}).filter((v): v is string => typeof v === 'string');
    return {
      id: String(row._id),
      sku: row.sku,
      name: row.name,
      brand: row.brand,
      categorySlug: category.slug,
      categoryName: category.name,
      priceCents: row.priceCents,
      inStock: row.stockTotal > 0,
      popularity: row.popularity,
      rating: row.rating,
      createdAt: new Date(row.createdAt).getTime(),
      fields: {
        sku: new Set([...words(row.sku), words(row.sku).join('')]),
        name: new Set(words(row.name)),
        brand: new Set(words(row.brand)),
        category: new Set(words(category.name)),
        attributes: new Set(attributes.flatMap(words)),
        description: new Set(words(row.description)),
      },
    };
  });
  for (const p of products) byId.set(p.id, p);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

// ---------------------------------------------------------------------------
// Brute force
// ---------------------------------------------------------------------------

/** The single word of a text query ('' for none). */
function queryWord(params: Params): string {
  const q = String(params['q'] ?? '');
  const found = words(q);
  if (found.length > 1 || (found.length === 1 && !q.endsWith(' '))) throw new Error(`the brute force only knows one-word queries ending in a space: "${q}"`);
  return found[0] ?? '';
}

/** Brute-force relevance of a one-word exact query: 3 × the heaviest field holding the word. */
function scoreOf(p: Product, word: string): number {
  if (word === '') return 0;
  const weights = (Object.keys(WEIGHTS) as TextField[]).filter((f) => p.fields[f].has(word)).map((f) => WEIGHTS[f]);
  return weights.length === 0 ? -1 : EXACT * Math.max(...weights);
}

function matches(p: Product, params: Params): boolean {
  if (scoreOf(p, queryWord(params)) < 0) return false;
  if (params['category'] !== undefined && p.categorySlug !== params['category']) return false;
  if (params['brand'] !== undefined && p.brand.toLowerCase() !== String(params['brand']).toLowerCase()) return false;
  if (params['minPrice'] !== undefined && p.priceCents < Number(params['minPrice'])) return false;
  if (params['maxPrice'] !== undefined && p.priceCents > Number(params['maxPrice'])) return false;
  if (params['inStock'] !== undefined && p.inStock !== ['true', '1'].includes(String(params['inStock']))) return false;
  return true;
}

const bruteForce = (params: Params): Product[] => products.filter((p) => matches(p, params));

const tieBreak = (a: Product, b: Product): number => b.popularity - a.popularity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function comparator(sort: Sort, word: string): (a: Product, b: Product) => number {
  switch (sort) {
    case 'relevance':
      return (a, b) => scoreOf(b, word) - scoreOf(a, word) || tieBreak(a, b);
    case 'popularity':
      return tieBreak;
    case 'price':
      return (a, b) => a.priceCents - b.priceCents || tieBreak(a, b);
    case '-price':
      return (a, b) => b.priceCents - a.priceCents || tieBreak(a, b);
    case 'newest':
      return (a, b) => b.createdAt - a.createdAt || tieBreak(a, b);
    case 'rating':
      return (a, b) => b.rating.average - a.rating.average || b.rating.count - a.rating.count || tieBreak(a, b);
  }
}

function countBy(items: readonly Product[], key: (p: Product) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of items) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
  return counts;
}

/** Facet values by count, then value; `label` from `labelOf`. */
function facet(counts: Map<string, number>, labelOf: (value: string) => string): FacetValue[] {
  return [...counts]
    .map(([value, count]) => ({ value, label: labelOf(value), count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

function expectedFacets(items: readonly Product[]): SearchBody['facets'] {
  const categoryNames = new Map(products.map((p) => [p.categorySlug, p.categoryName]));
  return {
    category: facet(
      countBy(items, (p) => p.categorySlug),
      (slug) => categoryNames.get(slug)!,
    ),
    brand: facet(
      countBy(items, (p) => p.brand),
      (brand) => brand,
    ).slice(0, 50),
    price: PRICE_EDGES.map((min, i) => {
      const max = PRICE_EDGES[i + 1] ?? null;
      return { min, max, count: items.filter((p) => p.priceCents >= min && (max === null || p.priceCents < max)).length };
    }),
  };
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

function url(params: Params): string {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  return `/api/search?${query.toString()}`;
}

async function search(params: Params): Promise<SearchBody> {
  const res = await app.http().get(url(params)).expect(200);
  return res.body as SearchBody;
}

/** Pages a client can request: all of them, up to the 1 000-deep window. */
const reachablePages = (total: number, limit: number): number => Math.min(Math.ceil(total / limit), Math.floor(1_000 / limit));

/** Pages 1, 2, … of `limit` until every hit is read or the 1 000-deep window ends. */
async function walk(params: Params, limit: number): Promise<{ hits: Hit[]; total: number }> {
  const hits: Hit[] = [];
  let total = 0;
  for (let page = 1; page * limit <= 1_000; page++) {
    const body = await search({ ...params, page, limit });
    total = body.total;
    expect(body.page).toBe(page);
    expect(body.pages).toBe(reachablePages(body.total, limit));
    hits.push(...body.hits);
    if (hits.length >= total) break;
  }
  return { hits, total };
}

function expectHitSatisfies(hit: Hit, params: Params): void {
  const p = byId.get(hit.id)!;
  expect(p).toBeDefined();
  expect(matches(p, params)).toBe(true);
  // The hit shows what the database holds.
  expect(hit).toMatchObject({ sku: p.sku, brand: p.brand, priceCents: p.priceCents, inStock: p.inStock, popularity: p.popularity });
  expect(hit.category?.slug).toBe(p.categorySlug);
  if (params['category'] !== undefined) expect(hit.category?.slug).toBe(params['category']);
  if (params['brand'] !== undefined) expect(hit.brand.toLowerCase()).toBe(String(params['brand']).toLowerCase());
  if (params['minPrice'] !== undefined) expect(hit.priceCents).toBeGreaterThanOrEqual(Number(params['minPrice']));
  if (params['maxPrice'] !== undefined) expect(hit.priceCents).toBeLessThanOrEqual(Number(params['maxPrice']));
  if (params['inStock'] !== undefined) expect(hit.inStock).toBe(['true', '1'].includes(String(params['inStock'])));
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

const TEXT_WORDS = ['everyday', 'black', 'wireless'];

/** Filter combinations, with and without a text query. */
const CASES: [string, Params][] = [
  ['no query and no filter', {}],
  ['a category', { category: 'laptops' }],
  ['a brand in lower case', { brand: 'nordvik' }],
  ['a two-word brand in upper case', { brand: 'CUCINA VERDE' }],
  ['a price range', { minPrice: 5_000, maxPrice: 25_000 }],
  ['inclusive price bounds on common prices', { minPrice: 4_999, maxPrice: 9_999 }],
  ['a minimum price only', { minPrice: 100_000 }],
  ['a maximum price only', { maxPrice: 2_500 }],
  ['in stock', { inStock: 'true' }],
  ['out of stock', { inStock: 'false' }],
  ['out of stock written as 0', { inStock: '0' }],
  ['category, in stock and a maximum price', { category: 'headphones', inStock: 'true', maxPrice: 9_999 }],
  ['brand, minimum price and out of stock', { brand: 'aurelia', minPrice: 2_500, inStock: 'false' }],
  ['category, brand and a price range', { category: 'running-shoes', brand: 'Pacera', minPrice: 5_000, maxPrice: 15_000 }],
  ['a brand from another category', { category: 'laptops', brand: 'Aurelia' }],
  ['an unknown category', { category: 'no-such-category' }],
  ['an unknown brand', { brand: 'Nobrand' }],
  ['a word', { q: 'everyday ' }],
  ['a word and a category', { q: 'everyday ', category: 'backpacks' }],
  ['a word, in stock and a maximum price', { q: 'black ', inStock: 'true', maxPrice: 20_000 }],
  ['a word and a brand', { q: 'wireless ', brand: 'SONIVUE' }],
  ['a word and a price range', { q: 'wireless ', minPrice: 5_000, maxPrice: 25_000 }],
];

describe('the brute force itself', () => {
  it('when the catalog is read from the database, then it holds every seeded product in several categories', () => {
    expect(products).toHaveLength(PRODUCTS);
    expect(new Set(products.map((p) => p.categorySlug)).size).toBeGreaterThan(5);
    expect(products.some((p) => p.inStock)).toBe(true);
    expect(products.some((p) => !p.inStock)).toBe(true);
  });

  it.each(TEXT_WORDS)('when "%s" is used as a text query, then no catalog word is one typo away from it', (word) => {
    const vocabulary = new Set(products.flatMap((p) => Object.values(p.fields).flatMap((set) => [...set])));
    const oneEdit = (a: string, b: string): boolean => {
      if (a === b || Math.abs(a.length - b.length) > 1) return false;
      if (a.length === b.length) {
        const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
        if (diff.length === 1) return true;
        const [i, j] = diff;
        return diff.length === 2 && j === i! + 1 && a[i!] === b[j] && a[j] === b[i!];
      }
      const [short, long] = a.length < b.length ? [a, b] : [b, a];
      return [...long].some((_, i) => long.slice(0, i) + long.slice(i + 1) === short);
    };
    expect(vocabulary.has(word)).toBe(true);
    expect([...vocabulary].filter((term) => oneEdit(word, term))).toEqual([]);
    expect(bruteForce({ q: `${word} ` }).length).toBeGreaterThan(0);
  });
});

describe('filters and facets', () => {
  it.each(CASES)('when searching with %s, then total and facet counts equal the brute-force counts', async (_name, params) => {
    const expected = bruteForce(params);
    const body = await search({ ...params, limit: 100 });
    expect(body.total).toBe(expected.length);
    expect(body.pages).toBe(reachablePages(expected.length, 100));
    expect(body.facets).toEqual(expectedFacets(expected));
    expect(body.facets.price.reduce((sum, b) => sum + b.count, 0)).toBe(expected.length);
    expect(body.hits).toHaveLength(Math.min(100, expected.length));
  });

  it.each(CASES)('when searching with %s, then every hit satisfies every filter and, within the window, every match is returned', async (_name, params) => {
    const expected = bruteForce(params);
    const { hits, total } = await walk(params, 100);
    expect(total).toBe(expected.length);
    for (const hit of hits) expectHitSatisfies(hit, params);
    expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
    if (expected.length <= 1_000) expect(hits.map((h) => h.id).sort()).toEqual(expected.map((p) => p.id).sort());
    else expect(hits).toHaveLength(1_000);
  });

  it('when the same brand is written in different cases, then the answers are the same', async () => {
    const [lower, upper, mixed] = await Promise.all([search({ brand: 'cucina verde' }), search({ brand: 'CUCINA VERDE' }), search({ brand: 'Cucina Verde' })]);
    expect(lower.total).toBeGreaterThan(0);
    expect(upper.hits).toEqual(lower.hits);
    expect(mixed.hits).toEqual(lower.hits);
    expect(upper.facets).toEqual(lower.facets);
  });

  it('when the price range is a single price, then only products at exactly that price come back', async () => {
    const price = products[0]!.priceCents;
    const body = await search({ minPrice: price, maxPrice: price, limit: 100 });
    expect(body.total).toBe(products.filter((p) => p.priceCents === price).length);
    expect(body.hits.every((h) => h.priceCents === price)).toBe(true);
  });
});

describe('sorts', () => {
  const SORT_CASES: [Sort, Params][] = SORTS.flatMap((sort): [Sort, Params][] => [
    [sort, { category: 'laptops' }],
    [sort, { q: 'everyday ', inStock: 'true' }],
    [sort, { q: 'black ' }],
  ]);

  it.each(SORT_CASES)('when sorting by %s with %j, then hits come in brute-force order with the popularity/id tie-break', async (sort, params) => {
    const expected = bruteForce(params).sort(comparator(sort, queryWord(params)));
    const { hits } = await walk({ ...params, sort }, 100);
    expect(expected.length).toBeGreaterThan(0);
    expect(hits.map((h) => h.id)).toEqual(expected.slice(0, 1_000).map((p) => p.id));
    const word = queryWord(params);
    for (const hit of hits) expect(hit.score).toBe(Math.max(0, scoreOf(byId.get(hit.id)!, word)));
  });

  it('when the sort is left out, then it is relevance with a query and popularity without', async () => {
    expect((await search({ q: 'black ' })).sort).toBe('relevance');
    expect((await search({ category: 'laptops' })).sort).toBe('popularity');
  });

  it('when the whole catalog is sorted by popularity, then the first 1 000 hits are the 1 000 most popular, ties by id', async () => {
    const expected = [...products].sort(tieBreak).slice(0, 1_000);
    const { hits } = await walk({ sort: 'popularity' }, 100);
    expect(hits.map((h) => h.id)).toEqual(expected.map((p) => p.id));
  });

  it('when sorting, then the data really has ties that the tie-break decides', () => {
    const laptops = bruteForce({ category: 'laptops' });
    const pairs = (key: (p: Product) => string): number => laptops.length - new Set(laptops.map(key)).size;
    expect(pairs((p) => String(p.priceCents))).toBeGreaterThan(0);
    expect(pairs((p) => String(p.createdAt))).toBeGreaterThan(0);
    expect(pairs((p) => `${p.rating.average}/${p.rating.count}`)).toBeGreaterThan(0);
  });
});

describe('pagination', () => {
  it.each([
    ['a category', { category: 'laptops' }],
    ['a word sorted by price', { q: 'everyday ', sort: 'price' }],
    ['in stock sorted by rating', { inStock: 'true', sort: 'rating' }],
  ] as [string, Params][])('when walking pages of 37 for %s, then every match appears exactly once, in the order of pages of 100', async (_name, params) => {
    const expected = bruteForce(params);
    const [small, large] = await Promise.all([walk(params, 37), walk(params, 100)]);
    const smallIds = small.hits.map((h) => h.id);
    const largeIds = large.hits.map((h) => h.id);
    expect(new Set(smallIds).size).toBe(smallIds.length);
    const overlap = Math.min(smallIds.length, largeIds.length);
    expect(overlap).toBeGreaterThan(0);
    expect(smallIds.slice(0, overlap)).toEqual(largeIds.slice(0, overlap));
    if (expected.length <= 999) expect(smallIds.sort()).toEqual(expected.map((p) => p.id).sort());
    else expect(smallIds).toHaveLength(999);
  });

  it('when the last page is partly full, then it holds the rest and the page after it is empty', async () => {
    const total = bruteForce({ category: 'laptops' }).length;
    const pages = Math.ceil(total / 37);
    const last = await search({ category: 'laptops', limit: 37, page: pages });
    expect(last.hits).toHaveLength(total - 37 * (pages - 1));
    const after = await search({ category: 'laptops', limit: 37, page: pages + 1 });
    expect(after.hits).toEqual([]);
    expect(after.total).toBe(total);
  });

  it('when the same page is requested again, in any parameter order, then it is identical', async () => {
    const first = await app.http().get('/api/search?q=everyday+&inStock=true&sort=price&page=3&limit=37').expect(200);
    const again = await app.http().get('/api/search?q=everyday+&inStock=true&sort=price&page=3&limit=37').expect(200);
    const reordered = await app.http().get('/api/search?limit=37&page=3&sort=price&inStock=true&q=everyday+').expect(200);
    expect((first.body as SearchBody).hits).toHaveLength(37);
    expect(again.body).toEqual(first.body);
    expect(reordered.body).toEqual(first.body);
  });

  it.each([
    [{ page: 11, limit: 100 }],
    [{ page: 28, limit: 37 }],
    [{ page: 1_001, limit: 1 }],
    [{ page: 21, limit: 50, category: 'laptops' }],
  ] as [Params][])('when page × limit goes past 1 000 (%j), then 400 VALIDATION_FAILED naming page', async (params) => {
    const res = await app.http().get(url(params)).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ location: 'query', field: 'page' })]));
  });

  it('when page × limit is exactly 1 000, then the page is served', async () => {
    const body = await search({ page: 10, limit: 100 });
    expect(body.hits).toHaveLength(100);
    expect((await search({ page: 1_000, limit: 1 })).hits).toHaveLength(1);
  });

  it('when minPrice exceeds maxPrice, then 400 VALIDATION_FAILED naming minPrice', async () => {
    const res = await app.http().get(url({ minPrice: 5_001, maxPrice: 5_000 })).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ location: 'query', field: 'minPrice' })]));
  });
});
