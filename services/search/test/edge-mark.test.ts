import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../../scripts/lib/redis-server.ts';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

/**
 * With an edge cache (EDGE_PURGE_URLS), a search worker tells nginx which answers it may store
 * (X-Edge-Purgeable: yes; decision 0018): only answers to a request an edge location keyed by a
 * class (X-Edge-Class, which nginx sends from those locations only), only from its own cache, and
 * only while it hears every catalog write over the bus and has caught up with those before it.
 * The edge storing and hiding the mark is test/scripts/nginx-edge-cache.test.ts.
 */

let db: TestDatabase;
let subscribed: SearchUnderTest;
let offline: SearchUnderTest;


beforeAll(async () => {
  db = await testDatabase('test_search_edge_mark');
  await seedDemo(db, 200);
  // Ports where nothing listens: the purges fail (and are counted), nothing else changes; no Redis.
  const edge = `http://127.0.0.1:${await freePort()}`;
  subscribed = await startSearchForTest(db, { EDGE_PURGE_URLS: edge });
  offline = await startSearchForTest(db, { EDGE_PURGE_URLS: edge, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
}, 60_000);

afterAll(async () => {
  await offline?.stop();
  await subscribed?.stop();
  await db?.drop();
}, 30_000);

const read = async (worker: SearchUnderTest, url: string, edgeClass?: string): Promise<{ cache: string; mark: string | undefined }> => {
  const req = worker.http().get(url).set('Accept-Encoding', 'br, gzip');
  const res = await (edgeClass === undefined ? req : req.set('X-Edge-Class', edgeClass)).expect(200);
  return { cache: String(res.headers['x-cache']), mark: res.headers['x-edge-purgeable'] as string | undefined };
};

describe('the mark that lets nginx store a search answer', () => {
  it('when a caught-up worker that hears every write answers an edge request from its cache, then the answer is marked; a miss, a request without a known class, or a suggestion likewise asked without one, is not', async () => {
    const url = '/api/search?q=tent&limit=3';
    // The comparison after the subscription runs at start: the mark comes once it is applied.
    const deadline = Date.now() + 10_000;
    let last = await read(subscribed, url, 'br');
    expect(last).toEqual({ cache: 'MISS', mark: undefined });
    while (last.mark !== 'yes' && Date.now() < deadline) last = await read(subscribed, url, 'br');
    expect(last).toEqual({ cache: expect.stringMatching(/^HIT-(FAST|L1)$/) as unknown as string, mark: 'yes' });
    for (const edgeClass of ['gzip', 'identity']) expect((await read(subscribed, url, edgeClass)).mark).toBe('yes');
    for (const edgeClass of [undefined, '', 'gzip, br', 'BR']) expect((await read(subscribed, url, edgeClass)).mark).toBeUndefined();
    await read(subscribed, '/api/search/suggest?q=te', 'br');
    expect((await read(subscribed, '/api/search/suggest?q=te', 'br')).mark).toBe('yes');
    expect((await read(subscribed, '/api/search/suggest?q=te')).mark).toBeUndefined();
  });

  it('when a worker does not hear the writes (Redis unreachable: it polls, and learns of a write up to SEARCH_POLL_MS late), then none of its answers is marked, hits included', async () => {
    const url = '/api/search?q=tent&limit=3';
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await read(offline, url, 'br'));
    expect(answers.map((a) => a.cache)).toContain('HIT-FAST');
    expect(answers.map((a) => a.mark)).toEqual(Array(5).fill(undefined));
  });
});
