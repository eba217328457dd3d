import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Connection } from 'mongoose';
import { connectMongo } from '../src/connection.ts';
import { claimDatabaseIfNew, META_COLLECTION, readDatabaseMarker } from '../src/database-marker.ts';
import { checkIndexes, ensureIndexes, prepareDatabase, withBuildProgress } from '../src/index-sync.ts';
import { shopModels } from '../src/models.ts';
import { testDatabase, type TestDatabase } from '../src/testing.ts';
import { freshDatabase, repoRoot, runScript } from './helpers.ts';

// Every database this suite makes, dropped at the end.
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of cleanup) await drop().catch(() => {});
});

/** A database `testDatabase()` made: marked as the project's, every declared index present. */
async function projectDatabase(): Promise<TestDatabase> {
  const db = await testDatabase('test_idxsafe');
  cleanup.push(() => db.drop());
  return db;
}

/** A database someone else made: collections and indexes, no project marker. */
async function foreignDatabase(): Promise<{ connection: Connection; dbName: string; uri: string }> {
  const db = await freshDatabase('idxforeign');
  cleanup.push(async () => {
    await db.connection.dropDatabase();
    await db.connection.close();
  });
  await db.connection.db!.collection('products').insertOne({ sku: 'THEIRS-1', name: 'theirs' });
  await ensureIndexes(Object.values(shopModels(db.connection)));
  return db;
}

const indexNames = async (connection: Connection, collection = 'products'): Promise<string[]> =>
  (await connection.db!.collection(collection).indexes()).map((i) => i.name!);

const addRogueIndex = (connection: Connection): Promise<string> => connection.db!.collection('products').createIndex({ name: 1 }, { name: 'rogue_name' });

describe('index safety: starting and seeding never drop an index', () => {
  it('when the start path prepares a database holding an undeclared index, then that index survives, the missing ones are created and no drop is sent', async () => {
    const uri = process.env.MONGODB_URI!;
    const dbName = `test_idxstart_${randomBytes(4).toString('hex')}`;
    const commands: string[] = [];
    const connection = await connectMongo({
      uri,
      dbName,
      maxPoolSize: 4,
      observe: (client) => client.on('commandStarted', (event) => commands.push(event.commandName)),
    });
    cleanup.push(async () => {
      await connection.dropDatabase();
      await connection.close();
    });
    await connection.db!.collection('products').insertOne({ sku: 'X-1', name: 'x' });
    await addRogueIndex(connection);
    const lines: string[] = [];

    // What `npm start` (ensureDemoData) and `npm run seed` call before writing.
    const result = await prepareDatabase(connection, Object.values(shopModels(connection)), { by: 'test', log: (line) => lines.push(line) });

    expect(await indexNames(connection)).toEqual(expect.arrayContaining(['rogue_name', 'sku_unique', 'category_price']));
    expect((await checkIndexes(Object.values(shopModels(connection)))).flatMap((d) => d.toCreate)).toEqual([]);
    expect(commands).toContain('createIndexes');
    expect(commands.filter((c) => /^drop/i.test(c))).toEqual([]);
    // It had a collection already: not claimed.
    expect(result.origin).toBe('foreign');
    expect(await readDatabaseMarker(connection)).toBeNull();
    expect(lines).toEqual(expect.arrayContaining([expect.stringContaining('was not created by this project')]));
  });

  it('when the start and seed scripts prepare their database, then they call prepareDatabase and nothing that can drop an index', () => {
    for (const script of ['start.ts', 'seed.ts']) {
      const source = readFileSync(path.join(repoRoot, 'scripts', script), 'utf8');
      expect({ script, prepares: source.includes('prepareDatabase(connection') }).toEqual({ script, prepares: true });
      expect({ script, drops: source.match(/applyIndexes|syncIndexes|cleanIndexes|dropIndex|dropUndeclared/g) }).toEqual({ script, drops: null });
    }
  });

  it('when `npm run seed` runs on a new database, then it marks it, creates each index with progress lines, and a second run keeps an index added by hand', async () => {
    const uri = process.env.MONGODB_URI!;
    const dbName = `test_idxseed_${randomBytes(4).toString('hex')}`;
    const connection = await connectMongo({ uri, dbName, maxPoolSize: 2 });
    cleanup.push(async () => {
      await connection.dropDatabase();
      await connection.close();
    });

    const first = runScript('seed.ts', ['--products', '20'], { uri, dbName });
    expect(first.status).toBe(0);
    expect(first.output).toContain(`[indexes] database "${dbName}" is new: marked as created by this project (${META_COLLECTION})`);
    expect(first.output).toMatch(/\[indexes\] creating products\.sku_unique \{"sku":1\} \{"unique":true\} …/);
    expect(first.output).toMatch(/\[indexes\] products\.sku_unique done in \d+\.\d s/);
    expect(await readDatabaseMarker(connection)).toMatchObject({ project: 'perf-shop', by: 'npm run seed' });

    await addRogueIndex(connection);
    const second = runScript('seed.ts', ['--products', '20'], { uri, dbName });
    expect(second.status).toBe(0);
    expect(second.output).toContain('[indexes] all declared indexes present');
    expect(await indexNames(connection)).toContain('rogue_name');
  });
});

describe('index safety: `db:indexes --apply` creates, `--drop-undeclared` drops only when told', () => {
  it('when `--drop-undeclared` runs without --yes, then it lists the undeclared index, drops nothing and exits 3', async () => {
    const db = await projectDatabase();
    await addRogueIndex(db.connection);
    const { status, output } = runScript('db-indexes.ts', ['--drop-undeclared'], db);
    expect(output).toContain('EXTRA    products.rogue_name (not declared)');
    expect(output).toContain('dry run: nothing dropped. Re-run with --yes');
    expect(status).toBe(3);
    expect(await indexNames(db.connection)).toContain('rogue_name');
  });

  it('when `--drop-undeclared --yes` runs on a database the project created, then it drops the undeclared index only and exits 0', async () => {
    const db = await projectDatabase();
    await addRogueIndex(db.connection);
    const before = await indexNames(db.connection);
    const { status, output } = runScript('db-indexes.ts', ['--drop-undeclared', '--yes'], db);
    expect(output).toContain('created by this project (testDatabase()');
    expect(output).toMatch(/dropping products\.rogue_name …\n.*products\.rogue_name dropped in \d+\.\d s/);
    expect(output).toContain('indexes in sync');
    expect(status).toBe(0);
    expect(await indexNames(db.connection)).toEqual(before.filter((name) => name !== 'rogue_name'));
  });

  it('when the database has no project marker, then `--drop-undeclared --yes` refuses with exit 4 and drops nothing', async () => {
    const db = await foreignDatabase();
    await addRogueIndex(db.connection);
    const { status, output } = runScript('db-indexes.ts', ['--drop-undeclared', '--yes'], db);
    expect(output).toContain(`no ${META_COLLECTION} marker — not created by this project`);
    expect(output).toContain('refusing to drop');
    expect(status).toBe(4);
    expect(await indexNames(db.connection)).toContain('rogue_name');
  });

  it('when `--even-if-foreign` is added, then it drops on a database without the marker too', async () => {
    const db = await foreignDatabase();
    await addRogueIndex(db.connection);
    const { status } = runScript('db-indexes.ts', ['--drop-undeclared', '--yes', '--even-if-foreign'], db);
    expect(status).toBe(0);
    expect(await indexNames(db.connection)).not.toContain('rogue_name');
    expect(await readDatabaseMarker(db.connection)).toBeNull();
  });

  it('when `--apply` meets a declared name taken by another definition, then it leaves it and exits 1; `--drop-undeclared --yes --apply` replaces it', async () => {
    const db = await projectDatabase();
    const products = db.connection.db!.collection('products');
    await products.dropIndex('category_price');
    await products.createIndex({ categoryId: 1, priceCents: -1 }, { name: 'category_price' });

    const applied = runScript('db-indexes.ts', ['--apply'], db);
    expect(applied.output).toContain('NOT creating products.category_price: existing index "category_price" has another definition');
    expect(applied.output).toContain('MISSING  products.category_price');
    expect(applied.status).toBe(1);
    expect((await products.indexes()).find((i) => i.name === 'category_price')?.key).toEqual({ categoryId: 1, priceCents: -1 });

    const replaced = runScript('db-indexes.ts', ['--drop-undeclared', '--yes', '--apply'], db);
    expect(replaced.output).toMatch(/dropping products\.category_price …[\s\S]*creating products\.category_price/);
    expect(replaced.status).toBe(0);
    expect((await products.indexes()).find((i) => i.name === 'category_price')?.key).toEqual({ categoryId: 1, priceCents: 1, _id: 1 });
  });

  it('when `--apply` builds an index that outlasts INDEX_PROGRESS_MS, then it prints "creating …", "still building … (Ns)" lines and "done in …"', async () => {
    const db = await projectDatabase();
    const products = db.connection.db!.collection('products');
    await products.insertMany(Array.from({ length: 30_000 }, (_, i) => ({ sku: `SKU-${String(i).padStart(6, '0')}`, name: `product ${i}` })));
    await products.dropIndex('sku_unique');

    const { status, output } = runScript('db-indexes.ts', ['--apply'], db, { INDEX_PROGRESS_MS: '5' });
    expect(output).toMatch(/ {2}creating products\.sku_unique \{"sku":1\} \{"unique":true\} …\n/);
    expect(output).toMatch(/ {2}still building products\.sku_unique \(\d+s\)\n/);
    expect(output).toMatch(/ {2}products\.sku_unique done in \d+\.\d s\n/);
    expect(output.indexOf('still building products.sku_unique')).toBeLessThan(output.indexOf('products.sku_unique done in'));
    expect(status).toBe(0);
    expect(await indexNames(db.connection)).toContain('sku_unique');
  });

  it('when `--apply` creates a database, then it marks it as the project\'s; when the marker collection is there, then `--check` is still in sync', async () => {
    const uri = process.env.MONGODB_URI!;
    const dbName = `test_idxapply_${randomBytes(4).toString('hex')}`;
    const connection = await connectMongo({ uri, dbName, maxPoolSize: 2 });
    cleanup.push(async () => {
      await connection.dropDatabase();
      await connection.close();
    });
    const applied = runScript('db-indexes.ts', ['--apply'], { uri, dbName });
    expect(applied.output).toContain('marked now: it was empty');
    expect(applied.status).toBe(0);
    expect(await readDatabaseMarker(connection)).toMatchObject({ by: 'npm run db:indexes -- --apply' });
    const checked = runScript('db-indexes.ts', ['--check'], { uri, dbName });
    expect(checked.output).toMatch(/indexes in sync: \d+ declared indexes/);
    expect(checked.status).toBe(0);
  });
});

describe('index safety: the project marker and build progress', () => {
  it('when testDatabase() makes a database, then it carries the project marker', async () => {
    const db = await projectDatabase();
    expect(await readDatabaseMarker(db.connection)).toMatchObject({ project: 'perf-shop', by: 'testDatabase()' });
  });

  it('when a database is claimed, then an empty one is marked and later reads as ours, and one with collections stays foreign and unmarked', async () => {
    const empty = await freshDatabase('idxclaim');
    cleanup.push(async () => {
      await empty.connection.dropDatabase();
      await empty.connection.close();
    });
    expect(await claimDatabaseIfNew(empty.connection, 'test')).toBe('created');
    expect(await claimDatabaseIfNew(empty.connection, 'test')).toBe('ours');

    const theirs = await foreignDatabase();
    expect(await claimDatabaseIfNew(theirs.connection, 'test')).toBe('foreign');
    expect(await readDatabaseMarker(theirs.connection)).toBeNull();
  });

  it('when a build runs longer than the progress interval, then "still building" lines come every interval and stop when it is done', async () => {
    const lines: string[] = [];
    const { value, ms } = await withBuildProgress('products.slow', () => new Promise<string>((resolve) => setTimeout(() => resolve('built'), 130)), {
      log: (line) => lines.push(line),
      progressEveryMs: 25,
      detail: async () => 'Index Build: scanning collection 10/20 50%',
    });
    const whenDone = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(value).toBe('built');
    expect(ms).toBeGreaterThanOrEqual(120);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toBe('still building products.slow (0s) — Index Build: scanning collection 10/20 50%');
    expect(lines.length).toBe(whenDone);
  });

  it('when the server answers its progress question only after the build (the stand-in queues currentOp), then the lines still come, without the detail', async () => {
    const lines: string[] = [];
    let finish: (value: string) => void = () => {};
    const late = new Promise<string>((resolve) => (finish = resolve));
    await withBuildProgress('products.slow', () => new Promise<string>((resolve) => setTimeout(() => resolve('built'), 130)), {
      log: (line) => lines.push(line),
      progressEveryMs: 25,
      detail: () => late,
    });
    finish('Index Build: too late');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toBe('still building products.slow (0s)');
  });
});
