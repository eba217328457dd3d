import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedThroughApi, startCatalogForTest, type CatalogUnderTest } from './helpers.ts';

let app: CatalogUnderTest;
let productId: string;
let snapshot: unknown;

beforeAll(async () => {
  app = await startCatalogForTest();
  const ids = await seedThroughApi(app, [
    { sku: 'SAFE-1', name: 'Safe One', brand: 'Nordvik', category: 'laptops', priceCents: 1000 },
    { sku: 'SAFE-2', name: 'Safe Two', brand: 'Aurelia', category: 'laptops', priceCents: 2000 },
  ]);
  productId = ids['SAFE-1']!.id;
  snapshot = await dump();
});

afterAll(async () => {
  await app.stop();
});

/** Everything a hostile request could have changed. */
async function dump(): Promise<unknown> {
  const [products, categories, stock] = await Promise.all([
    app.models.Product.find({}).sort({ sku: 1 }).lean(),
    app.models.Category.find({}).sort({ slug: 1 }).lean(),
    app.models.Stock.find({}).lean(),
  ]);
  return JSON.parse(JSON.stringify({ products, categories, stock }));
}

const admin = () => ({ Authorization: `Bearer ${app.adminToken}` });

describe('malformed and oversized bodies', () => {
  it('when the JSON is malformed, then 400 INVALID_JSON', async () => {
    const res = await app.http().post('/api/catalog/products').set(admin()).set('Content-Type', 'application/json').send('{"sku": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_JSON');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('when the body is over 500 kb, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await app
      .http()
      .post('/api/catalog/products')
      .set(admin())
      .send({ sku: 'BIG-1', name: 'x', brand: 'b', category: 'laptops', priceCents: 1, description: 'a'.repeat(520 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when a field has the wrong type, then 400 naming the field', async () => {
    const res = await app
      .http()
      .post('/api/catalog/products')
      .set(admin())
      .send({ sku: 'T-1', name: 'x', brand: 'b', category: 'laptops', priceCents: '12.5' })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ location: 'body', field: 'priceCents' })]));
  });

  it('when the body is not JSON at all, then 415', async () => {
    await app.http().post('/api/catalog/products').set(admin()).set('Content-Type', 'text/plain').send('sku=1').expect(415);
  });
});

describe('MongoDB operators in bodies', () => {
  const payloads: [string, Record<string, unknown>][] = [
    ['$ne as a value', { sku: { $ne: null }, name: 'x', brand: 'b', category: 'laptops', priceCents: 1 }],
    ['$gt as a value', { sku: 'OP-1', name: { $gt: '' }, brand: 'b', category: 'laptops', priceCents: 1 }],
    ['$where as a key', { sku: 'OP-2', name: 'x', brand: 'b', category: 'laptops', priceCents: 1, $where: 'sleep(1000)' }],
    ['$nor as a key', { $nor: [{ sku: 'SAFE-1' }], sku: 'OP-3', name: 'x', brand: 'b', category: 'laptops', priceCents: 1 }],
    ['operator in a nested attribute', { sku: 'OP-4', name: 'x', brand: 'b', category: 'laptops', priceCents: 1, attributes: { $set: 1 } }],
    ['category as an operator', { sku: 'OP-5', name: 'x', brand: 'b', category: { $ne: 'x' }, priceCents: 1 }],
  ];

  it.each(payloads)('when creating with %s, then 400 and nothing is written', async (_label, body) => {
    const res = await app.http().post('/api/catalog/products').set(admin()).send(body);
    expect(res.status).toBe(400);
    expect(['VALIDATION_FAILED', 'FORBIDDEN_KEY']).toContain(res.body.error.code);
  });

  it('when patching with $set or $unset, then 400 and the product is unchanged', async () => {
    for (const body of [{ $set: { priceCents: 0 } }, { $unset: { name: 1 } }, { priceCents: { $inc: -1 } }, { 'rating.average': 5 }]) {
      const res = await app.http().patch(`/api/catalog/products/${productId}`).set(admin()).send(body);
      expect(res.status).toBe(400);
    }
  });

  it('when setting stock to an operator, then 400', async () => {
    const res = await app.http().put(`/api/catalog/products/${productId}/stock/ams-1`).set(admin()).send({ quantity: { $gt: 0 } });
    expect(res.status).toBe(400);
  });
});

describe('MongoDB operators and odd values in query strings and paths', () => {
  it.each([
    '/api/catalog/products?minPrice[$gt]=0',
    '/api/catalog/products?brand[$ne]=nobody',
    '/api/catalog/products?brand[$regex]=.*',
    '/api/catalog/products?$where=1',
    '/api/catalog/products?category[$ne]=x',
  ])('when requesting %s, then 400 FORBIDDEN_KEY', async (url) => {
    const res = await app.http().get(url);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('FORBIDDEN_KEY');
  });

  it('when an operator-looking string is a filter value, then it is matched literally', async () => {
    const res = await app.http().get('/api/catalog/products?brand=%7B%22%24ne%22%3Anull%7D').expect(200);
    expect(res.body).toMatchObject({ items: [], total: 0 });
    const regexLike = await app.http().get('/api/catalog/products?brand=.*').expect(200);
    expect(regexLike.body.total).toBe(0);
  });

  it('when a filter is repeated or of the wrong type, then 400 naming it', async () => {
    const repeated = await app.http().get('/api/catalog/products?brand=a&brand=b').expect(400);
    expect(repeated.body.error.details[0]).toMatchObject({ location: 'query', field: 'brand' });
    const wrong = await app.http().get('/api/catalog/products?minPrice=cheap').expect(400);
    expect(wrong.body.error.details[0]).toMatchObject({ field: 'minPrice' });
    await app.http().get('/api/catalog/products?sort=$natural').expect(400);
    await app.http().get('/api/catalog/products?page=0').expect(400);
    await app.http().get('/api/catalog/products?unknown=1').expect(400);
  });

  it('when ids and skus are malformed, then 400, never a cast error 500', async () => {
    for (const url of [
      '/api/catalog/products/123',
      '/api/catalog/products/zzzzzzzzzzzzzzzzzzzzzzzz',
      '/api/catalog/products/%7B%22%24ne%22%3Anull%7D',
      '/api/catalog/products/sku/%24ne',
      '/api/catalog/products/sku/' + 'A'.repeat(100),
      '/api/catalog/categories/NOT_A_SLUG',
    ]) {
      const res = await app.http().get(url);
      expect([400, 404]).toContain(res.status);
      expect(res.status).toBe(400);
    }
  });
});

describe('prototype pollution', () => {
  it('when a body carries __proto__ or constructor keys, then 400 and no prototype changes', async () => {
    const bodies = [
      '{"sku":"PP-1","name":"x","brand":"b","category":"laptops","priceCents":1,"__proto__":{"polluted":true}}',
      '{"sku":"PP-2","name":"x","brand":"b","category":"laptops","priceCents":1,"attributes":{"__proto__":{"polluted":true}}}',
      '{"sku":"PP-3","name":"x","brand":"b","category":"laptops","priceCents":1,"constructor":{"prototype":{"polluted":true}}}',
    ];
    for (const body of bodies) {
      const res = await app.http().post('/api/catalog/products').set(admin()).set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
    }
    const patched = await app
      .http()
      .patch(`/api/catalog/products/${productId}`)
      .set(admin())
      .set('Content-Type', 'application/json')
      .send('{"__proto__":{"priceCents":0}}');
    expect(patched.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).priceCents).toBeUndefined();
  });

  it('when a query string carries __proto__, then 400', async () => {
    await app.http().get('/api/catalog/products?__proto__[polluted]=1').expect(400);
    await app.http().get('/api/catalog/products?__proto__=1').expect(400);
  });
});

describe('after every hostile request above', () => {
  it('when the data is compared with before, then nothing changed', async () => {
    expect(await dump()).toEqual(snapshot);
  });
});
