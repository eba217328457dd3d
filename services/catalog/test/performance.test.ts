import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedThroughApi, startCatalogForTest, type CatalogUnderTest } from './helpers.ts';

let app: CatalogUnderTest;
let productId: string;

beforeAll(async () => {
  app = await startCatalogForTest();
  const ids = await seedThroughApi(app, [{ sku: 'PERF-1', name: 'Perf One', brand: 'Nordvik', category: 'laptops', priceCents: 100 }]);
  productId = ids['PERF-1']!.id;
}, 60_000);

afterAll(async () => {
  await app.stop();
});

interface Summary {
  services: { service: string; requests: number; errorRate: number; latencyMs: { p50: number; p95: number; p99: number } | null; cache: { lookups: number; hitRate: number | null; fastHitRate: number | null; l1HitRate: number | null } }[];
  slowQueries: unknown[];
  webVitals: Record<string, { samples: number; p75: number }>;
}

describe('GET /api/performance/metrics', () => {
  it('when it is asked without a token or by a customer, then it is refused', async () => {
    await app.http().get('/api/performance/metrics').expect(401);
    await app.http().get('/api/performance/metrics').set('Authorization', `Bearer ${app.customerToken}`).expect(403);
  });

  it('when the catalog has served reads, then an admin gets its percentiles, error rate and cache hit rates', async () => {
    for (let i = 0; i < 10; i++) await app.http().get(`/api/catalog/products/${productId}`).expect(200);
    const res = await app.http().get('/api/performance/metrics').set('Authorization', `Bearer ${app.adminToken}`).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.body as Summary;
    expect(body.services.map((s) => s.service)).toEqual(['catalog', 'order', 'search']);
    const catalog = body.services[0]!;
    expect(catalog.requests).toBeGreaterThanOrEqual(10);
    expect(catalog.errorRate).toBe(0);
    expect(catalog.latencyMs?.p95).toBeGreaterThan(0);
    // Milliseconds, not seconds or microseconds: ten local reads, nine of them cache hits.
    expect(catalog.latencyMs!.p50).toBeLessThan(100);
    // 10 reads of one product: one miss, then hits.
    expect(catalog.cache.lookups).toBeGreaterThanOrEqual(10);
    expect(catalog.cache.hitRate).toBeGreaterThanOrEqual(0.8);
    // The repeats after the first hit through Express are answered by the fast lane.
    expect(catalog.cache.fastHitRate).toBeGreaterThanOrEqual(0.7);
    expect(Array.isArray(body.slowQueries)).toBe(true);
  });
});

describe('POST /api/performance/vitals', () => {
  it('when a page reports LCP, INP and CLS, then 202 and the summary shows their p75', async () => {
    for (const lcp of [800, 1_200, 1_600, 2_000]) {
      await app
        .http()
        .post('/api/performance/vitals')
        .send({ page: 'listing', metrics: [{ name: 'LCP', value: lcp }, { name: 'INP', value: 80 }, { name: 'CLS', value: 0.02 }] })
        .expect(202, { accepted: 3 });
    }
    const body = (await app.http().get('/api/performance/metrics').set('Authorization', `Bearer ${app.adminToken}`).expect(200)).body as Summary;
    expect(body.webVitals.LCP?.samples).toBe(4);
    expect(body.webVitals.LCP!.p75).toBeGreaterThan(1_000);
    expect(body.webVitals.LCP!.p75).toBeLessThanOrEqual(2_000);
    expect(body.webVitals.INP?.samples).toBe(4);
    expect(body.webVitals.CLS?.p75).toBeLessThanOrEqual(0.025);
  });

  it.each([
    ['an unknown metric', { page: 'listing', metrics: [{ name: 'TTI', value: 1 }] }],
    ['a negative timing', { page: 'listing', metrics: [{ name: 'LCP', value: -1 }] }],
    ['a timing over a minute', { page: 'listing', metrics: [{ name: 'INP', value: 60_001 }] }],
    ['a CLS over 10', { page: 'product', metrics: [{ name: 'CLS', value: 11 }] }],
    ['an unknown page', { page: '/admin', metrics: [{ name: 'LCP', value: 1 }] }],
    ['no readings', { page: 'listing', metrics: [] }],
    ['nine readings', { page: 'listing', metrics: Array.from({ length: 9 }, () => ({ name: 'LCP', value: 1 })) }],
    ['an extra field', { page: 'listing', metrics: [{ name: 'LCP', value: 1, url: 'https://x' }] }],
    ['a string value', { page: 'listing', metrics: [{ name: 'LCP', value: '1' }] }],
  ])('when a beacon carries %s, then it is refused with 400', async (_what, body) => {
    const res = await app.http().post('/api/performance/vitals').send(body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when a beacon carries an operator or prototype key, then it is refused and nothing is recorded', async () => {
    const before = ((await app.http().get('/api/performance/metrics').set('Authorization', `Bearer ${app.adminToken}`)).body as Summary).webVitals.LCP?.samples ?? 0;
    await app.http().post('/api/performance/vitals').set('Content-Type', 'application/json').send('{"page":"listing","metrics":[{"name":"LCP","value":{"$gt":0}}]}').expect(400);
    await app.http().post('/api/performance/vitals').set('Content-Type', 'application/json').send('{"page":"listing","__proto__":{"x":1},"metrics":[{"name":"LCP","value":5}]}').expect(400);
    const after = ((await app.http().get('/api/performance/metrics').set('Authorization', `Bearer ${app.adminToken}`)).body as Summary).webVitals.LCP?.samples ?? 0;
    expect(after).toBe(before);
  });
});
