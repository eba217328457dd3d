import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Connection } from 'mongoose';
import { applyIndexes, checkIndexes } from '../src/index-sync.ts';
import { shopModels, type ShopModels } from '../src/models.ts';
import { freshDatabase } from './helpers.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
let connection: Connection;
let models: ShopModels;
let dbName: string;
let uri: string;

beforeAll(async () => {
  ({ connection, dbName, uri } = await freshDatabase('indexes'));
  models = shopModels(connection);
});

afterAll(async () => {
  await connection.dropDatabase().catch(() => {});
  await connection.close();
});

/** Runs `npm run db:indexes -- <flag>`'s script against this test's database. */
function cli(flag: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'db-indexes.ts'), flag], {
    env: { ...process.env, MONGODB_URI: uri, MONGODB_DB: dbName },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('index drift', () => {
  it('when nothing was applied yet, then every declared index is reported missing', async () => {
    const drift = await checkIndexes(Object.values(models));
    const missing = drift.flatMap((d) => d.toCreate.map((i) => `${d.collection}.${i.name}`));
    expect(missing).toEqual(expect.arrayContaining(['products.sku_unique', 'products.category_price', 'stock.product_available']));
  });

  it('when applied, then the check is clean', async () => {
    await applyIndexes(Object.values(models));
    expect(await checkIndexes(Object.values(models))).toEqual([]);
  });

  it('when an index is dropped by hand, then the check names it and the query it serves', async () => {
    await models.Product.collection.dropIndex('category_price');
    const drift = await checkIndexes(Object.values(models));
    expect(drift).toHaveLength(1);
    expect(drift[0]!.collection).toBe('products');
    expect(drift[0]!.toCreate.map((i) => i.name)).toEqual(['category_price']);
    expect(drift[0]!.toCreate[0]!.serves).toMatch(/price/);
  });

  it('when an undeclared index is added by hand, then the check lists it to drop', async () => {
    await models.Product.collection.createIndex({ name: 1 }, { name: 'rogue_name' });
    const drift = await checkIndexes(Object.values(models));
    expect(drift[0]!.toDrop).toEqual(['rogue_name']);
  });

  it('when `db:indexes --check` runs on the drifted database, then it exits 1 listing the drift', () => {
    const { status, output } = cli('--check');
    expect(output).toContain('MISSING  products.category_price');
    expect(output).toContain('EXTRA    products.rogue_name');
    expect(status).toBe(1);
  });

  it('when `db:indexes --apply` runs, then it fixes the drift and `--check` exits 0', () => {
    const applied = cli('--apply');
    expect(applied.output).toContain('indexes in sync');
    expect(applied.status).toBe(0);
    const checked = cli('--check');
    expect(checked.status).toBe(0);
    expect(checked.output).toMatch(/indexes in sync: \d+ declared indexes/);
  });

  it('when given neither or both flags, then it exits 2 with the usage', () => {
    expect(cli('--bogus').status).toBe(2);
  });
});
