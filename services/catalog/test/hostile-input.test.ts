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

/** The names issue 21 reported as accepted and stored, and one holding a NUL. */
const ISSUE_NAMES = ['\u001cý¥\u0017', 'B\u001b…\u0001…', 'Lamp\u0000'];

/** One of each kind of character the text rule refuses, with what it is. */
const NOT_TEXT: [string, string][] = [
  ['NUL', 'a\u0000b'],
  ['ESC (C0)', 'a\u001b[31mred'],
  ['DEL', 'a\u007fb'],
  ['CSI (C1)', 'a\u009b31mred'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', 'a\udc00b'],
  ['noncharacter U+FDD0', 'a\ufdd0b'],
  ['noncharacter U+FFFE', 'a\ufffeb'],
  ['noncharacter U+10FFFF', 'a\udbff\udfffb'],
];

const validProduct = (sku: string): Record<string, unknown> => ({ sku, name: 'Text Lamp', brand: 'Nordvik', category: 'laptops', priceCents: 1 });

describe('text fields refuse what is not text', () => {
  it.each(ISSUE_NAMES.map((name) => [JSON.stringify(name), name]))('when an admin creates a category named %s, then 400 VALIDATION_FAILED naming "name"', async (_label, name) => {
    const res = await app.http().post('/api/catalog/categories').set(admin()).send({ slug: 'not-text', name });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([expect.objectContaining({ location: 'body', field: 'name', message: expect.stringMatching(/control characters/) })]);
  });

  it.each(NOT_TEXT)('when a product name holds a %s, then 400 VALIDATION_FAILED naming "name"', async (_label, name) => {
    const res = await app.http().post('/api/catalog/products').set(admin()).send({ ...validProduct('NOT-TEXT-1'), name });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'name' })]);
  });

  it('when any text field of a product holds an ESC, then 400 naming that field, on create and on patch', async () => {
    const fields: [string, Record<string, unknown>][] = [
      ['description', { description: 'two\nlines, \u001b[2J cleared' }],
      ['brand', { brand: 'Nord\u001bvik' }],
      ['attributes.color', { attributes: { color: 'red\u001b' } }],
      ['images.0.alt', { images: [{ url: '/img/a.webp', alt: 'a\u001bb' }] }],
      ['images.0.url', { images: [{ url: '/img/a\u001b.webp' }] }],
    ];
    for (const [field, change] of fields) {
      const created = await app.http().post('/api/catalog/products').set(admin()).send({ ...validProduct('NOT-TEXT-2'), ...change });
      expect({ field, status: created.status, details: created.body.error?.details }).toEqual({ field, status: 400, details: [expect.objectContaining({ field })] });
      const patched = await app.http().patch(`/api/catalog/products/${productId}`).set(admin()).send(change);
      expect({ field, status: patched.status, details: patched.body.error?.details }).toEqual({ field, status: 400, details: [expect.objectContaining({ field })] });
    }
  });

  it('when a one-line field holds a tab or a newline, then 400; a description may hold them', async () => {
    for (const name of ['Text\tLamp', 'Text\nLamp', 'Text\r\nLamp']) {
      const res = await app.http().post('/api/catalog/products').set(admin()).send({ ...validProduct('NOT-TEXT-3'), name });
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
    }
    const carriageReturn = await app.http().post('/api/catalog/products').set(admin()).send({ ...validProduct('NOT-TEXT-3'), description: 'one\r\ntwo' });
    expect(carriageReturn.status).toBe(400);
  });

  it('when a listing is filtered by a brand holding a control character, then 400 naming "brand"', async () => {
    for (const brand of ['%00', 'Nord%1Bvik', 'Nord%C2%9Bvik', 'Nord%EF%BF%BEvik']) {
      const res = await app.http().get(`/api/catalog/products?brand=${brand}`);
      expect({ brand, status: res.status, field: res.body.error?.details?.[0]?.field }).toEqual({ brand, status: 400, field: 'brand' });
    }
  });
});

describe('after every hostile request above', () => {
  it('when the data is compared with before, then nothing changed', async () => {
    expect(await dump()).toEqual(snapshot);
  });
});

describe('text is stored in NFC (after the comparison above: these writes are meant to land)', () => {
  it('when a category and a product arrive in decomposed form ("e" + U+0301), then they are stored and answered composed ("é")', async () => {
    const category = await app.http().post('/api/catalog/categories').set(admin()).send({ slug: 'cafe', name: 'Cafe\u0301' });
    expect(category.status).toBe(201);
    expect(category.body.name).toBe('Caf\u00e9');
    const created = await app
      .http()
      .post('/api/catalog/products')
      .set(admin())
      .send({ ...validProduct('NFC-1'), name: 'Cre\u0300me bru\u0302le\u0301e', brand: 'Ame\u0301lie', description: 'Tre\u0300s\n\tbien', attributes: { finish: 'mate\u0301' }, images: [{ url: '/img/creme.webp', alt: 'Cre\u0300me' }] });
    expect(created.status).toBe(201);
    const stored = await app.models.Product.findById(created.body.id).lean();
    expect(stored).toMatchObject({ name: 'Cr\u00e8me br\u00fbl\u00e9e', brand: 'Am\u00e9lie', description: 'Tr\u00e8s\n\tbien', attributes: { finish: 'mat\u00e9' }, images: [{ alt: 'Cr\u00e8me' }] });
    const filtered = await app.http().get('/api/catalog/products?brand=Ame%CC%81lie').expect(200);
    expect(filtered.body.items.map((p: { sku: string }) => p.sku)).toEqual(['NFC-1']);
  });

  it('when a name is at its 120-character limit only once composed, then it is accepted: lengths count the stored form', async () => {
    const res = await app.http().post('/api/catalog/categories').set(admin()).send({ slug: 'long-composed', name: 'e\u0301'.repeat(120) });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('\u00e9'.repeat(120));
  });
});
