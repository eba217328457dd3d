import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

interface Parameter {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  schema: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  parameters: Parameter[];
  responses: Record<string, unknown>;
  security?: unknown[];
}

let db: TestDatabase;
let app: SearchUnderTest;
let document: { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  db = await testDatabase('test_search_openapi');
  await seedDemo(db, 200);
  app = await startSearchForTest(db);
  document = (await app.http().get('/api/search/openapi.json').expect(200)).body;
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await db?.drop();
}, 30_000);

const operations = (): { method: string; path: string; operation: Operation }[] =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ method, path, operation })));

/** A valid value for every documented query parameter (a new parameter without one fails the test). */
const VALID: Record<string, string> = {
  q: 'laptop',
  category: 'laptops',
  brand: 'Nordvik',
  minPrice: '10000',
  maxPrice: '500000',
  inStock: 'true',
  sort: 'price',
  page: '1',
  limit: '5',
};

const urlFor = (path: string, params: Parameter[]): string => {
  const query = new URLSearchParams(params.map((p): [string, string] => [p.name, VALID[p.name]!]));
  const text = query.toString();
  return `/api/search${path === '/' ? '' : path}${text ? `?${text}` : ''}`;
};

describe('OpenAPI document', () => {
  it('when fetched, then it is OpenAPI 3.1 with get / and get /suggest', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/api/search' }]);
    expect(operations().map(({ method, path }) => ({ method, path }))).toEqual(
      expect.arrayContaining([
        { method: 'get', path: '/' },
        { method: 'get', path: '/suggest' },
      ]),
    );
    for (const { operation } of operations()) {
      expect(operation.operationId).toEqual(expect.any(String));
      expect(operation.security).toBeUndefined();
    }
  });

  it('when the search operation is read, then it documents q, category, brand, minPrice, maxPrice, inStock, sort, page and limit as query parameters', () => {
    const search = document.paths['/']!.get!;
    const names = search.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['q', 'category', 'brand', 'minPrice', 'maxPrice', 'inStock', 'sort', 'page', 'limit']));
    // All optional: a bare /api/search lists products by popularity.
    expect(search.parameters.filter((p) => p.required)).toEqual([]);
    const sort = search.parameters.find((p) => p.name === 'sort')!;
    expect(sort.schema.enum).toEqual(expect.arrayContaining(['relevance', 'popularity', 'price', '-price', 'newest', 'rating']));
    const q = search.parameters.find((p) => p.name === 'q')!;
    expect(q.schema.maxLength).toBe(200);
    expect(Object.keys(search.responses)).toEqual(expect.arrayContaining(['200', '400']));
  });

  it('when the suggest operation is read, then q is required', () => {
    const suggest = document.paths['/suggest']!.get!;
    expect(suggest.parameters.find((p) => p.name === 'q')).toMatchObject({ in: 'query', required: true });
  });

  it('when every documented operation is called with valid parameters (required only, then all), then a documented 200 (never ROUTE_NOT_FOUND or 5xx)', async () => {
    for (const { method, path, operation } of operations()) {
      const documented = Object.keys(operation.responses).map(Number);
      for (const params of [operation.parameters.filter((p) => p.required), operation.parameters]) {
        for (const p of params) expect({ parameter: p.name, hasValidValue: VALID[p.name] !== undefined }).toEqual({ parameter: p.name, hasValidValue: true });
        const url = urlFor(path, params);
        const res = await app.http()[method as 'get'](url);
        expect({ url, code: res.body?.error?.code }).not.toEqual({ url, code: 'ROUTE_NOT_FOUND' });
        expect({ url, status: res.status }).toEqual({ url, status: 200 });
        expect({ url, status: res.status, documented: documented.includes(res.status) }).toEqual({ url, status: res.status, documented: true });
      }
    }
  });

  it('when every documented operation is called with an invalid parameter, then the documented 400', async () => {
    for (const { method, path, operation } of operations()) {
      const res = await app.http()[method as 'get'](`/api/search${path === '/' ? '' : path}?q=ok&notAParameter=1`);
      expect({ path, status: res.status, code: res.body.error.code }).toEqual({ path, status: 400, code: 'VALIDATION_FAILED' });
      expect(Object.keys(operation.responses)).toContain('400');
    }
  });

  it('when a cached answer is revalidated with its ETag, then the documented 304', async () => {
    const first = await app.http().get('/api/search?q=laptop').expect(200);
    const again = await app.http().get('/api/search?q=laptop').set('If-None-Match', first.headers.etag!);
    expect(again.status).toBe(304);
    expect(Object.keys(document.paths['/']!.get!.responses)).toContain('304');
  });

  it('when an undocumented method or path is called, then 404 ROUTE_NOT_FOUND', async () => {
    const post = await app.http().post('/api/search').send({});
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe('ROUTE_NOT_FOUND');
    const unknown = await app.http().get('/api/search/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ROUTE_NOT_FOUND');
  });
});
