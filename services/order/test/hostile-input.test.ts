import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addProduct, startOrderForTest, testDatabase, tokenFor, type OrderUnderTest, type TestDatabase } from './helpers.ts';

/**
 * The order API's one free string, the page cursor: only what the API hands out (base64url) is
 * taken back. Node's base64 decoder skips any character it does not know, so without that rule a
 * cursor with a NUL or an ESC spliced into it decodes to a valid position and is answered 200.
 */

let db: TestDatabase;
let app: OrderUnderTest;
let token: string;
let cursor: string;

beforeAll(async () => {
  db = await testDatabase();
  app = await startOrderForTest(db);
  token = await tokenFor('hostile-cursor');
  await addProduct(db.models, { sku: 'CUR-1', priceCents: 100, stock: { 'ams-1': 10 } });
  for (let i = 0; i < 3; i++) {
    await app
      .http()
      .post('/api/orders')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', `hostile-cursor-${i}`)
      .send({ items: [{ sku: 'CUR-1', quantity: 1 }] })
      .expect(201);
  }
  const page = await app.http().get('/api/orders?limit=1').set('Authorization', `Bearer ${token}`).expect(200);
  cursor = page.body.nextCursor;
  expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
});

afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

const list = (query: string) => app.http().get(`/api/orders?${query}`).set('Authorization', `Bearer ${token}`);

describe('page cursors', () => {
  it('when a cursor the API returned is sent back, then the next page is answered', async () => {
    const res = await list(`limit=1&cursor=${cursor}`).expect(200);
    expect(res.body.items).toHaveLength(1);
  });

  it.each([
    ['a NUL', '%00'],
    ['an ESC', '%1B'],
    ['a newline', '%0A'],
    ['a C1 control', '%C2%9B'],
    ['a noncharacter', '%EF%BF%BF'],
    ['a space', '%20'],
    ['a "!"', '!'],
  ])('when a returned cursor has %s spliced into it, then 400 VALIDATION_FAILED naming "cursor"', async (_label, splice) => {
    const forged = `${cursor.slice(0, 8)}${splice}${cursor.slice(8)}`;
    const res = await list(`limit=1&cursor=${forged}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([expect.objectContaining({ location: 'query', field: 'cursor' })]);
  });
});
