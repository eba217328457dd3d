import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectRedis, createLogger, createRedis } from '@shop/service-kit';
import { freePort } from '../../../scripts/lib/redis-server.ts';
import { startCatalogForTest, type CatalogUnderTest } from '../../catalog/test/helpers.ts';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

/**
 * Freshness: a catalog write reaches every search worker's index (and its cached answers) within
 * 1 s — over the Redis invalidation channel when Redis is up, by polling alone when it is not.
 * Times are measured from the moment the catalog acknowledged the write.
 */

const BUDGET_MS = 1_000;
/** How long a check keeps polling before giving up, so a miss reports how late it was. */
const GIVE_UP_MS = 5_000;
const POLL_EVERY_MS = 25;

let db: TestDatabase;
let workers: SearchUnderTest[];
let catalog: CatalogUnderTest;
const figures: string[] = [];
const writeLatencies: number[] = [];

beforeAll(async () => {
  db = await testDatabase('test_search_fresh');
  await seedDemo(db, 2_000);
  // Two "workers" of the search service on one database, and a catalog writing to it.
  workers = [await startSearchForTest(db), await startSearchForTest(db)];
  catalog = await startCatalogForTest({ MONGODB_DB: db.dbName, CACHE_PREFIX: `${db.dbName}:` }, db.uri);
  // One unmeasured round trip (write, follow, read, delete) so the first measured case does not
  // also pay for cold code paths in the services and the database.
  const warmup = await catalog
    .http()
    .post('/api/catalog/products')
    .set(admin())
    .send({ sku: 'WARMUP-1', name: 'Warmup Fixture', brand: 'Nordvik', category: 'tents', priceCents: 100 })
    .expect(201);
  await untilAllWorkers('warm-up create (not asserted)', performance.now(), { q: 'warmup' }, (a) => finds(a, warmup.body.id));
  await catalog.http().delete(`/api/catalog/products/${warmup.body.id}`).set(admin()).expect(204);
  await untilAllWorkers('warm-up delete (not asserted)', performance.now(), { q: 'warmup' }, (a) => !finds(a, warmup.body.id));
}, 60_000);

afterAll(async () => {
  // The catalog helper drops only the database it created for itself (its env override points the
  // service at ours); `db.drop()` drops the shared one and tolerates it being gone already.
  await catalog?.stop();
  for (const worker of workers ?? []) await worker.stop();
  // The popular-searches ranking has no expiry by design: remove this run's from the shared Redis.
  if (db) {
    const redis = createRedis({ url: process.env.REDIS_URL!, logger: createLogger('freshness-test', 'silent') });
    if (await connectRedis(redis)) await redis.del(`${db.dbName}:search:popular`).catch(() => {});
    redis.disconnect();
    await db.drop();
  }
  console.log(
    `search freshness (ms after the catalog acknowledged the write):\n  ${figures.join('\n  ')}\n` +
      `catalog write latencies (ms, in order): ${writeLatencies.join(', ')}`,
  );
}, 30_000);

interface Hit {
  id: string;
  name: string;
  priceCents: number;
  inStock: boolean;
}
interface SearchAnswer {
  status: number;
  cache: string | undefined;
  total: number;
  hits: Hit[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function search(worker: SearchUnderTest, query: Record<string, string>): Promise<SearchAnswer> {
  const res = await worker.http().get('/api/search').query({ limit: '100', ...query });
  expect(res.status).toBe(200);
  return { status: res.status, cache: res.headers['x-cache'], total: res.body.total, hits: res.body.hits };
}

const finds = (answer: SearchAnswer, id: string): boolean => answer.hits.some((hit) => hit.id === id);

/**
 * Polls every worker every ~25 ms until `holds` is true for each; returns each worker's wait in
 * ms (from `since`). After all agree it checks once more that none went back to a stale answer.
 */
async function untilAllWorkers(
  label: string,
  since: number,
  query: Record<string, string>,
  holds: (answer: SearchAnswer) => boolean,
  on: SearchUnderTest[] = workers,
): Promise<number[]> {
  const seenAt: (number | undefined)[] = on.map(() => undefined);
  while (seenAt.some((t) => t === undefined) && performance.now() - since < GIVE_UP_MS) {
    await Promise.all(
      on.map(async (worker, i) => {
        if (seenAt[i] !== undefined) return;
        if (holds(await search(worker, query))) seenAt[i] = performance.now() - since;
      }),
    );
    if (seenAt.some((t) => t === undefined)) await sleep(POLL_EVERY_MS);
  }
  const waits = seenAt.map((t) => Math.round(t ?? Infinity));
  figures.push(`${label}: ${waits.map((ms, i) => `worker ${i + 1} ${ms} ms`).join(', ')}`);
  for (const worker of on) expect({ label, stillHolds: holds(await search(worker, query)) }).toEqual({ label, stillHolds: true });
  return waits;
}

const admin = (): { Authorization: string } => ({ Authorization: `Bearer ${catalog.adminToken}` });

/** Sends a catalog write; returns the response and the moment it was acknowledged (its own latency is recorded too). */
async function write<T extends { status: number }>(send: () => Promise<T>, status: number): Promise<{ res: T; at: number }> {
  const sent = performance.now();
  const res = await send();
  const at = performance.now();
  expect(res.status).toBe(status);
  writeLatencies.push(Math.round(at - sent));
  return { res, at };
}

describe('with two search workers and the catalog on Redis', () => {
  let id: string;

  it('when a product is created through the catalog, then both workers find it by a word of its name within 1 s', async () => {
    // Nothing matches yet (and that empty answer is now cached in both workers).
    for (const worker of workers) expect((await search(worker, { q: 'xylquorp' })).total).toBe(0);
    const { res, at } = await write(
      () =>
        catalog
          .http()
          .post('/api/catalog/products')
          .set(admin())
          .send({ sku: 'FRESH-1', name: 'Xylquorp Trail Lantern', brand: 'Nordvik', category: 'tents', priceCents: 4_200 }),
      201,
    );
    id = res.body.id;
    const waits = await untilAllWorkers('create → found', at, { q: 'xylquorp' }, (a) => finds(a, id));
    for (const ms of waits) expect(ms).toBeLessThan(BUDGET_MS);
  });

  it('when its name changes, then the old word stops finding it and the new word finds it within 1 s on both', async () => {
    for (const worker of workers) expect(finds(await search(worker, { q: 'bramwixel' }), id)).toBe(false);
    const { at } = await write(
      () => catalog.http().patch(`/api/catalog/products/${id}`).set(admin()).send({ name: 'Bramwixel Trail Lantern' }),
      200,
    );
    const [newWord, oldWord] = await Promise.all([
      untilAllWorkers('rename → new word finds it', at, { q: 'bramwixel' }, (a) => finds(a, id)),
      untilAllWorkers('rename → old word no longer finds it', at, { q: 'xylquorp' }, (a) => !finds(a, id)),
    ]);
    for (const ms of [...newWord, ...oldWord]) expect(ms).toBeLessThan(BUDGET_MS);
    const hit = (await search(workers[0]!, { q: 'bramwixel' })).hits.find((h) => h.id === id);
    expect(hit?.name).toBe('Bramwixel Trail Lantern');
  });

  it('when its stock crosses zero (0 → 5 → 0), then its inStock filter membership flips within 1 s on both', async () => {
    const inStock = { q: 'bramwixel', inStock: 'true' };
    const outOfStock = { q: 'bramwixel', inStock: 'false' };
    // A new product has no stock.
    for (const worker of workers) {
      expect(finds(await search(worker, inStock), id)).toBe(false);
      expect(finds(await search(worker, outOfStock), id)).toBe(true);
    }

    const up = await write(() => catalog.http().put(`/api/catalog/products/${id}/stock/ams-1`).set(admin()).send({ quantity: 5 }), 200);
    const [inNow, notOut] = await Promise.all([
      untilAllWorkers('stock 0 → 5 → in inStock=true', up.at, inStock, (a) => finds(a, id)),
      untilAllWorkers('stock 0 → 5 → out of inStock=false', up.at, outOfStock, (a) => !finds(a, id)),
    ]);
    for (const ms of [...inNow, ...notOut]) expect(ms).toBeLessThan(BUDGET_MS);
    expect((await search(workers[1]!, inStock)).hits.find((h) => h.id === id)?.inStock).toBe(true);

    const down = await write(() => catalog.http().put(`/api/catalog/products/${id}/stock/ams-1`).set(admin()).send({ quantity: 0 }), 200);
    const [outNow, backOut] = await Promise.all([
      untilAllWorkers('stock 5 → 0 → out of inStock=true', down.at, inStock, (a) => !finds(a, id)),
      untilAllWorkers('stock 5 → 0 → in inStock=false', down.at, outOfStock, (a) => finds(a, id)),
    ]);
    for (const ms of [...outNow, ...backOut]) expect(ms).toBeLessThan(BUDGET_MS);
  });

  it('when it is deleted, then neither worker finds it within 1 s', async () => {
    const { at } = await write(() => catalog.http().delete(`/api/catalog/products/${id}`).set(admin()), 204);
    const waits = await untilAllWorkers('delete → gone', at, { q: 'bramwixel' }, (a) => !finds(a, id));
    for (const ms of waits) expect(ms).toBeLessThan(BUDGET_MS);
  });

  it('when a product is created in a category created just before, then the category filter finds it within 1 s on both', async () => {
    await catalog.http().post('/api/catalog/categories').set(admin()).send({ slug: 'lanterns', name: 'Lanterns' }).expect(201);
    const { res, at } = await write(
      () =>
        catalog
          .http()
          .post('/api/catalog/products')
          .set(admin())
          .send({ sku: 'FRESH-3', name: 'Tessaroon Lantern', brand: 'Nordvik', category: 'lanterns', priceCents: 3_300 }),
      201,
    );
    const inCategory = { category: 'lanterns' };
    const waits = await untilAllWorkers('new category + product → category filter finds it', at, inCategory, (a) => finds(a, res.body.id));
    for (const ms of waits) expect(ms).toBeLessThan(BUDGET_MS);
    expect((await search(workers[1]!, inCategory)).total).toBe(1);
  });

  it('when an answer is cached (HIT) and the catalog then changes the product, then the cached answer is not served stale beyond 1 s', async () => {
    const created = await write(
      () =>
        catalog
          .http()
          .post('/api/catalog/products')
          .set(admin())
          .send({ sku: 'FRESH-2', name: 'Quenvortle Kettle', brand: 'Nordvik', category: 'cookware', priceCents: 1_000 }),
      201,
    );
    const cachedId: string = created.res.body.id;
    await untilAllWorkers('create (cache case) → found', created.at, { q: 'quenvortle' }, (a) => finds(a, cachedId));

    // The same request twice: the second is answered from the cache, on each worker.
    for (const worker of workers) {
      await search(worker, { q: 'quenvortle' });
      const again = await search(worker, { q: 'quenvortle' });
      expect(['HIT-FAST', 'HIT-L1', 'HIT-L2']).toContain(again.cache);
      expect(again.hits.find((h) => h.id === cachedId)?.priceCents).toBe(1_000);
    }

    const { at } = await write(() => catalog.http().patch(`/api/catalog/products/${cachedId}`).set(admin()).send({ priceCents: 2_500 }), 200);
    const waits = await untilAllWorkers('price change → cached answer replaced', at, { q: 'quenvortle' }, (a) =>
      a.hits.some((h) => h.id === cachedId && h.priceCents === 2_500),
    );
    for (const ms of waits) expect(ms).toBeLessThan(BUDGET_MS);
    // A filter whose membership the change altered is fresh too (it was never asked before, so check it is right).
    for (const worker of workers) expect(finds(await search(worker, { q: 'quenvortle', maxPrice: '2000' }), cachedId)).toBe(false);
  });
});


describe('with Redis unreachable for both the search worker and the catalog', () => {
  let lone: SearchUnderTest;
  let offlineCatalog: CatalogUnderTest;

  beforeAll(async () => {
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    lone = await startSearchForTest(db, { REDIS_URL: redisUrl });
    offlineCatalog = await startCatalogForTest({ MONGODB_DB: db.dbName, CACHE_PREFIX: `${db.dbName}:`, REDIS_URL: redisUrl }, db.uri);
    expect(lone.server.config.SEARCH_POLL_MS).toBe(500);
  }, 30_000);

  afterAll(async () => {
    await offlineCatalog?.stop();
    await lone?.stop();
  }, 30_000);

  const offlineAdmin = (): { Authorization: string } => ({ Authorization: `Bearer ${offlineCatalog.adminToken}` });

  it('when a product is created, renamed, stocked and deleted, then polling alone reflects each within 1 s (deletion by the count check)', async () => {
    const health = await lone.http().get('/health/ready');
    expect(health.body.dependencies?.redis?.status).toBe('down');
    expect(await search(lone, { q: 'plorvintex' })).toMatchObject({ total: 0 });

    const created = await write(
      () =>
        offlineCatalog
          .http()
          .post('/api/catalog/products')
          .set(offlineAdmin())
          .send({ sku: 'POLL-1', name: 'Plorvintex Camp Stove', brand: 'Nordvik', category: 'tents', priceCents: 7_700 }),
      201,
    );
    const id: string = created.res.body.id;
    const [createdMs] = await untilAllWorkers('no Redis: create → found', created.at, { q: 'plorvintex' }, (a) => finds(a, id), [lone]);
    expect(createdMs).toBeLessThan(BUDGET_MS);

    const renamed = await write(
      () => offlineCatalog.http().patch(`/api/catalog/products/${id}`).set(offlineAdmin()).send({ name: 'Gravendulk Camp Stove' }),
      200,
    );
    const [[newMs], [oldMs]] = await Promise.all([
      untilAllWorkers('no Redis: rename → new word finds it', renamed.at, { q: 'gravendulk' }, (a) => finds(a, id), [lone]),
      untilAllWorkers('no Redis: rename → old word no longer finds it', renamed.at, { q: 'plorvintex' }, (a) => !finds(a, id), [lone]),
    ]);
    expect(newMs).toBeLessThan(BUDGET_MS);
    expect(oldMs).toBeLessThan(BUDGET_MS);

    const stocked = await write(
      () => offlineCatalog.http().put(`/api/catalog/products/${id}/stock/ams-1`).set(offlineAdmin()).send({ quantity: 3 }),
      200,
    );
    const inStock = { q: 'gravendulk', inStock: 'true' };
    const [stockMs] = await untilAllWorkers('no Redis: stock 0 → 3 → in inStock=true', stocked.at, inStock, (a) => finds(a, id), [lone]);
    expect(stockMs).toBeLessThan(BUDGET_MS);

    const deleted = await write(() => offlineCatalog.http().delete(`/api/catalog/products/${id}`).set(offlineAdmin()), 204);
    const [goneMs] = await untilAllWorkers('no Redis: delete → gone', deleted.at, { q: 'gravendulk' }, (a) => !finds(a, id), [lone]);
    expect(goneMs).toBeLessThan(BUDGET_MS);
    expect(lone.server.index.get(id)).toBeUndefined();
  }, 30_000);
});
