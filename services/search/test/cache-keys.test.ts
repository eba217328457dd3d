import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

/**
 * The response cache files an answer under a key read from the URL; the handler answers from
 * the parameters Express parsed. Whatever a client sends, the two must agree, or one request
 * could store a wrong answer for everybody (cache poisoning).
 */

let db: TestDatabase;
let app: SearchUnderTest;

beforeAll(async () => {
  db = await testDatabase('test_search_keys');
  await seedDemo(db, 300);
  app = await startSearchForTest(db);
}, 60_000);

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Sends a request line byte for byte (no client library normalizes it) and returns status and body. */
function raw(path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('end', () => {
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status: Number(text.slice(9, 12)), body });
    });
    socket.on('error', reject);
  });
}

describe('cache keys and what handlers see', () => {
  it('when a query string hides its parameters behind 1 000 empty parts, then it is refused and cannot file an answer for another query', async () => {
    const attack = await raw(`/api/search?${'&'.repeat(1_000)}q=laptop`);
    expect(attack.status).toBe(400);
    expect(JSON.parse(attack.body).error.code).toBe('TOO_MANY_PARAMETERS');
    const honest = await app.http().get('/api/search?q=laptop').expect(200);
    expect(honest.body.q).toBe('laptop');
    const all = await app.http().get('/api/search').expect(200);
    expect(honest.body.total).toBeLessThan(all.body.total);
  });

  it('when a raw "#" cuts the query, then its answer is filed under the cut query, not under the literal "#" one', async () => {
    const cut = await raw('/api/search?q=lap#top');
    expect(cut.status).toBe(200);
    expect(JSON.parse(cut.body).q).toBe('lap');
    const literal = await app.http().get('/api/search?q=lap%23top').expect(200);
    expect(literal.body.q).toBe('lap#top');
  });

  it('when a valid query is too long to be a cache key, then it is answered uncached and warming the popular ones still works', async () => {
    const long = `/api/search?q=${encodeURIComponent('é'.repeat(100))}`;
    for (let i = 0; i < 5; i++) expect((await app.http().get(long).expect(200)).headers['x-cache']).toBe('BYPASS');
    await app.http().get('/api/search?q=laptop&limit=3').expect(200);
    await expect(app.server.warmPopular()).resolves.toBeGreaterThanOrEqual(1);
  });
});
