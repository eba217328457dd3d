// npm run db:check-text (scripts/check-text.ts) on a database of its own: rows written before the
// text rule, straight into MongoDB, are reported and left as they are.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testDatabase, type TestDatabase } from '@shop/db/testing';
import { Types } from 'mongoose';

const root = path.resolve(import.meta.dirname, '..', '..');

let db: TestDatabase;

beforeAll(async () => {
  db = await testDatabase('test_check_text');
});

afterAll(async () => {
  await db?.drop();
});

/** Runs the check on the suite's database: its exit code and what it printed. */
function checkText(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'scripts', 'check-text.ts')],
      { cwd: root, env: { ...process.env, MONGODB_URI: db.uri, MONGODB_DB: db.dbName }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function addCategory(name: string): Promise<string> {
  const doc = await db.models.Category.create({ slug: `c-${new Types.ObjectId().toHexString()}`, name });
  return doc._id.toHexString();
}

async function addProduct(fields: { name: string; description?: string; attributes?: Record<string, string> }, categoryId: string): Promise<string> {
  const doc = await db.models.Product.create({ sku: `SKU-${new Types.ObjectId().toHexString()}`, brand: 'Nordvik', categoryId, priceCents: 100, ...fields });
  return doc._id.toHexString();
}

describe('npm run db:check-text', () => {
  it('when every stored text is clean (multi-line descriptions included), then it exits 0 and says so', async () => {
    const category = await addCategory('Caf\u00e9');
    await addProduct({ name: 'Lamp \ud83d\udca1', description: 'Two\n\tlines', attributes: { color: 'red' } }, category);
    const { code, stdout, stderr } = await checkText();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^categories: 1 documents, 0 bad values$/m);
    expect(stdout).toMatch(/^products: 1 documents, 0 bad values$/m);
    expect(stdout).toMatch(/^no bad text$/m);
  });

  it('when rows hold what the API now refuses, then each is reported by collection, _id, field and code points, exit 1, and nothing is changed', async () => {
    const esc = await addCategory('B\u001b\u2026\u0001\u2026');
    const nul = await addCategory('Lamp\u0000');
    const decomposed = await addCategory('Cafe\u0301');
    const product = await addProduct({ name: 'Lamp', description: 'tab\tand\nnewline are fine here, CSI \u009b is not', attributes: { color: 'red\uffff' } }, esc);
    const before = JSON.stringify(await Promise.all([db.models.Category.find({}).lean(), db.models.Product.find({}).lean()]));

    const { code, stdout } = await checkText();
    console.log(stdout);

    expect(code).toBe(1);
    const reported = stdout.split('\n').filter((line) => line.startsWith('  '));
    expect(reported).toEqual(
      expect.arrayContaining([
        `  categories ${esc} name: U+001B C0 control at 1, U+0001 C0 control at 3 — "B[U+001B]\u2026[U+0001]\u2026"`,
        `  categories ${nul} name: U+0000 C0 control at 4 — "Lamp[U+0000]"`,
        `  categories ${decomposed} name: not NFC — "Cafe\u0301"`,
        `  products ${product} description: U+009B C1 control at 35 — "tab[U+0009]and[U+000A]newline are fine here, CSI [U+009B] is not"`,
        `  products ${product} attributes.color: U+FFFF noncharacter at 3 — "red[U+FFFF]"`,
      ]),
    );
    expect(reported).toHaveLength(5);
    expect(stdout).toMatch(/^5 bad values in 4 documents; nothing was changed/m);
    // Nothing the check prints is itself a control character.
    expect([...stdout].filter((c) => c !== '\n' && (c.codePointAt(0)! < 0x20 || (c.codePointAt(0)! >= 0x7f && c.codePointAt(0)! <= 0x9f)))).toEqual([]);
    expect(JSON.stringify(await Promise.all([db.models.Category.find({}).lean(), db.models.Product.find({}).lean()]))).toBe(before);
  });
});
