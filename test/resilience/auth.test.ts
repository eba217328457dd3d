// Issue R9, authentication and authorisation: every operation the OpenAPI documents mark with
// `security` (read through nginx at test time, so a protected route added later is covered; one
// without a baseline below fails the suite) refuses missing, expired, tampered, unsigned,
// wrongly signed and malformed bearer tokens with a JSON 401, refuses a correctly signed token
// whose role its `x-roles` does not list with a JSON 403, and none of those refusals changes the
// database; a correctly signed token with an allowed role gets the operation's documented 2xx.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import { documentedOperations, documentedSuccess, type Role } from './support/openapi.ts';
import { rawClient, type RawClient, type Reply } from './support/raw-http.ts';
import { resilienceStack, type ResilienceStack } from './support/resilience-stack.ts';
import { fingerprint, seededFixtures, type SeededFixtures } from './support/seeded-fixtures.ts';

/** The services' token issuer (packages/service-kit/src/auth.ts). */
const ISSUER = 'perf-shop';
const CONCURRENCY = 8;

interface Protected {
  id: string;
  api: string;
  method: string;
  template: string;
  /** Who may call it; empty: anyone signed in. */
  roles: Role[];
  success: number;
  /** The statuses its document lists. */
  documented: string[];
  write: boolean;
  errorSchema: z.ZodType;
}

/** The auth customer's orders: A is read and advanced, B cancelled by the customer, C by an admin. */
interface Fixtures extends SeededFixtures {
  orderA: string;
  orderB: string;
  orderC: string;
}

interface Baseline {
  params?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

const run = randomBytes(3).toString('hex');
let serial = 0;
const unique = (): string => `${run}-${++serial}`;

/** One valid request per protected operation (as `role`, which matters where the data differs). */
const BASELINES: Record<string, (fx: Fixtures, role: Role) => Baseline> = {
  createCategory: () => ({ body: { slug: `auth-${unique()}`, name: 'Auth Test' } }),
  createProduct: (fx) => ({ body: { sku: `AUTH-${unique()}`, name: 'Auth Test Lamp', brand: 'Authco', category: fx.categorySlug, priceCents: 999 } }),
  updateProduct: (fx) => ({ params: { id: fx.writeProductId }, body: { priceCents: 1234 } }),
  deleteProduct: (fx) => ({ params: { id: fx.deleteProductId } }),
  setStock: (fx) => ({ params: { id: fx.writeProductId, warehouse: fx.warehouse }, body: { quantity: 7 } }),
  performanceSummary: () => ({}),
  placeOrder: (fx) => ({ body: { items: [{ productId: fx.orderProductId, quantity: 1 }] }, headers: { 'idempotency-key': `auth-${unique()}` } }),
  listMyOrders: () => ({}),
  getOrder: (fx) => ({ params: { id: fx.orderA } }),
  cancelOrder: (fx, role) => ({ params: { id: role === 'admin' ? fx.orderC : fx.orderB } }),
  advanceOrder: (fx) => ({ params: { id: fx.orderA }, body: { status: 'paid' } }),
  listOrdersByStatus: () => ({ params: { status: 'pending' } }),
};

// ---------------------------------------------------------------------------------------------
// Tokens, built by hand: each variant differs from a valid token in exactly one respect.

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function jwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | null, hmac = 'sha256'): string {
  const signing = `${b64(header)}.${b64(payload)}`;
  return `${signing}.${secret === null ? '' : createHmac(hmac, secret).update(signing).digest('base64url')}`;
}

const now = (): number => Math.floor(Date.now() / 1000);
const claims = (role: Role, sub = `auth-${role}`): Record<string, unknown> => ({ sub, role, iss: ISSUER, iat: now(), exp: now() + 3_600 });
const HS256 = { alg: 'HS256', typ: 'JWT' };

/** A real token (signed by the stack's auth) with its payload replaced and its signature kept. */
function tampered(token: string, change: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64(change(decoded))}.${signature}`;
}

interface Variant {
  name: string;
  /** The Authorization header (undefined: none). */
  authorization?: string;
  /** Other headers or a query string carrying the credential instead. */
  headers?: Record<string, string>;
  query?: string;
  /** Statuses that count as refused; default [401]. */
  refusedWith?: number[];
}

function variants(secret: string, customer: string, admin: string): Variant[] {
  const bearer = (token: string): string => `Bearer ${token}`;
  const adminClaims = claims('admin');
  const [adminHeader, adminPayload, adminSignature] = admin.split('.');
  return [
    { name: 'no Authorization header' },
    { name: 'expired 1 h ago (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, iat: now() - 7_200, exp: now() - 3_600 }, secret)) },
    { name: 'expired 5 s ago (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, iat: now() - 600, exp: now() - 5 }, secret)) },
    { name: 'no exp claim (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, exp: undefined }, secret)) },
    { name: 'not valid before 1 h from now (nbf)', authorization: bearer(jwt(HS256, { ...adminClaims, nbf: now() + 3_600 }, secret)) },
    { name: 'another issuer (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, iss: 'evil-shop' }, secret)) },
    { name: 'no sub claim (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, sub: undefined }, secret)) },
    { name: 'unknown role "superadmin" (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, role: 'superadmin' }, secret)) },
    { name: 'role claim as an array (correctly signed)', authorization: bearer(jwt(HS256, { ...adminClaims, role: ['admin'] }, secret)) },
    { name: 'tampered: role customer → admin, signature kept', authorization: bearer(tampered(customer, (p) => ({ ...p, role: 'admin' }))) },
    { name: 'tampered: sub changed, signature kept', authorization: bearer(tampered(admin, (p) => ({ ...p, sub: 'someone-else' }))) },
    { name: 'tampered: exp pushed a day later, signature kept', authorization: bearer(tampered(admin, (p) => ({ ...p, exp: Number(p.exp) + 86_400 }))) },
    { name: 'alg none, no signature', authorization: bearer(jwt({ alg: 'none', typ: 'JWT' }, adminClaims, null)) },
    { name: 'alg "None", no signature', authorization: bearer(jwt({ alg: 'None', typ: 'JWT' }, adminClaims, null)) },
    { name: 'alg none header on a real token, signature kept', authorization: bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${adminPayload}.${adminSignature}`) },
    { name: 'alg HS512 with the right secret', authorization: bearer(jwt({ alg: 'HS512', typ: 'JWT' }, adminClaims, secret, 'sha512')) },
    { name: 'alg RS256 header over an HMAC signature', authorization: bearer(jwt({ alg: 'RS256', typ: 'JWT' }, adminClaims, secret)) },
    { name: 'signed with another secret', authorization: bearer(jwt(HS256, adminClaims, `not-the-secret-${randomBytes(8).toString('hex')}`)) },
    { name: 'signed with an empty secret', authorization: bearer(jwt(HS256, adminClaims, '')) },
    { name: 'real token, signature removed', authorization: bearer(`${adminHeader}.${adminPayload}.`) },
    { name: 'real token, signature one character short', authorization: bearer(admin.slice(0, -1)) },
    { name: 'real token, two segments only', authorization: bearer(`${adminHeader}.${adminPayload}`) },
    { name: 'garbage token', authorization: 'Bearer garbage-garbage-garbage' },
    { name: 'garbage in JWT shape', authorization: 'Bearer aaaaaaaaaa.bbbbbbbbbb.cccccccccc' },
    { name: 'empty Bearer', authorization: 'Bearer ' },
    { name: 'Bearer without a token', authorization: 'Bearer' },
    { name: 'Basic credentials', authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    { name: 'real token under another scheme (Token …)', authorization: `Token ${admin}` },
    { name: 'real token followed by junk', authorization: `Bearer ${admin} junk` },
    { name: 'two tokens in one header', authorization: `Bearer ${admin}, Bearer ${admin}` },
    { name: 'real token in the query string only', query: `access_token=${admin}` },
    { name: 'real token in a cookie only', headers: { cookie: `token=${admin}; access_token=${admin}` } },
    { name: 'huge token (8 KB)', authorization: bearer(`${'A'.repeat(4_000)}.${'B'.repeat(2_000)}.${'C'.repeat(2_000)}`) },
    { name: 'real token padded to 6 KB', authorization: bearer(`${admin}${'A'.repeat(6_000 - admin.length)}`) },
    // Over Node's 16 KB header limit (the service's own JSON 431) and nginx's 64 KB line (JSON 400).
    { name: 'huge token (20 KB)', authorization: bearer('A'.repeat(20_000)), refusedWith: [401, 431] },
    { name: 'huge token (70 KB)', authorization: bearer('A'.repeat(70_000)), refusedWith: [400, 401, 431] },
  ];
}

let env: ResilienceStack;
let client: RawClient;
let fx: Fixtures;
let operations: Protected[];
let tokens: Record<Role, string>;

interface Attempt {
  op: Protected;
  variant: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function attempt(op: Protected, role: Role, variant: string, auth: { authorization?: string; headers?: Record<string, string>; query?: string }): Attempt {
  const base = BASELINES[op.id]!(fx, role);
  const path = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(base.params?.[name] ?? ''));
  return {
    op,
    variant,
    method: op.method.toUpperCase(),
    path: `${op.api}${path === '/' ? '' : path}${auth.query ? `?${auth.query}` : ''}`,
    headers: {
      ...(base.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...base.headers,
      ...auth.headers,
      ...(auth.authorization !== undefined ? { authorization: auth.authorization } : {}),
    },
    ...(base.body !== undefined ? { body: JSON.stringify(base.body) } : {}),
  };
}

async function runAll(attempts: Attempt[]): Promise<{ a: Attempt; reply: Reply }[]> {
  const replies = await client.callAll(attempts, CONCURRENCY);
  return attempts.map((a, i) => ({ a, reply: replies[i]! }));
}

const codeOf = (reply: Reply): string | undefined => {
  try {
    return (JSON.parse(reply.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

/** A JSON error body matching the document's components.schemas.Error, with a code. */
function errorBodyProblem(op: Protected, reply: Reply): string | undefined {
  const type = String(reply.headers['content-type'] ?? '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    return `not JSON (${type}): ${reply.body.slice(0, 120)}`;
  }
  if (!type.startsWith('application/json')) return `content-type ${type}`;
  if (!op.errorSchema.safeParse(parsed).success) return `not the Error schema: ${reply.body.slice(0, 120)}`;
  if (!codeOf(reply)) return 'no error code';
  return undefined;
}

beforeAll(async () => {
  env = await resilienceStack({ name: 'resilience-auth', products: 60 });
  tokens = { customer: await env.token('auth-customer', 'customer'), admin: await env.token('auth-admin', 'admin') };
  client = rawClient(env.stack.edge, { maxSockets: 16, timeoutMs: 15_000 });
  const seeded = await seededFixtures(env, tokens.customer, { orders: 3, keyPrefix: `auth-setup-${run}` });
  fx = { ...seeded, orderA: seeded.orders[0]!, orderB: seeded.orders[1]!, orderC: seeded.orders[2]! };

  operations = (await documentedOperations(env.stack.edge))
    .filter(({ doc }) => doc.security)
    .map(({ api, method, template, doc, errorSchema }) => ({
      id: doc.operationId,
      api,
      method,
      template,
      roles: doc['x-roles'] ?? [],
      success: documentedSuccess(doc),
      documented: Object.keys(doc.responses),
      write: method !== 'get',
      errorSchema,
    }));
}, 180_000);

afterAll(async () => {
  client?.close();
  await env?.teardown();
}, 60_000);

describe('authentication and roles, from the OpenAPI documents', () => {
  it('when the documents are read through nginx, then every operation with security has a baseline and documents its roles and 401', () => {
    console.log(
      `${operations.length} protected operations:\n` +
        operations.map((op) => `  ${op.method.toUpperCase().padEnd(6)} ${op.api}${op.template} ${op.id}: x-roles ${JSON.stringify(op.roles)} → ${op.success}`).join('\n'),
    );
    expect(operations.length).toBeGreaterThanOrEqual(10);
    expect(operations.filter((op) => !BASELINES[op.id]).map((op) => `${op.id} has no baseline`)).toEqual([]);
    expect(Object.keys(BASELINES).filter((id) => !operations.some((op) => op.id === id))).toEqual([]);
    // What the refusals below answer is what the documents promise.
    expect(operations.filter((op) => !op.documented.includes('401')).map((op) => `${op.id} does not document 401`)).toEqual([]);
    expect(operations.filter((op) => op.roles.length === 1 && !op.documented.includes('403')).map((op) => `${op.id} (x-roles ${op.roles.join()}) does not document 403`)).toEqual([]);
  });

  it('when protected operations get no, expired, tampered, unsigned, wrongly signed, malformed or wrong-role tokens, then 401 (or 403 for the role) as JSON errors, and the database is unchanged', async () => {
    const before = await fingerprint(env.models);
    // A hand-made token like the variants, but correct: accepted, so each variant is refused for what it changes.
    const control = jwt(HS256, claims('admin'), env.jwtSecret);
    const list = variants(env.jwtSecret, tokens.customer, tokens.admin);
    const attempts: Attempt[] = [];
    for (const op of operations) {
      // The variants that carry a role carry admin, which every protected operation allows.
      for (const v of list) attempts.push(attempt(op, 'admin', v.name, v));
      for (const role of ['customer', 'admin'] as const) {
        if (op.roles.length > 0 && !op.roles.includes(role)) attempts.push(attempt(op, role, `wrong role: ${role} (correctly signed)`, { authorization: `Bearer ${tokens[role]}` }));
      }
    }
    const outcomes = await runAll(attempts);
    const failures: string[] = [];
    for (const { a, reply } of outcomes) {
      const tag = `${a.op.id} [${a.variant}]`;
      const variant = list.find((v) => v.name === a.variant);
      const expected = variant ? (variant.refusedWith ?? [401]) : [403];
      if (!expected.includes(reply.status)) {
        failures.push(`${tag}: expected ${expected.join(' or ')}, got ${reply.status} ${reply.error ?? reply.body.slice(0, 160)}`);
        continue;
      }
      const problem = errorBodyProblem(a.op, reply);
      if (problem) failures.push(`${tag}: ${reply.status} ${problem}`);
      if (reply.status === 401) {
        if (codeOf(reply) !== 'UNAUTHENTICATED') failures.push(`${tag}: 401 with code ${codeOf(reply)}`);
        if (!String(reply.headers['www-authenticate'] ?? '').startsWith('Bearer')) failures.push(`${tag}: 401 without WWW-Authenticate: Bearer`);
      }
      if (reply.status === 403 && codeOf(reply) !== 'FORBIDDEN') failures.push(`${tag}: 403 with code ${codeOf(reply)}`);
    }

    // What was refused how: one row per variant, over every protected operation.
    const rows = new Map<string, Record<string, number>>();
    for (const { a, reply } of outcomes) {
      const row = rows.get(a.variant) ?? {};
      const key = `${reply.status} ${codeOf(reply) ?? '-'}`;
      row[key] = (row[key] ?? 0) + 1;
      rows.set(a.variant, row);
    }
    const width = Math.max(...[...rows.keys()].map((k) => k.length));
    console.log(
      `${attempts.length} refused attempts over ${operations.length} protected operations (${operations.filter((op) => op.write).length} writes):\n` +
        [...rows].map(([variant, row]) => `  ${variant.padEnd(width)}  ${Object.entries(row).map(([k, n]) => `${n}× ${k}`).join(', ')}`).join('\n'),
    );
    const noWrongRole = operations.filter((op) => op.roles.length === 0 || (op.roles.includes('customer') && op.roles.includes('admin')));
    console.log(`  no wrong role to try (customer and admin both allowed): ${noWrongRole.map((op) => op.id).join(', ')}`);

    const controlAnswer = await client.call('GET', '/api/performance/metrics', { authorization: `Bearer ${control}` });
    console.log(`  control: the hand-made valid admin token on performanceSummary → ${controlAnswer.status}`);
    expect(controlAnswer.status).toBe(200);

    const after = await fingerprint(env.models);
    console.log(`database before: ${JSON.stringify(before)}\ndatabase after:  ${JSON.stringify(after)}`);
    expect(failures.slice(0, 40)).toEqual([]);
    expect(after).toEqual(before);
  }, 120_000);

  it('when each protected operation gets a correctly signed token of each role it allows, then it passes auth and gets its documented 2xx', async () => {
    const rows: string[] = [];
    const failures: string[] = [];
    for (const op of operations) {
      const allowed = op.roles.length > 0 ? op.roles : (['customer', 'admin'] as const);
      const got: string[] = [];
      for (const role of allowed) {
        const [outcome] = await runAll([attempt(op, role, `valid ${role}`, { authorization: `Bearer ${tokens[role]}` })]);
        const reply = outcome!.reply;
        got.push(`${role} ${reply.status}`);
        if (reply.status === 401 || reply.status === 403) failures.push(`${op.id} as ${role}: refused ${reply.status} ${reply.body.slice(0, 160)}`);
        else if (reply.status !== op.success) failures.push(`${op.id} as ${role}: expected ${op.success}, got ${reply.status} ${reply.body.slice(0, 160)}`);
      }
      rows.push(`  ${op.id}: ${got.join(', ')}`);
    }
    console.log(`valid tokens:\n${rows.join('\n')}`);
    expect(failures).toEqual([]);
  }, 60_000);
});
