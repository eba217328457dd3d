import { describe, expect, it } from '@jest/globals';
import { mulberry32 } from '@shop/catalog/demo-data';
import type { RequestSpec } from '../../scripts/lib/open-loop.ts';
import { requestStream, searchQueries, sweepRequests, zipfSampler, type Fixture } from '../../scripts/bench/scenarios.ts';

const BRANDS = ['Acme', 'Globex', 'Initech', 'Umbrella'];
const CATEGORIES = ['laptops', 'home-audio', 'phones'];
const SORTS = ['popularity', 'price', '-price', 'newest'];

const products: Fixture['products'] = Array.from({ length: 100 }, (_, i) => {
  const brand = BRANDS[i % BRANDS.length]!;
  return { id: `p${String(i).padStart(3, '0')}`, brand, name: `${brand} Model${i} Pro ${i % 7}` };
});

const fixture: Fixture = {
  products,
  categories: CATEGORIES,
  brands: BRANDS,
  queries: ['laptops', 'acme', 'globex model3', 'phones', 'home audio', 'initech model9', 'umbrella'],
  token: 'test-token',
};

/** H(n) = Σ 1/k for k = 1..n. */
const harmonic = (n: number): number => Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);

const draw = (stream: () => RequestSpec, n: number): RequestSpec[] => Array.from({ length: n }, () => stream());

const isPost = (spec: RequestSpec): spec is Exclude<RequestSpec, string> => typeof spec !== 'string';

const productPath = /^\/api\/catalog\/products\/(p\d{3})$/;

function productIdOf(spec: RequestSpec): string {
  expect(typeof spec).toBe('string');
  const match = productPath.exec(spec as string);
  expect(match).not.toBeNull();
  return match![1]!;
}

function searchQueryOf(spec: RequestSpec): string {
  expect(typeof spec).toBe('string');
  const url = new URL(spec as string, 'http://x');
  expect(url.pathname).toBe('/api/search');
  return url.searchParams.get('q')!;
}

describe('zipfSampler (scripts/bench/scenarios.ts)', () => {
  it('when n = 100 and s = 1 are drawn 200k times, then each rank k comes up about 1/((k+1)·H(100)) of the time', () => {
    const sample = zipfSampler(100, 1, mulberry32(42));
    const counts = new Array<number>(100).fill(0);
    const draws = 200_000;
    const outOfRange: number[] = [];
    for (let i = 0; i < draws; i++) {
      const k = sample();
      if (!Number.isInteger(k) || k < 0 || k >= 100) outOfRange.push(k);
      else counts[k]!++;
    }
    expect(outOfRange).toEqual([]);
    const h = harmonic(100);
    expect(Math.abs(counts[0]! / draws - 1 / h)).toBeLessThan(0.02);
    expect(Math.abs(counts[1]! / draws - 1 / (2 * h))).toBeLessThan(0.02);
    for (let k = 0; k < 100; k++) expect(Math.abs(counts[k]! / draws - 1 / ((k + 1) * h))).toBeLessThan(0.01);
    // Rank 0 about twice rank 1, ten times rank 9.
    expect(counts[0]! / counts[1]!).toBeGreaterThan(1.8);
    expect(counts[0]! / counts[1]!).toBeLessThan(2.2);
    expect(counts[0]! / counts[9]!).toBeGreaterThan(8.5);
    expect(counts[0]! / counts[9]!).toBeLessThan(11.5);
  });

  it('when the rng returns known values, then the rank is the first whose cumulative weight reaches rng × total', () => {
    // s = 1, n = 3: weights 1, 1/2, 1/3; cumulative 1, 1.5, 1.833…
    const values = [0, 0.5, 0.6, 0.9, 0.999999];
    let i = 0;
    const sample = zipfSampler(3, 1, () => values[i++]!);
    expect(values.map(() => sample())).toEqual([0, 0, 1, 2, 2]);
    // s = 0 is uniform: cumulative 1, 2, 3, 4.
    let j = 0;
    const uniform = zipfSampler(4, 0, () => [0.1, 0.3, 0.6, 0.8][j++]!);
    expect([uniform(), uniform(), uniform(), uniform()]).toEqual([0, 1, 2, 3]);
  });

  it('when two samplers get the same seed, then they draw the same ranks; another seed draws others', () => {
    const a = zipfSampler(1_000, 1, mulberry32(7));
    const b = zipfSampler(1_000, 1, mulberry32(7));
    const c = zipfSampler(1_000, 1, mulberry32(8));
    const ra = Array.from({ length: 500 }, () => a());
    const rb = Array.from({ length: 500 }, () => b());
    const rc = Array.from({ length: 500 }, () => c());
    expect(ra).toEqual(rb);
    expect(ra).not.toEqual(rc);
  });

  it('when n = 1, then every draw is rank 0', () => {
    const sample = zipfSampler(1, 1, mulberry32(3));
    expect(Array.from({ length: 50 }, () => sample())).toEqual(new Array(50).fill(0));
  });
});

describe('requestStream (scripts/bench/scenarios.ts)', () => {
  it('when two streams share scenario, seed and unique, then they make the same requests; another seed makes others', () => {
    for (const scenario of ['product', 'list', 'search', 'order', 'journey'] as const) {
      const a = draw(requestStream(scenario, fixture, 5, 'u'), 120);
      const b = draw(requestStream(scenario, fixture, 5, 'u'), 120);
      const c = draw(requestStream(scenario, fixture, 6, 'u'), 120);
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    }
  });

  it('when product GETs are drawn, then they name fixture products and the most popular one gets about 1/H(100) of them', () => {
    const draws = 50_000;
    const specs = draw(requestStream('product', fixture, 1, 'u'), draws);
    const counts = new Map<RequestSpec, number>();
    for (const spec of specs) counts.set(spec, (counts.get(spec) ?? 0) + 1);
    // Each distinct request once through the checks: a GET of a fixture product.
    const ids = new Set(products.map((p) => p.id));
    for (const spec of counts.keys()) expect(ids.has(productIdOf(spec))).toBe(true);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    expect(Math.abs(sorted[0]! / draws - 1 / harmonic(100))).toBeLessThan(0.02);
    expect(Math.abs(sorted[1]! / draws - 1 / (2 * harmonic(100)))).toBeLessThan(0.02);
  });

  it('when list requests are drawn, then they use only fixture categories, known sorts, pages 1-3 and limit=24', () => {
    const specs = draw(requestStream('list', fixture, 2, 'u'), 1_000);
    const categoriesSeen = new Set<string>();
    let inStock = 0;
    for (const spec of specs) {
      expect(typeof spec).toBe('string');
      const url = new URL(spec as string, 'http://x');
      expect(url.pathname).toBe('/api/catalog/products');
      const category = url.searchParams.get('category')!;
      expect(CATEGORIES).toContain(category);
      categoriesSeen.add(category);
      expect(SORTS).toContain(url.searchParams.get('sort'));
      expect(['1', '2', '3']).toContain(url.searchParams.get('page'));
      expect(url.searchParams.get('limit')).toBe('24');
      const stock = url.searchParams.get('inStock');
      expect([null, 'true']).toContain(stock);
      if (stock === 'true') inStock++;
      expect([...url.searchParams.keys()].sort()).toEqual(['category', 'limit', 'page', 'sort', ...(stock ? ['inStock'] : [])].sort());
    }
    expect(categoriesSeen).toEqual(new Set(CATEGORIES));
    // About 30 % with inStock=true.
    expect(inStock / specs.length).toBeGreaterThan(0.2);
    expect(inStock / specs.length).toBeLessThan(0.4);
  });

  it('when search requests are drawn, then each q is a fixture query, the first-ranked most often', () => {
    const specs = draw(requestStream('search', fixture, 3, 'u'), 2_000);
    const counts = new Map<string, number>();
    for (const spec of specs) {
      const q = searchQueryOf(spec);
      expect(fixture.queries).toContain(q);
      counts.set(q, (counts.get(q) ?? 0) + 1);
    }
    expect(counts.size).toBe(fixture.queries.length);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    expect(top).toBe(fixture.queries[0]);
  });

  it('when the journey is drawn, then it cycles search for a product → GET of it → POST order of it', () => {
    const specs = draw(requestStream('journey', fixture, 4, 'run-9'), 90);
    const byId = new Map(products.map((p) => [p.id, p]));
    const ordered = new Set<string>();
    for (let i = 0; i < specs.length; i += 3) {
      const q = searchQueryOf(specs[i]!);
      const id = productIdOf(specs[i + 1]!);
      const product = byId.get(id)!;
      expect(product).toBeDefined();
      expect(q).toBe(`${product.brand} ${product.name.split(/\s+/)[1]}`.toLowerCase());
      const order = specs[i + 2]!;
      expect(isPost(order)).toBe(true);
      if (!isPost(order)) continue;
      expect(order.method).toBe('POST');
      expect(order.path).toBe('/api/orders');
      expect(JSON.parse(order.body!)).toEqual({ items: [{ productId: id, quantity: 1 }] });
      ordered.add(id);
    }
    // Different shoppers pick different products.
    expect(ordered.size).toBeGreaterThan(1);
  });

  it('when orders are drawn, then each is a POST with the token and a JSON body, and Idempotency-Keys are unique and carry `unique`', () => {
    const specs = draw(requestStream('order', fixture, 5, 'point-abc123'), 300);
    const keys = new Set<string>();
    const ids = new Set(products.map((p) => p.id));
    for (const spec of specs) {
      expect(isPost(spec)).toBe(true);
      if (!isPost(spec)) continue;
      expect(spec.method).toBe('POST');
      expect(spec.path).toBe('/api/orders');
      expect(spec.headers!.Authorization).toBe('Bearer test-token');
      expect(spec.headers!['Content-Type']).toBe('application/json');
      const key = spec.headers!['Idempotency-Key']!;
      expect(key).toContain('point-abc123');
      keys.add(key);
      const body = JSON.parse(spec.body!) as { items: { productId: string; quantity: number }[] };
      expect(body.items).toHaveLength(1);
      expect(ids.has(body.items[0]!.productId)).toBe(true);
      expect(body.items[0]!.quantity).toBe(1);
    }
    expect(keys.size).toBe(300);
  });

  it('when two streams have the same seed but another `unique`, then none of their Idempotency-Keys collide', () => {
    const keysOf = (unique: string, scenario: 'order' | 'journey') =>
      draw(requestStream(scenario, fixture, 5, unique), 60)
        .filter(isPost)
        .map((spec) => spec.headers!['Idempotency-Key']!);
    for (const scenario of ['order', 'journey'] as const) {
      const a = keysOf('run-a', scenario);
      const b = keysOf('run-b', scenario);
      expect(a.length).toBeGreaterThan(0);
      expect(new Set(a).size).toBe(a.length);
      expect(a.filter((k) => b.includes(k))).toEqual([]);
    }
  });

  it('when the fixture has no products, then asking for a product stream fails loudly', () => {
    expect(() => requestStream('product', { ...fixture, products: [] }, 1, 'u')()).toThrow('the fixture has no products');
  });
});

describe('sweepRequests (scripts/bench/scenarios.ts)', () => {
  it('when the scenario is product, then every product is listed exactly once', () => {
    const sweep = sweepRequests('product', fixture)!;
    expect(sweep).toHaveLength(products.length);
    expect(sweep.map(productIdOf).sort()).toEqual(products.map((p) => p.id).sort());
  });

  it('when the scenario writes (order, journey), then there is no sweep', () => {
    expect(sweepRequests('order', fixture)).toBeNull();
    expect(sweepRequests('journey', fixture)).toBeNull();
  });

  it('when the scenario is list, then it lists every category × sort × page × inStock once, with limit=24', () => {
    const sweep = sweepRequests('list', fixture)!;
    expect(sweep).toHaveLength(CATEGORIES.length * SORTS.length * 3 * 2);
    expect(new Set(sweep).size).toBe(sweep.length);
    for (const spec of sweep) {
      const url = new URL(spec as string, 'http://x');
      expect(url.pathname).toBe('/api/catalog/products');
      expect(CATEGORIES).toContain(url.searchParams.get('category'));
      expect(SORTS).toContain(url.searchParams.get('sort'));
      expect(['1', '2', '3']).toContain(url.searchParams.get('page'));
      expect(url.searchParams.get('limit')).toBe('24');
      expect([null, 'true']).toContain(url.searchParams.get('inStock'));
    }
  });

  it('when the scenario is search, then each fixture query is searched once, URL-encoded', () => {
    const sweep = sweepRequests('search', fixture)!;
    expect(sweep.map(searchQueryOf)).toEqual(fixture.queries);
    expect(sweep).toContain('/api/search?q=home%20audio');
  });
});

describe('searchQueries (scripts/bench/scenarios.ts)', () => {
  it('when asked for queries, then category words and prefixes come first, then brands or brand + model, without duplicates', () => {
    const queries = searchQueries(products, ['laptops', 'phones'], 12);
    expect(queries).toHaveLength(12);
    expect(new Set(queries).size).toBe(12);
    // 'laptops' (7 letters) → prefix of ceil(7/2) = 4; 'phones' (6) → 3.
    expect(queries.slice(0, 4)).toEqual(['laptops', 'lapt', 'phones', 'pho']);
    const allowed = new Set(products.flatMap((p) => [p.brand.toLowerCase(), `${p.brand} ${p.name.split(/\s+/)[1]}`.toLowerCase()]));
    for (const q of queries.slice(4)) expect(allowed.has(q)).toBe(true);
  });

  it('when a category has hyphens, then its words are searched with spaces', () => {
    expect(searchQueries(products, ['home-audio'], 20)).toContain('home audio');
  });

  it('when called twice with the same seed, then the queries are the same; another seed gives others', () => {
    const a = searchQueries(products, CATEGORIES, 40, 7);
    expect(searchQueries(products, CATEGORIES, 40, 7)).toEqual(a);
    expect(searchQueries(products, CATEGORIES, 40, 8)).not.toEqual(a);
  });

  it('when count is smaller than the category entries, then exactly count are returned', () => {
    expect(searchQueries(products, ['laptops', 'phones'], 3)).toEqual(['laptops', 'lapt', 'phones']);
  });

  it('when there are no products, then only the category entries come back', () => {
    expect(searchQueries([], ['laptops'], 50)).toEqual(['laptops', 'lapt']);
  });
});
