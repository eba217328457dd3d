/**
 * The benchmark's scenarios (issue P8, BRIEF §5): what a request of each looks like, drawn from a
 * fixture of real ids taken from the bench database. The same seed gives the same request stream
 * for every reference point, so ceiling, before and after answer the same questions.
 */
import { mulberry32 } from '@shop/catalog/demo-data';
import type { RequestSpec } from '../lib/open-loop.ts';

export const SCENARIOS = ['product', 'list', 'search', 'order', 'journey'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const SCENARIO_LABELS: Record<Scenario, string> = {
  product: 'product GET (Zipf 1.0 over the catalog)',
  list: 'list with filters',
  search: 'search',
  order: 'create order',
  journey: 'journey: search → product → order',
};

/** What the scenarios draw from: written once per run by the orchestrator, read by the load process. */
export interface Fixture {
  products: { id: string; brand: string; name: string }[];
  categories: string[];
  brands: string[];
  queries: string[];
  /** A customer token the after and before points both accept. */
  token: string;
}

/** Zipf(s) over ranks 0..n-1: rank 0 most likely, P(k) ∝ 1/(k+1)^s. */
export function zipfSampler(n: number, s: number, rng: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / Math.pow(k + 1, s);
    cdf[k] = sum;
  }
  return () => {
    const target = rng() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? 0) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const SORTS = ['popularity', 'price', '-price', 'newest'];

/** Search words a shopper types: brands, the model word of a name, category words and their prefixes. */
export function searchQueries(products: Fixture['products'], categories: string[], count: number, seed = 7): string[] {
  const rng = mulberry32(seed);
  const queries = new Set<string>();
  for (const c of categories) {
    const word = c.replace(/-/g, ' ');
    queries.add(word);
    queries.add(word.slice(0, Math.max(3, Math.ceil(word.length / 2))).trim());
  }
  for (let i = 0; queries.size < count && i < count * 20; i++) {
    const p = products[Math.floor(rng() * products.length)];
    if (!p) break;
    const words = p.name.split(/\s+/);
    const model = words[1] ?? words[0] ?? p.brand;
    queries.add(rng() < 0.5 ? p.brand.toLowerCase() : `${p.brand} ${model}`.toLowerCase());
  }
  return [...queries].slice(0, count);
}

/**
 * Every distinct GET a scenario can make, once: the warm-up of a long-running shop, whose caches
 * have seen its catalog (BRIEF §5: hit ratio "after warm-up"). Null for writes.
 */
export function sweepRequests(scenario: Scenario, fixture: Fixture): RequestSpec[] | null {
  switch (scenario) {
    case 'product':
      return fixture.products.map((p) => `/api/catalog/products/${p.id}`);
    case 'list':
      return fixture.categories.flatMap((category) =>
        SORTS.flatMap((sort) =>
          [1, 2, 3].flatMap((page) => ['', '&inStock=true'].map((extra) => `/api/catalog/products?${new URLSearchParams({ category, sort, page: String(page), limit: '24' })}${extra}`)),
        ),
      );
    case 'search':
      return fixture.queries.map((q) => `/api/search?q=${encodeURIComponent(q)}`);
    default:
      return null;
  }
}

/** The request stream of one scenario. `unique` makes each order's Idempotency-Key distinct across processes and runs. */
export function requestStream(scenario: Scenario, fixture: Fixture, seed: number, unique: string): () => RequestSpec {
  const rng = mulberry32(seed);
  const products = fixture.products;
  // Popularity ranks are a fixed shuffle of the catalog, not its stored order.
  const rankToProduct = products.map((_, i) => i);
  const shuffle = mulberry32(11);
  for (let i = rankToProduct.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [rankToProduct[i], rankToProduct[j]] = [rankToProduct[j] ?? 0, rankToProduct[i] ?? 0];
  }
  const zipfProduct = zipfSampler(products.length, 1.0, rng);
  const zipfQuery = zipfSampler(fixture.queries.length, 1.0, rng);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;
  let orders = 0;
  const productAt = (rank: number) => {
    const product = products[rankToProduct[rank] ?? 0];
    if (!product) throw new Error('the fixture has no products');
    return product;
  };

  const productGet = (id: string): RequestSpec => `/api/catalog/products/${id}`;
  const search = (q: string): RequestSpec => `/api/search?q=${encodeURIComponent(q)}`;
  const order = (productId: string): RequestSpec => ({
    method: 'POST',
    path: '/api/orders',
    headers: {
      Authorization: `Bearer ${fixture.token}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': `bench-${unique}-${orders++}`,
    },
    body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
  });

  switch (scenario) {
    case 'product':
      return () => productGet(productAt(zipfProduct()).id);
    case 'list':
      return () => {
        const query = new URLSearchParams({ category: pick(fixture.categories), sort: pick(SORTS), page: String(1 + Math.floor(rng() * 3)), limit: '24' });
        if (rng() < 0.3) query.set('inStock', 'true');
        return `/api/catalog/products?${query}`;
      };
    case 'search':
      return () => search(fixture.queries[zipfQuery()] ?? 'laptop');
    case 'order':
      return () => order(pick(products).id);
    case 'journey': {
      // search for a product's brand and model, open it, order it; then the next shopper.
      let step = 0;
      let current = productAt(0);
      return () => {
        const at = step++ % 3;
        if (at === 0) {
          current = productAt(zipfProduct());
          const model = current.name.split(/\s+/)[1] ?? '';
          return search(`${current.brand} ${model}`.trim().toLowerCase());
        }
        return at === 1 ? productGet(current.id) : order(current.id);
      };
    }
  }
}
