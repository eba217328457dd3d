import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mongoProductSource } from '../src/data-access/product-source.ts';
import { createIndexSync, type IndexSync } from '../src/domain/index-sync.ts';
import { SearchIndex } from '../src/domain/search-index.ts';
import { seedDemo, testDatabase, type TestDatabase } from './helpers.ts';

/**
 * The index follows the catalog even when an invalidation told it too early (a write that
 * landed after it was announced) or not at all (a gap in the subscription): against the real
 * database, with the real product source.
 */

let db: TestDatabase;
let index: SearchIndex;
let sync: IndexSync;
let changes = 0;
const errors: unknown[] = [];
/** Ids the sync read by id, in order. */
const readIds: string[] = [];

beforeAll(async () => {
  db = await testDatabase('test_search_sync');
  await seedDemo(db, 200);
  index = new SearchIndex();
  sync = createIndexSync({
    index,
    source: (() => {
      const source = mongoProductSource(db.models);
      return { ...source, byIds: (ids: readonly string[]) => (readIds.push(...ids), source.byIds(ids)) };
    })(),
    onChange: () => changes++,
    followingWrites: () => true,
    pollMs: 60_000,
    safetyPollMs: 60_000,
    recheckMs: 300,
    onError: (error) => errors.push(error),
  });
  await sync.load();
  sync.start();
}, 60_000);

afterAll(async () => {
  sync.stop();
  await db.drop();
});

const find = (word: string): string[] => index.match([{ term: word, prefix: false }]).candidates.map((c) => c.product.id);

describe('index sync against the real database', () => {
  it('when a write lands after its invalidation was applied, then the second read picks it up', async () => {
    const product = await db.models.Product.findOne({}).lean();
    const id = String(product!._id);
    sync.onTags([`product:${id}`]);
    await sync.settled();
    // The write the invalidation announced arrives only now (as a timed-out write may).
    await db.models.Product.updateOne({ _id: product!._id }, { $set: { name: 'Quokkaphone Late Arrival' } });
    expect(find('quokkaphone')).toEqual([]);
    const deadline = Date.now() + 3_000;
    while (find('quokkaphone').length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(find('quokkaphone')).toEqual([id]);
    expect(errors).toEqual([]);
  });

  it('when a stock count changes without crossing zero, then the product is not read again; when it crosses zero, it is', async () => {
    const [counted, crossed] = await db.models.Product.find({}, { _id: 1 }).sort({ _id: -1 }).limit(2).lean();
    const [countedId, crossedId] = [String(counted!._id), String(crossed!._id)];
    readIds.length = 0;
    // What an order announces (stockChangeTags): a count that stayed above zero, then a sell-out.
    sync.onTags([`product:${countedId}`, `stock:${countedId}`]);
    sync.onTags([`product:${crossedId}`, `stock:${crossedId}`, 'products:list']);
    await sync.settled();
    expect(readIds).not.toContain(countedId);
    expect(readIds).toContain(crossedId);
    // A product edit without a stock tag is read whatever else the message names.
    sync.onTags([`product:${countedId}`]);
    await sync.settled();
    expect(readIds).toContain(countedId);
  });

  it('when writes and deletes were never announced, then a reconciliation finds them all and announces the change', async () => {
    const [kept, removed] = await db.models.Product.find({}, { _id: 1, sku: 1 }).sort({ _id: 1 }).limit(2).lean();
    const renamed = String(kept!._id);
    await db.models.Product.updateOne({ _id: kept!._id }, { $set: { name: 'Wombatbook Unannounced' } });
    await db.models.Product.deleteOne({ _id: removed!._id });
    const before = changes;
    await sync.reconcile();
    expect(find('wombatbook')).toEqual([renamed]);
    expect(index.get(String(removed!._id))).toBeUndefined();
    expect(index.size).toBe(await db.models.Product.countDocuments());
    expect(changes).toBeGreaterThan(before);
  });

  it('when a reconciliation finds nothing different, then nothing is announced', async () => {
    const before = changes;
    await sync.reconcile();
    expect(changes).toBe(before);
  });
});
