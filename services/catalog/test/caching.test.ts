import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedThroughApi, startCatalogForTest, type CatalogUnderTest } from './helpers.ts';

let app: CatalogUnderTest;
let ids: Record<string, { id: string }>;

beforeAll(async () => {
  app = await startCatalogForTest();
  ids = await seedThroughApi(app, [
    { sku: 'C-1', name: 'Cached One', brand: 'Nordvik', category: 'laptops', priceCents: 1000, popularity: 10 },
    { sku: 'C-2', name: 'Cached Two', brand: 'Nordvik', category: 'laptops', priceCents: 2000, popularity: 5 },
  ]);
});

afterAll(async () => {
  await app.stop();
});

const admin = () => ({ Authorization: `Bearer ${app.adminToken}` });

describe('catalog reads through the cache', () => {
  it('when a product is read twice, then MISS then HIT-FAST (the fast lane, from L1) with an ETag, and 304 on revalidation', async () => {
    const url = `/api/catalog/products/${ids['C-1']!.id}`;
    const first = await app.http().get(url).expect(200);
    const second = await app.http().get(url).expect(200);
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT-FAST']);
    expect(second.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=60');
    await app.http().get(url).set('If-None-Match', second.headers.etag!).expect(304);
  });

  it('when an admin updates a product, then its detail and the listings show the change at once', async () => {
    const id = ids['C-2']!.id;
    await app.http().get(`/api/catalog/products/${id}`).expect(200);
    await app.http().get('/api/catalog/products/sku/C-2').expect(200);
    await app.http().get('/api/catalog/products?category=laptops').expect(200);
    await app.http().patch(`/api/catalog/products/${id}`).set(admin()).send({ name: 'Renamed Two', popularity: 99 }).expect(200);
    const detail = await app.http().get(`/api/catalog/products/${id}`).expect(200);
    const bySku = await app.http().get('/api/catalog/products/sku/C-2').expect(200);
    const list = await app.http().get('/api/catalog/products?category=laptops').expect(200);
    expect(detail.body.name).toBe('Renamed Two');
    expect(bySku.body.name).toBe('Renamed Two');
    expect(list.body.items[0]).toMatchObject({ sku: 'C-2', name: 'Renamed Two' });
    expect(detail.headers['x-cache']).toBe('MISS');
  });

  it('when stock changes, then the product and its stock are fresh and unrelated entries stay cached', async () => {
    const id = ids['C-1']!.id;
    const other = `/api/catalog/products/${ids['C-2']!.id}`;
    await app.http().get(other).expect(200);
    await app.http().get(`/api/catalog/products/${id}/stock`).expect(200);
    await app.http().put(`/api/catalog/products/${id}/stock/ams-1`).set(admin()).send({ quantity: 4 }).expect(200);
    const stock = await app.http().get(`/api/catalog/products/${id}/stock`).expect(200);
    const product = await app.http().get(`/api/catalog/products/${id}`).expect(200);
    expect(stock.body.total).toBe(4);
    expect(product.body).toMatchObject({ stockTotal: 4, inStock: true });
    expect((await app.http().get(other)).headers['x-cache']).toBe('HIT-FAST');
  });

  it('when a product leaves stock, then in-stock listings drop it', async () => {
    const id = ids['C-1']!.id;
    const before = await app.http().get('/api/catalog/products?inStock=true').expect(200);
    expect(before.body.items.map((p: { sku: string }) => p.sku)).toContain('C-1');
    await app.http().put(`/api/catalog/products/${id}/stock/ams-1`).set(admin()).send({ quantity: 0 }).expect(200);
    const after = await app.http().get('/api/catalog/products?inStock=true').expect(200);
    expect(after.body.items.map((p: { sku: string }) => p.sku)).not.toContain('C-1');
  });

  it('when a new product is created, then listings include it', async () => {
    await app.http().get('/api/catalog/products?brand=Nordvik').expect(200);
    await app
      .http()
      .post('/api/catalog/products')
      .set(admin())
      .send({ sku: 'C-3', name: 'Third', brand: 'Nordvik', category: 'laptops', priceCents: 1 })
      .expect(201);
    const list = await app.http().get('/api/catalog/products?brand=Nordvik').expect(200);
    expect(list.body.items.map((p: { sku: string }) => p.sku)).toContain('C-3');
  });

  it('when a client sends X-Forwarded-Host, then it neither splits nor poisons the cache', async () => {
    const url = '/api/catalog/products?sort=price&limit=5';
    const evil = await app.http().get(url).set('X-Forwarded-Host', 'evil.example').expect(200);
    const normal = await app.http().get(url).expect(200);
    expect(normal.headers['x-cache']).toBe('HIT-FAST');
    expect(JSON.stringify(normal.body)).toBe(JSON.stringify(evil.body));
    expect(JSON.stringify(normal.body)).not.toContain('evil.example');
  });

  it('when a list over 1 KB is asked for with br, then the stored brotli bytes come back', async () => {
    for (let i = 0; i < 6; i++) {
      await app
        .http()
        .post('/api/catalog/products')
        .set(admin())
        .send({ sku: `BR-${i}`, name: `Brotli Test Product Number ${i} With A Long Name`, brand: 'Aurelia', category: 'laptops', priceCents: 500 + i })
        .expect(201);
    }
    const raw = (accept: string) =>
      app
        .http()
        .get('/api/catalog/products?brand=Aurelia')
        .set('Accept-Encoding', accept)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        });
    const identity = await raw('identity');
    const br = await raw('br');
    expect((identity.body as Buffer).length).toBeGreaterThan(1024);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['x-cache']).toBe('HIT-FAST');
    // superagent decodes brotli on arrival, so compare what went over the wire.
    expect(Number(br.headers['content-length'])).toBeLessThan((identity.body as Buffer).length * 0.25);
    expect(br.headers.vary).toContain('Accept-Encoding');
  });
});

describe('input checked before the cache', () => {
  it('when a read is invalid, then it is refused with 400 before any cache lookup, and occupies no key', async () => {
    const before = app.server.cache.counters.snapshot();
    const invalid = [
      '/api/catalog/products?limit=abc',
      '/api/catalog/products?sort=nope',
      '/api/catalog/products?unknown=1',
      '/api/catalog/products/NOT-AN-ID',
      '/api/catalog/products/NOT-AN-ID/stock',
      '/api/catalog/categories/Not_A_Slug',
    ];
    for (const url of invalid) {
      for (const method of ['get', 'head'] as const) {
        const res = await app.http()[method](url).expect(400);
        expect(res.headers['x-cache']).toBeUndefined();
      }
    }
    const after = app.server.cache.counters.snapshot();
    expect({ misses: after.misses, hits: after.hits }).toEqual({ misses: before.misses, hits: before.hits });
  });
});
