import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCatalogForTest, type CatalogUnderTest } from './helpers.ts';

let app: CatalogUnderTest;
let document: { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

beforeAll(async () => {
  app = await startCatalogForTest();
  document = (await app.http().get('/api/catalog/openapi.json').expect(200)).body;
});

afterAll(async () => {
  await app.stop();
});

const operations = (): { method: string; path: string }[] =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path })));

/** Fills `{id}`-style parameters with values that pass validation but match nothing. */
const concrete = (path: string): string =>
  path.replace('{id}', '0123456789abcdef01234567').replace('{sku}', 'NO-SUCH-SKU').replace('{slug}', 'no-such-slug').replace('{warehouse}', 'ams-1');

describe('OpenAPI document', () => {
  it('when fetched, then it is OpenAPI 3.1 with the catalog operations', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(operations()).toEqual(
      expect.arrayContaining([
        { method: 'get', path: '/products' },
        { method: 'get', path: '/products/{id}' },
        { method: 'get', path: '/products/sku/{sku}' },
        { method: 'post', path: '/products' },
        { method: 'patch', path: '/products/{id}' },
        { method: 'delete', path: '/products/{id}' },
        { method: 'get', path: '/products/{id}/stock' },
        { method: 'put', path: '/products/{id}/stock/{warehouse}' },
        { method: 'get', path: '/categories' },
        { method: 'get', path: '/categories/{slug}' },
        { method: 'post', path: '/categories' },
      ]),
    );
  });

  it('when every documented operation is called, then a route answers it (never ROUTE_NOT_FOUND)', async () => {
    for (const { method, path } of operations()) {
      const url = `/api/catalog${concrete(path)}`;
      const res = await app.http()[method as 'get'](url).set('Authorization', `Bearer ${app.adminToken}`).send({});
      expect({ method, path, code: res.body?.error?.code }).not.toEqual({ method, path, code: 'ROUTE_NOT_FOUND' });
      expect(res.status).toBeLessThan(500);
      const documented = Object.keys(document.paths[path]![method]!.responses).map(Number);
      expect({ method, path, status: res.status, documented: documented.includes(res.status) }).toEqual({
        method,
        path,
        status: res.status,
        documented: true,
      });
    }
  });

  it('when an undocumented method is called on a documented path, then 404 ROUTE_NOT_FOUND', async () => {
    const res = await app.http().put('/api/catalog/categories').send({});
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('when admin-only operations are listed, then they declare bearer security', () => {
    const doc = document as unknown as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.paths['/products']!.post!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/products']!.get!.security).toBeUndefined();
  });
});
