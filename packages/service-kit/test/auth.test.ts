import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import { z } from 'zod';
import { apiRoute, createAuth, createServiceApp, mountRoutes, type AnyApiRoute } from '../src/index.ts';
import { silentLogger, startApp, type StartedApp } from './helpers.ts';

const SECRET = 'auth-test-secret-0123456789abcdefghij';
const PREFIX = '/api/auth';
const auth = createAuth(SECRET);

const whoAmI = (roles: AnyApiRoute['roles'], path: string): AnyApiRoute =>
  apiRoute({
    method: 'get',
    path,
    operationId: path.slice(1),
    summary: 'Who am I',
    tags: ['auth'],
    roles,
    schemas: { query: z.strictObject({}) },
    responses: { 200: 'OK', 401: 'No valid token', 403: 'Wrong role' },
    handler: (_input, req, res) => {
      res.json({ user: req.user ?? null });
    },
  });

let app: StartedApp;
const http = (): ReturnType<typeof request> => request(app.baseUrl);

beforeAll(async () => {
  const router = Router();
  mountRoutes(router, [whoAmI(['admin'], '/admin'), whoAmI([], '/signed-in'), whoAmI(undefined, '/public')], auth);
  const logger = silentLogger();
  app = await startApp(createServiceApp({ service: 'auth', prefix: PREFIX, logger, healthChecks: [], routes: router }), logger);
});

afterAll(async () => {
  await app.stop();
});

const key = new TextEncoder().encode(SECRET);
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('signing and verifying', () => {
  it('when a token is signed, then verify returns the same user', async () => {
    const token = await auth.sign({ id: 'u-1', role: 'customer' });
    await expect(auth.verify(token)).resolves.toEqual({ id: 'u-1', role: 'customer' });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    expect(header).toEqual({ alg: 'HS256' });
  });

  it('when a token was signed with another secret, then verify rejects it', async () => {
    const foreign = await createAuth('another-secret-0123456789abcdefghijkl').sign({ id: 'u-1', role: 'admin' });
    await expect(auth.verify(foreign)).rejects.toThrow();
  });

  it('when the role claim is not a known role, then verify rejects the token', async () => {
    const token = await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-1')
      .setIssuer('perf-shop')
      .setExpirationTime('1h')
      .sign(key);
    await expect(auth.verify(token)).rejects.toThrow('bad claims');
  });
});

describe('requireAuth', () => {
  it('when no Authorization header is sent, then the answer is 401 with WWW-Authenticate: Bearer', async () => {
    const res = await http().get(`${PREFIX}/signed-in`).expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the header is not a bearer token, then the answer is 401', async () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer short', `Bearer ${'a'.repeat(20)} extra`]) {
      const res = await http().get(`${PREFIX}/signed-in`).set('Authorization', value);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('when the token was signed with another secret, then the answer is 401 invalid_token', async () => {
    const foreign = await createAuth('another-secret-0123456789abcdefghijkl').sign({ id: 'u-1', role: 'admin' });
    const res = await http().get(`${PREFIX}/admin`).set('Authorization', `Bearer ${foreign}`).expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('when the token has expired, then the answer is 401', async () => {
    const expired = await auth.sign({ id: 'u-1', role: 'admin' }, '10 seconds ago');
    await expect(auth.verify(expired)).rejects.toThrow();
    const res = await http().get(`${PREFIX}/admin`).set('Authorization', `Bearer ${expired}`).expect(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when an alg "none" token claims admin, then the answer is 401', async () => {
    const unsecured = new UnsecuredJWT({ role: 'admin' }).setSubject('attacker').setIssuer('perf-shop').setExpirationTime('1h').encode();
    expect(unsecured.endsWith('.')).toBe(true);
    const handmade = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'attacker', role: 'admin', iss: 'perf-shop' })}.`;
    for (const token of [unsecured, handmade]) {
      const res = await http().get(`${PREFIX}/admin`).set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
    }
  });

  it('when the token uses another HMAC algorithm or issuer, then the answer is 401', async () => {
    const hs512 = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setSubject('u').setIssuer('perf-shop').setExpirationTime('1h').sign(key);
    const otherIssuer = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('elsewhere').setExpirationTime('1h').sign(key);
    for (const token of [hs512, otherIssuer]) {
      await http().get(`${PREFIX}/admin`).set('Authorization', `Bearer ${token}`).expect(401);
    }
  });

  it('when a customer calls an admin route, then the answer is 403 FORBIDDEN', async () => {
    const customer = await auth.sign({ id: 'c-1', role: 'customer' });
    const res = await http().get(`${PREFIX}/admin`).set('Authorization', `Bearer ${customer}`).expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  });

  it('when an admin calls an admin route, then the answer is 200 with the user', async () => {
    const admin = await auth.sign({ id: 'a-1', role: 'admin' });
    const res = await http().get(`${PREFIX}/admin`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(res.body).toEqual({ user: { id: 'a-1', role: 'admin' } });
  });

  it('when a route takes any signed-in user, then a customer gets 200', async () => {
    const customer = await auth.sign({ id: 'c-1', role: 'customer' });
    const res = await http().get(`${PREFIX}/signed-in`).set('Authorization', `Bearer ${customer}`).expect(200);
    expect(res.body).toEqual({ user: { id: 'c-1', role: 'customer' } });
  });

  it('when a route is public, then it answers without a token', async () => {
    const res = await http().get(`${PREFIX}/public`).expect(200);
    expect(res.body).toEqual({ user: null });
  });
});

describe('token lifetime', () => {
  it('when a correctly signed admin token has no exp claim, then it is refused', async () => {
    const key = new TextEncoder().encode(SECRET);
    const forever = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('perf-shop').sign(key);
    await expect(createAuth(SECRET).verify(forever)).rejects.toThrow();
    const bounded = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setIssuer('perf-shop')
      .setExpirationTime('1h')
      .sign(key);
    await expect(createAuth(SECRET).verify(bounded)).resolves.toEqual({ id: 'u', role: 'admin' });
  });
});
