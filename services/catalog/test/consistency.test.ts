import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCatalog } from '../src/data-access/seed-catalog.ts';
import { seedThroughApi, startCatalogForTest, type CatalogUnderTest } from './helpers.ts';

let app: CatalogUnderTest;

beforeAll(async () => {
  app = await startCatalogForTest({ RATE_LIMIT_MAX: '100000' });
});

afterAll(async () => {
  await app.stop();
});

const admin = () => ({ Authorization: `Bearer ${app.adminToken}` });

async function totalsMatchRows(): Promise<boolean> {
  const [products, rows] = await Promise.all([app.models.Product.find({}, { stockTotal: 1 }).lean(), app.models.Stock.find({}).lean()]);
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(String(row.productId), (sums.get(String(row.productId)) ?? 0) + row.quantity);
  return products.every((p) => p.stockTotal === (sums.get(String(p._id)) ?? 0));
}

describe('stock and product consistency', () => {
  it('when a product is deleted while its stock is being set, then no stock row outlives it', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const ids = await seedThroughApi(app, [
        { sku: `RACE-${trial}`, name: 'Racer', brand: 'Nordvik', category: trial === 0 ? 'race' : 'race', priceCents: 1 },
      ].map((p) => ({ ...p, category: `race-${trial}` })));
      const id = ids[`RACE-${trial}`]!.id;
      const statuses = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) =>
          app.http().put(`/api/catalog/products/${id}/stock/wh-${i}`).set(admin()).send({ quantity: 5 }).then((r) => r.status),
        ),
        app.http().delete(`/api/catalog/products/${id}`).set(admin()).then((r) => r.status),
      ]);
      expect(statuses.every((s) => s === 200 || s === 204 || s === 404)).toBe(true);
      expect(await app.models.Stock.countDocuments({ productId: id })).toBe(0);
    }
  });

  it('when the demo data is seeded again after edits, then the edits stay and totals equal the rows', async () => {
    await seedCatalog(app.models, { products: 30 });
    const product = await app.models.Product.findOne({ sku: { $regex: '^LAP-' } }).lean();
    const id = String(product!._id);
    await app.http().patch(`/api/catalog/products/${id}`).set(admin()).send({ priceCents: 7 }).expect(200);
    await app.http().put(`/api/catalog/products/${id}/stock/extra-1`).set(admin()).send({ quantity: 100 }).expect(200);
    const before = await app.models.Product.countDocuments();
    await seedCatalog(app.models, { products: 30 });
    expect(await app.models.Product.countDocuments()).toBe(before);
    const after = await app.models.Product.findById(id).lean();
    expect(after!.priceCents).toBe(7);
    expect(await totalsMatchRows()).toBe(true);
    await seedCatalog(app.models, { products: 40 });
    expect(await app.models.Product.countDocuments()).toBe(before + 10);
    expect(await totalsMatchRows()).toBe(true);
  });
});

describe('rate limit exemptions', () => {
  it('when a catalog path merely ends in /health, then it is rate limited like any other', async () => {
    const res = await app.http().get('/api/catalog/products/sku/health').expect(404);
    expect(res.headers.ratelimit).toBeDefined();
    const probe = await app.http().get('/api/catalog/health').expect(200);
    expect(probe.headers.ratelimit).toBeUndefined();
  });
});
