import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedThroughApi, startCatalogForTest, type CatalogUnderTest } from './helpers.ts';

let app: CatalogUnderTest;
let ids: Record<string, { id: string }>;

const PRODUCTS = [
  { sku: 'LAP-1', name: 'Aero 14 Laptop', brand: 'Nordvik', category: 'laptops', priceCents: 129_900, popularity: 900 },
  { sku: 'LAP-2', name: 'Aero 16 Laptop', brand: 'Nordvik', category: 'laptops', priceCents: 189_900, popularity: 500 },
  { sku: 'LAP-3', name: 'Slate 13 Laptop', brand: 'Aurelia', category: 'laptops', priceCents: 99_900, popularity: 700 },
  { sku: 'COF-1', name: 'Dark Roast Beans', brand: 'Kettlewood', category: 'coffee', priceCents: 1_499, popularity: 1000 },
  { sku: 'COF-2', name: 'Light Roast Beans', brand: 'Kettlewood', category: 'coffee', priceCents: 1_299, popularity: 300 },
];

beforeAll(async () => {
  app = await startCatalogForTest();
  ids = await seedThroughApi(app, PRODUCTS);
  await app
    .http()
    .put(`/api/catalog/products/${ids['LAP-1']!.id}/stock/ams-1`)
    .set('Authorization', `Bearer ${app.adminToken}`)
    .send({ quantity: 5 })
    .expect(200);
});

afterAll(async () => {
  await app.stop();
});

const skus = (body: { items: { sku: string }[] }): string[] => body.items.map((item) => item.sku);

describe('listing products', () => {
  it('when listing without filters, then products come by popularity with a total', async () => {
    const res = await app.http().get('/api/catalog/products').expect(200);
    expect(skus(res.body)).toEqual(['COF-1', 'LAP-1', 'LAP-3', 'LAP-2', 'COF-2']);
    expect(res.body).toMatchObject({ page: 1, limit: 20, total: 5, hasMore: false });
    expect(res.body.items[0]).not.toHaveProperty('description');
  });

  it('when filtering by category and price range, then only matching products come back', async () => {
    const res = await app.http().get('/api/catalog/products?category=laptops&minPrice=100000&maxPrice=150000').expect(200);
    expect(skus(res.body)).toEqual(['LAP-1']);
  });

  it('when filtering by brand and sorting by price, then they come cheapest first', async () => {
    const res = await app.http().get('/api/catalog/products?brand=Kettlewood&sort=price').expect(200);
    expect(skus(res.body)).toEqual(['COF-2', 'COF-1']);
    const desc = await app.http().get('/api/catalog/products?category=laptops&sort=-price').expect(200);
    expect(skus(desc.body)).toEqual(['LAP-2', 'LAP-1', 'LAP-3']);
  });

  it('when filtering in-stock products, then only products with stock come back', async () => {
    const res = await app.http().get('/api/catalog/products?inStock=true').expect(200);
    expect(skus(res.body)).toEqual(['LAP-1']);
    expect(res.body.items[0]).toMatchObject({ inStock: true, stockTotal: 5 });
    const out = await app.http().get('/api/catalog/products?inStock=false').expect(200);
    expect(out.body.total).toBe(4);
  });

  it('when paginating, then pages do not overlap and hasMore tells when to stop', async () => {
    const first = await app.http().get('/api/catalog/products?limit=2&page=1').expect(200);
    const second = await app.http().get('/api/catalog/products?limit=2&page=2').expect(200);
    const third = await app.http().get('/api/catalog/products?limit=2&page=3').expect(200);
    expect(first.body.hasMore).toBe(true);
    expect(third.body.hasMore).toBe(false);
    const all = [...skus(first.body), ...skus(second.body), ...skus(third.body)];
    expect(new Set(all).size).toBe(5);
  });

  it('when asking for limit=100000, then the page size is capped at 100', async () => {
    const res = await app.http().get('/api/catalog/products?limit=100000').expect(200);
    expect(res.body.limit).toBe(100);
  });

  it('when the category does not exist, then the listing is empty, not an error', async () => {
    const res = await app.http().get('/api/catalog/products?category=no-such-thing').expect(200);
    expect(res.body).toMatchObject({ items: [], total: 0 });
  });
});

describe('reading one product', () => {
  it('when fetching by id and by sku, then both return the same full product', async () => {
    const byId = await app.http().get(`/api/catalog/products/${ids['LAP-3']!.id}`).expect(200);
    const bySku = await app.http().get('/api/catalog/products/sku/LAP-3').expect(200);
    expect(byId.body).toEqual(bySku.body);
    expect(byId.body).toMatchObject({ sku: 'LAP-3', brand: 'Aurelia', priceCents: 99_900, description: '' });
  });

  it('when the product does not exist, then 404 with code NOT_FOUND', async () => {
    const res = await app.http().get('/api/catalog/products/0123456789abcdef01234567').expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    await app.http().get('/api/catalog/products/sku/NOPE-1').expect(404);
  });

  it('when the id is not an ObjectId, then 400 naming the field', async () => {
    const res = await app.http().get('/api/catalog/products/not-an-id').expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.body.error.details[0]).toMatchObject({ location: 'params', field: 'id' });
  });
});

describe('admin writes', () => {
  const newProduct = { sku: 'NEW-1', name: 'New Thing', brand: 'Nordvik', category: 'laptops', priceCents: 5_000 };

  it('when writing without a token, then 401', async () => {
    const res = await app.http().post('/api/catalog/products').send(newProduct).expect(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('when writing with a forged or expired token, then 401', async () => {
    await app.http().post('/api/catalog/products').set('Authorization', 'Bearer abc.def.ghijklmnop').send(newProduct).expect(401);
  });

  it('when a customer writes, then 403 and nothing changes', async () => {
    const res = await app
      .http()
      .post('/api/catalog/products')
      .set('Authorization', `Bearer ${app.customerToken}`)
      .send(newProduct)
      .expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    await app.http().get('/api/catalog/products/sku/NEW-1').expect(404);
  });

  it('when an admin creates a product, then it can be read back', async () => {
    const created = await app
      .http()
      .post('/api/catalog/products')
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ ...newProduct, attributes: { color: 'red', weightKg: 1.2 } })
      .expect(201);
    expect(created.body).toMatchObject({ sku: 'NEW-1', currency: 'USD', stockTotal: 0, inStock: false });
    const read = await app.http().get(`/api/catalog/products/${created.body.id}`).expect(200);
    expect(read.body).toEqual(created.body);
  });

  it('when creating a duplicate sku, then 409 and the original is untouched', async () => {
    const res = await app
      .http()
      .post('/api/catalog/products')
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ ...PRODUCTS[0], name: 'Impostor' })
      .expect(409);
    expect(res.body.error.code).toBe('DUPLICATE');
    const original = await app.http().get('/api/catalog/products/sku/LAP-1').expect(200);
    expect(original.body.name).toBe('Aero 14 Laptop');
  });

  it('when creating in an unknown category, then 422', async () => {
    const res = await app
      .http()
      .post('/api/catalog/products')
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ ...newProduct, sku: 'NEW-2', category: 'ghosts' })
      .expect(422);
    expect(res.body.error.code).toBe('UNKNOWN_CATEGORY');
  });

  it('when an admin patches a product, then only the given fields change', async () => {
    const id = ids['COF-2']!.id;
    const res = await app
      .http()
      .patch(`/api/catalog/products/${id}`)
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ priceCents: 1_199 })
      .expect(200);
    expect(res.body).toMatchObject({ sku: 'COF-2', priceCents: 1_199, name: 'Light Roast Beans' });
  });

  it('when an admin deletes a product, then it is gone with its stock', async () => {
    const created = await app
      .http()
      .post('/api/catalog/products')
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ ...newProduct, sku: 'DEL-1' })
      .expect(201);
    await app
      .http()
      .put(`/api/catalog/products/${created.body.id}/stock/ams-1`)
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ quantity: 3 })
      .expect(200);
    await app.http().delete(`/api/catalog/products/${created.body.id}`).set('Authorization', `Bearer ${app.adminToken}`).expect(204);
    await app.http().get(`/api/catalog/products/${created.body.id}`).expect(404);
    expect(await app.models.Stock.countDocuments({ productId: created.body.id })).toBe(0);
  });
});

describe('stock', () => {
  it('when stock is set in two warehouses and changed, then the product total follows exactly', async () => {
    const id = ids['LAP-2']!.id;
    const put = (warehouse: string, quantity: number) =>
      app
        .http()
        .put(`/api/catalog/products/${id}/stock/${warehouse}`)
        .set('Authorization', `Bearer ${app.adminToken}`)
        .send({ quantity })
        .expect(200);
    await put('ams-1', 10);
    await put('fra-1', 7);
    await put('ams-1', 4);
    const stock = await app.http().get(`/api/catalog/products/${id}/stock`).expect(200);
    expect(stock.body.total).toBe(11);
    expect(stock.body.warehouses.map((w: { warehouse: string; quantity: number }) => [w.warehouse, w.quantity])).toEqual([
      ['ams-1', 4],
      ['fra-1', 7],
    ]);
    const product = await app.http().get(`/api/catalog/products/${id}`).expect(200);
    expect(product.body).toMatchObject({ stockTotal: 11, inStock: true });
  });

  it('when 20 stock updates race on one product, then the total equals the sum of the final rows', async () => {
    const id = ids['COF-1']!.id;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app
          .http()
          .put(`/api/catalog/products/${id}/stock/wh-${i % 4}`)
          .set('Authorization', `Bearer ${app.adminToken}`)
          .send({ quantity: i + 1 })
          .expect(200),
      ),
    );
    const stock = await app.http().get(`/api/catalog/products/${id}/stock`).expect(200);
    const product = await app.http().get(`/api/catalog/products/${id}`).expect(200);
    expect(product.body.stockTotal).toBe(stock.body.total);
  });

  it('when a customer sets stock or the quantity is negative, then 403 / 400', async () => {
    const id = ids['LAP-3']!.id;
    await app.http().put(`/api/catalog/products/${id}/stock/ams-1`).set('Authorization', `Bearer ${app.customerToken}`).send({ quantity: 1 }).expect(403);
    const res = await app
      .http()
      .put(`/api/catalog/products/${id}/stock/ams-1`)
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ quantity: -1 })
      .expect(400);
    expect(res.body.error.details[0]).toMatchObject({ location: 'body', field: 'quantity' });
  });
});

describe('categories', () => {
  it('when listing categories, then they come by name', async () => {
    const res = await app.http().get('/api/catalog/categories').expect(200);
    expect(res.body.items.map((c: { slug: string }) => c.slug)).toEqual(['coffee', 'laptops']);
    await app.http().get('/api/catalog/categories/coffee').expect(200);
  });
});
