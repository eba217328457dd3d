import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemo, startSearchForTest, type SearchUnderTest, testDatabase, type TestDatabase } from './helpers.ts';

/**
 * Hostile and malformed query strings: every one gets a prompt, well-formed JSON answer (200 when
 * it is merely odd text, 400 with a stable code when it is not valid input), never a 5xx, and none
 * of them changes what the index holds.
 */

let db: TestDatabase;
let app: SearchUnderTest;
let reference: { total: number; size: number };

/** Total for a query every seeded catalog answers with many hits. */
async function referenceTotal(): Promise<number> {
  const res = await app.http().get('/api/search?q=laptop').expect(200);
  return res.body.total;
}

beforeAll(async () => {
  db = await testDatabase('test_search_hostile');
  await seedDemo(db, 500);
  app = await startSearchForTest(db);
  reference = { total: await referenceTotal(), size: app.server.index.size };
  expect(reference.total).toBeGreaterThan(0);
  expect(reference.size).toBe(500);
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await db?.drop();
}, 30_000);

/** GET with the path and query string sent exactly as written (supertest does not re-encode it). */
interface Answer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
  ms: number;
  type: string;
}

async function raw(pathAndQuery: string): Promise<Answer> {
  const started = performance.now();
  const res = await app.http().get(pathAndQuery);
  return { status: res.status, body: res.body, ms: performance.now() - started, type: res.headers['content-type'] ?? '' };
}

const encoded = (q: string): string => `/api/search?q=${encodeURIComponent(q)}`;

describe('query length', () => {
  it('when q is 50 000 characters, then 400 JSON VALIDATION_FAILED in under 500 ms (not a bare 431 or 414)', async () => {
    const res = await raw(encoded('a'.repeat(50_000)));
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    expect(res.ms).toBeLessThan(500);
    console.log(`50 000-character q answered 400 in ${Math.round(res.ms)} ms`);
  });

  it('when a 50 000-character q is non-ASCII (6–12 bytes a character once encoded), then still a prompt 4xx, never a 5xx or a hang', async () => {
    // Known limit (see the report): such a URL is 300–600 KB, past the raised header limit
    // (128 KiB), so Node itself answers a bare 431 (no JSON) and closes the socket; a client still
    // sending may see the reset instead of the 431. What must hold: no 5xx, no hang.
    for (const ch of ['\u0436', '\u65e5', '\ud83c\udfa7']) {
      const started = performance.now();
      const outcome = await fetch(`${app.baseUrl}${encoded(ch.repeat(50_000))}`).then(
        (res) => res.status,
        () => 'connection reset',
      );
      const ms = performance.now() - started;
      expect({ ch, ok: outcome === 'connection reset' || (Number(outcome) >= 400 && Number(outcome) < 500) }).toEqual({ ch, ok: true });
      expect(ms).toBeLessThan(500);
    }
  });

  it('when a 50 000-character q is sent to /suggest, then 400 VALIDATION_FAILED there too', async () => {
    const res = await raw(`/api/search/suggest?q=${'b'.repeat(50_000)}`);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('VALIDATION_FAILED');
  });

  it('when q is 199 or 200 characters, then 200; at 201, then 400', async () => {
    for (const length of [199, 200]) {
      const res = await raw(encoded('laptop '.repeat(40).slice(0, length)));
      expect({ length, status: res.status }).toEqual({ length, status: 200 });
      expect(typeof res.body.total).toBe('number');
    }
    const tooLong = await raw(encoded('x'.repeat(201)));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error?.code).toBe('VALIDATION_FAILED');
  });

  it('when a 200-character q is made of multi-byte characters, then it is counted in characters and answered 200', async () => {
    const res = await raw(encoded('ü'.repeat(200)));
    expect(res.status).toBe(200);
  });
});

describe('regular-expression metacharacters and odd text are literal', () => {
  const odd = [
    ...['.*', '(a+)+$', '[', ']', '\\', '^$|?', '*', '+', '{1,99999}', '(?=a)', 'a|b|c', '%', '%%'],
    ...['caf\u00e9', 'Gr\u00f6\u00dfe', '\u65e5\u672c\u8a9e', '\ud83c\udfa7\ud83d\udd25', 'cafe\u0301', '\u202egnp.exe', '\u200b'],
    ...["' OR 1=1 --", '{"$gt":""}', '<script>alert(1)</script>'],
  ];

  it.each(odd.map((q) => [JSON.stringify(q), q]))('when q is %s, then 200 with a well-formed answer', async (_label, q) => {
    const res = await raw(encoded(q));
    expect(res.status).toBe(200);
    expect(typeof res.body.total).toBe('number');
    expect(Array.isArray(res.body.hits)).toBe(true);
    const suggest = await raw(`/api/search/suggest?q=${encodeURIComponent(q)}`);
    expect(suggest.status).toBe(200);
  });

  it('when q carries invalid UTF-8 (read as U+FFFD) or a stray %, then 200, not an error', async () => {
    for (const q of ['%ED%A0%BC', '%FF%FE', '%E0%A4%A', '100%']) {
      const url = `/api/search?q=${q}`;
      const res = await raw(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
  });

  it('when q is "(a+)+$" repeated to 200 characters, then it answers in under 200 ms (no catastrophic backtracking)', async () => {
    const evil = '(a+)+$'.repeat(40).slice(0, 200);
    const res = await raw(encoded(evil));
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(200);
    const words = await raw(encoded(`${'a'.repeat(99)} ${'a'.repeat(99)}!`));
    expect(words.status).toBe(200);
    expect(words.ms).toBeLessThan(200);
    console.log(`"(a+)+$"×200 chars answered in ${Math.round(res.ms)} ms; 'a'×99 twice in ${Math.round(words.ms)} ms`);
  });

  it('when only metacharacters are searched, then they are not a pattern: the answer is that of a query with no words', async () => {
    const noWords = await raw('/api/search?q=');
    for (const q of ['.*', '^$|?', '(a+)+$'.replace('a', '')]) {
      const res = await raw(encoded(q));
      expect({ q, total: res.body.total }).toEqual({ q, total: noWords.body.total });
    }
    // With a word, only the word counts: "laptop.*" finds what "laptop " (a finished word) finds.
    const word = (await raw(encoded('laptop '))).body.total;
    expect(word).toBeGreaterThan(0);
    for (const q of ['laptop.*', 'laptop(+)+$', '[laptop]', '^laptop$', 'laptop|']) expect({ q, total: (await raw(encoded(q))).body.total }).toEqual({ q, total: word });
  });
});

describe('text that is not text', () => {
  const notText: [string, string][] = [
    ['NUL', 'lap%00top'],
    ['a lone NUL', '%00'],
    ['ESC', 'lap%1B%5B2Jtop'],
    ['a newline', 'lap%0Atop'],
    ['a tab', 'lap%09top'],
    ['DEL', 'lap%7Ftop'],
    ['CSI (C1)', 'lap%C2%9Btop'],
    ['noncharacter U+FFFF', 'lap%EF%BF%BFtop'],
    ['noncharacter U+FDD0', 'lap%EF%B7%90top'],
    ['noncharacter U+10FFFF', 'lap%F4%8F%BF%BFtop'],
  ];

  it.each(notText)('when q holds %s, then 400 VALIDATION_FAILED naming "q", on /search and /suggest', async (_label, q) => {
    for (const url of [`/api/search?q=${q}`, `/api/search/suggest?q=${q}`]) {
      const res = await raw(url);
      expect({ url, status: res.status, code: res.body.error?.code }).toEqual({ url, status: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.error?.message).toMatch(/^Invalid query: q /);
    }
  });

  it('when the brand filter holds a control character, then 400 VALIDATION_FAILED naming "brand"', async () => {
    const res = await raw('/api/search?q=laptop&brand=Nord%1Bvik');
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toMatch(/^Invalid query: brand /);
  });
});

describe('operator objects, arrays and prototype keys in the query string', () => {
  const cases: [string, string, string][] = [
    ['q[$ne]=x', '/api/search?q[$ne]=x', 'FORBIDDEN_KEY'],
    ['q%5B%24ne%5D=x (encoded)', '/api/search?q%5B%24ne%5D=x', 'FORBIDDEN_KEY'],
    ['minPrice[$gt]=0', '/api/search?minPrice[$gt]=0', 'FORBIDDEN_KEY'],
    ['q[]=a', '/api/search?q[]=a', 'FORBIDDEN_KEY'],
    ['$where=1', '/api/search?$where=1', 'FORBIDDEN_KEY'],
    ['__proto__[x]=1', '/api/search?__proto__[x]=1', 'FORBIDDEN_KEY'],
    ['__proto__=1', '/api/search?__proto__=1', 'FORBIDDEN_KEY'],
    ['constructor[prototype]=1', '/api/search?constructor[prototype]=1', 'FORBIDDEN_KEY'],
    ['constructor=1', '/api/search?constructor=1', 'FORBIDDEN_KEY'],
    ['q=a&q=b (array)', '/api/search?q=a&q=b', 'VALIDATION_FAILED'],
    ['limit=5&limit=6 (array)', '/api/search?limit=5&limit=6', 'VALIDATION_FAILED'],
    ['suggest q[$ne]=x', '/api/search/suggest?q[$ne]=x', 'FORBIDDEN_KEY'],
    ['suggest q=a&q=b', '/api/search/suggest?q=a&q=b', 'VALIDATION_FAILED'],
  ];

  it.each(cases)('when %s, then 400 %s, the same every time', async (_label, url, code) => {
    const first = await raw(url);
    const second = await raw(url);
    expect(first.status).toBe(400);
    expect(first.type).toMatch(/^application\/json/);
    expect(first.body.error?.code).toBe(code);
    expect([second.status, second.body.error?.code]).toEqual([400, code]);
  });
});

describe('unknown parameters and bad types', () => {
  const bad: [string, string][] = [
    ['an unknown parameter', '/api/search?q=laptop&color=red'],
    ['an unknown parameter on /suggest', '/api/search/suggest?q=lap&page=2'],
    ['minPrice=-1', '/api/search?minPrice=-1'],
    ['minPrice=abc', '/api/search?minPrice=abc'],
    ['minPrice=1e3', '/api/search?minPrice=1e3'],
    ['minPrice above maxPrice', '/api/search?minPrice=500&maxPrice=100'],
    ['maxPrice=9999999999999 (13 digits)', '/api/search?maxPrice=9999999999999'],
    ['inStock=maybe', '/api/search?inStock=maybe'],
    ['inStock= (empty)', '/api/search?inStock='],
    ['sort=evil', '/api/search?sort=evil'],
    ['sort=__proto__', '/api/search?sort=__proto__'],
    ['page=0', '/api/search?page=0'],
    ['page=-1', '/api/search?page=-1'],
    ['page=1.5', '/api/search?page=1.5'],
    ['limit=0', '/api/search?limit=0'],
    ['limit=1000', '/api/search?limit=1000'],
    ['page × limit past the result window', '/api/search?page=100&limit=100'],
    ['category with a regex', '/api/search?category=.*'],
    ['a long brand', `/api/search?brand=${'b'.repeat(81)}`],
    ['suggest without q', '/api/search/suggest'],
    ['suggest limit=11', '/api/search/suggest?q=a&limit=11'],
  ];

  it.each(bad)('when %s, then 400 VALIDATION_FAILED', async (_label, url) => {
    const res = await raw(url);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    expect(res.body.error?.message).toEqual(expect.any(String));
  });

  it('when valid edge values are given, then 200', async () => {
    const edges = ['minPrice=0&maxPrice=0', 'inStock=1', 'inStock=false', 'page=10&limit=100', 'category=no-such-category', 'brand=%20Nordvik%20'];
    for (const url of edges.map((query) => `/api/search?${query}`)) {
      const res = await raw(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
  });
});

describe('afterwards', () => {
  it('when every hostile request has been answered, then none was a 5xx and the index is unchanged', async () => {
    // A last burst mixing all of the above, concurrently.
    const urls = [
      encoded('a'.repeat(50_000)),
      encoded('(a+)+$'),
      '/api/search?q[$ne]=x',
      '/api/search?__proto__[x]=1',
      '/api/search?q=a&q=b',
      '/api/search?sort=evil',
      '/api/search?q=%00',
      encoded('\ud83c\udfa7'),
    ];
    const answers = await Promise.all(urls.flatMap((url) => [raw(url), raw(url)]));
    for (const answer of answers) expect(answer.status).toBeLessThan(500);
    expect(app.server.index.size).toBe(reference.size);
    expect(await referenceTotal()).toBe(reference.total);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    const health = await app.http().get('/health');
    expect(health.status).toBe(200);
  });
});
