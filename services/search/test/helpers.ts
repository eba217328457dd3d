import { seedCatalog } from '@shop/catalog/seed';
import { testDatabase as createTestDatabase, type TestDatabase } from '@shop/db/testing';
import request from 'supertest';
import { startServer, type SearchServer } from '../src/server.ts';

export interface SearchUnderTest {
  server: SearchServer;
  baseUrl: string;
  http: () => ReturnType<typeof request>;
  stop(): Promise<void>;
}

export type { TestDatabase };

/** A fresh database of its own on the test run's MongoDB, with the declared indexes. */
export const testDatabase = (prefix = 'test_search'): Promise<TestDatabase> => createTestDatabase(prefix);

/** The demo catalog's first `products` products (deterministic: the same data every run). */
export async function seedDemo(db: TestDatabase, products: number): Promise<void> {
  await seedCatalog(db.models, { products });
}

/**
 * Starts the real search service on port 0 over `db`, sharing Redis with the run under the
 * database's own cache prefix (so a catalog started on the same database reaches it).
 */
export async function startSearchForTest(db: TestDatabase, env: NodeJS.ProcessEnv = {}): Promise<SearchUnderTest> {
  const server = await startServer({ ...db.serviceEnv, SEARCH_PORT: '0', ...env });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  return { server, baseUrl, http: () => request(baseUrl), stop: () => server.stop() };
}
