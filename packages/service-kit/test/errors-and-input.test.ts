import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import NodeHttp from 'node:http';
import net from 'node:net';
import { Router } from 'express';
import request from 'supertest';
import { z } from 'zod';
import {
  apiRoute,
  createAuth,
  createServiceApp,
  mountRoutes,
  parseQueryString,
  ONE_LINE_TEXT_MESSAGE,
  rawQuery,
  text,
  toAppError,
  type AnyApiRoute,
} from '../src/index.ts';
import { silentLogger, sleep, startApp, type StartedApp } from './helpers.ts';

const PREFIX = '/api/test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const routes: AnyApiRoute[] = [
  apiRoute({
    method: 'post',
    path: '/items',
    operationId: 'createItem',
    summary: 'Creates an item',
    tags: ['items'],
    schemas: {
      body: z.strictObject({ name: z.string().min(1), quantity: z.number().int().min(0), tags: z.array(z.string()).optional() }),
    },
    responses: { 201: 'Created', 400: 'Invalid input' },
    handler: ({ body }, _req, res) => {
      res.status(201).json({ item: body });
    },
  }),
  apiRoute({
    method: 'get',
    path: '/items',
    operationId: 'listItems',
    summary: 'Lists items',
    tags: ['items'],
    schemas: { query: z.strictObject({ a: z.string().optional() }) },
    responses: { 200: 'OK' },
    handler: ({ query }, _req, res) => {
      res.json({ query });
    },
  }),
  apiRoute({
    method: 'post',
    path: '/notes',
    operationId: 'createNote',
    summary: 'Echoes a note: free text under the text rule',
    tags: ['items'],
    schemas: { body: z.strictObject({ title: text({ min: 1, max: 80, trim: true }), body: text({ max: 1000, multiline: true }) }) },
    responses: { 201: 'Created', 400: 'Invalid input' },
    handler: ({ body }, _req, res) => {
      res.status(201).json({ note: body });
    },
  }),
  apiRoute({
    method: 'get',
    path: '/boom',
    operationId: 'boom',
    summary: 'Throws a plain Error',
    tags: ['errors'],
    schemas: {},
    responses: { 500: 'Always' },
    handler: () => {
      throw new Error('boom: secret internals at /srv/app.ts:42');
    },
  }),
  apiRoute({
    method: 'get',
    path: '/db-down',
    operationId: 'dbDown',
    summary: 'Throws what the MongoDB driver throws when no server answers',
    tags: ['errors'],
    schemas: {},
    responses: { 503: 'Always' },
    handler: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' });
    },
  }),
  apiRoute({
    method: 'get',
    path: '/duplicate',
    operationId: 'duplicate',
    summary: 'Throws a duplicate-key error',
    tags: ['errors'],
    schemas: {},
    responses: { 409: 'Always' },
    handler: async () => {
      throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000, keyValue: { sku: 'x' } });
    },
  }),
  apiRoute({
    method: 'get',
    path: '/late-failure',
    operationId: 'lateFailure',
    summary: 'Answers, then fails',
    tags: ['errors'],
    schemas: {},
    responses: { 200: 'Always' },
    handler: async (_input, _req, res) => {
      res.json({ answered: true });
      throw new Error('failed after answering');
    },
  }),
  apiRoute({
    method: 'get',
    path: '/half-sent',
    operationId: 'halfSent',
    summary: 'Sends part of an answer, then fails',
    tags: ['errors'],
    schemas: {},
    responses: { 200: 'Never whole' },
    handler: async (_input, _req, res) => {
      res.status(200).setHeader('Content-Type', 'application/json');
      res.write('{"partial":');
      throw new Error('failed half-way');
    },
  }),
];

let app: StartedApp;
const http = (): ReturnType<typeof request> => request(app.baseUrl);

beforeAll(async () => {
  const logger = silentLogger();
  const router = Router();
  mountRoutes(router, routes, createAuth('errors-and-input-secret-0123456789abcdef'));
  app = await startApp(createServiceApp({ service: 'test', prefix: PREFIX, logger, healthChecks: [], routes: router }), logger);
});

afterAll(async () => {
  await app.stop();
});

/** Every error answer: JSON `{ error: { code, message, requestId } }`, requestId equal to the header. */
function expectErrorBody(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
  expect(res.body.error.requestId).toEqual(expect.any(String));
}

describe('request bodies', () => {
  it('when the body is valid, then the route answers with the parsed body', async () => {
    const res = await http().post(`${PREFIX}/items`).send({ name: 'mug', quantity: 2 }).expect(201);
    expect(res.body).toEqual({ item: { name: 'mug', quantity: 2 } });
  });

  it('when the JSON is malformed, then the answer is 400 INVALID_JSON', async () => {
    const res = await http().post(`${PREFIX}/items`).set('Content-Type', 'application/json').send('{"name": "mug",');
    expectErrorBody(res, 400, 'INVALID_JSON');
  });

  it('when the JSON top level is not an object or array, then strict parsing answers 400 INVALID_JSON', async () => {
    const res = await http().post(`${PREFIX}/items`).set('Content-Type', 'application/json').send('"just a string"');
    expectErrorBody(res, 400, 'INVALID_JSON');
  });

  it('when the body is larger than 500 kb, then the answer is 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await http()
      .post(`${PREFIX}/items`)
      .send({ name: 'x'.repeat(501 * 1024), quantity: 1 });
    expectErrorBody(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('when a body just under 500 kb arrives, then it is accepted', async () => {
    const res = await http()
      .post(`${PREFIX}/items`)
      .send({ name: 'x'.repeat(490 * 1024), quantity: 1 });
    expect(res.status).toBe(201);
  });

  it('when a field has the wrong type, then the answer is 400 VALIDATION_FAILED naming the field', async () => {
    const res = await http().post(`${PREFIX}/items`).send({ name: 'mug', quantity: 'two' });
    expectErrorBody(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0]).toMatchObject({ location: 'body', field: 'quantity' });
  });

  it('when a nested field has the wrong type, then the field is named by its path', async () => {
    const res = await http().post(`${PREFIX}/items`).send({ name: 'mug', quantity: 1, tags: ['ok', 7] });
    expectErrorBody(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0].field).toBe('tags.1');
  });

  it('when the body has an unknown key, then the strict schema answers 400 naming the key', async () => {
    const res = await http().post(`${PREFIX}/items`).send({ name: 'mug', quantity: 1, isAdmin: true });
    expectErrorBody(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0].field).toBe('isAdmin');
  });

  it('when the body is not JSON, then the answer is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const form = await http().post(`${PREFIX}/items`).type('form').send('name=mug&quantity=1');
    expectErrorBody(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const text = await http().post(`${PREFIX}/items`).set('Content-Type', 'text/plain').send('{"name":"mug","quantity":1}');
    expectErrorBody(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('free text', () => {
  it('when a text field holds a control character, then 400 VALIDATION_FAILED naming it with the rule\'s message', async () => {
    const res = await http().post(`${PREFIX}/notes`).send({ title: 'B\u001b…\u0001…', body: '' });
    expectErrorBody(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([{ location: 'body', field: 'title', message: ONE_LINE_TEXT_MESSAGE }]);
    expect(res.body.error.message).toBe(`Invalid body: title ${ONE_LINE_TEXT_MESSAGE}`);
  });

  it('when text arrives decomposed, then the handler gets it in NFC, with newlines kept where text may have lines', async () => {
    const res = await http().post(`${PREFIX}/notes`).send({ title: ' Cafe\u0301 ', body: 'Cre\u0300me\nbru\u0302le\u0301e' }).expect(201);
    expect(res.body).toEqual({ note: { title: 'Caf\u00e9', body: 'Cr\u00e8me\nbr\u00fbl\u00e9e' } });
  });
});

describe('hostile keys', () => {
  it('when a value is a MongoDB operator object like {"$ne": null}, then the answer is 400', async () => {
    const res = await http().post(`${PREFIX}/items`).send({ name: { $ne: null }, quantity: 1 });
    expectErrorBody(res, 400, 'FORBIDDEN_KEY');
    expect(res.body.error.details).toEqual([{ field: 'name.$ne' }]);
  });

  it('when a key is a MongoDB operator like $where, then the answer is 400', async () => {
    const res = await http().post(`${PREFIX}/items`).send({ $where: 'sleep(1000)', name: 'mug', quantity: 1 });
    expectErrorBody(res, 400, 'FORBIDDEN_KEY');
    expect(res.body.error.details).toEqual([{ field: '$where' }]);
  });

  it('when an operator hides deep in an array, then it is still found', async () => {
    const res = await http()
      .post(`${PREFIX}/items`)
      .send({ name: 'mug', quantity: 1, tags: [{ nested: { $gt: '' } }] });
    expectErrorBody(res, 400, 'FORBIDDEN_KEY');
    expect(res.body.error.details).toEqual([{ field: 'tags.0.nested.$gt' }]);
  });

  it('when the query carries a bracket operator like ?a[$gt]=0, then the answer is 400 FORBIDDEN_KEY', async () => {
    const res = await http().get(`${PREFIX}/items?a[$gt]=0`);
    expectErrorBody(res, 400, 'FORBIDDEN_KEY');
    const encoded = await http().get(`${PREFIX}/items?a%5B%24gt%5D=0`);
    expectErrorBody(encoded, 400, 'FORBIDDEN_KEY');
  });

  it('when the query has a plain value, then it passes as a string', async () => {
    const res = await http().get(`${PREFIX}/items?a=$gt`).expect(200);
    expect(res.body).toEqual({ query: { a: '$gt' } });
  });

  it('when the body carries __proto__, then the answer is 400 and no prototype is polluted', async () => {
    const res = await http()
      .post(`${PREFIX}/items`)
      .set('Content-Type', 'application/json')
      .send('{"name":"mug","quantity":1,"__proto__":{"polluted":true}}');
    expectErrorBody(res, 400, 'FORBIDDEN_KEY');
    expect(res.body.error.details).toEqual([{ field: '__proto__' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('when the body carries constructor.prototype, then the answer is 400', async () => {
    const res = await http()
      .post(`${PREFIX}/items`)
      .set('Content-Type', 'application/json')
      .send('{"name":"mug","quantity":1,"constructor":{"prototype":{"polluted":true}}}');
    expectErrorBody(res, 400, 'FORBIDDEN_KEY');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('errors the handlers throw', () => {
  it('when no route matches, then the answer is 404 ROUTE_NOT_FOUND', async () => {
    const res = await http().get(`${PREFIX}/nope`);
    expectErrorBody(res, 404, 'ROUTE_NOT_FOUND');
    const outside = await http().delete('/somewhere/else');
    expectErrorBody(outside, 404, 'ROUTE_NOT_FOUND');
  });

  it('when a handler throws a plain Error, then the answer is a 500 without internals', async () => {
    const res = await http().get(`${PREFIX}/boom`);
    expectErrorBody(res, 500, 'INTERNAL_ERROR');
    expect(res.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error', requestId: res.headers['x-request-id'] } });
    expect(res.text).not.toContain('boom');
    expect(res.text).not.toContain('stack');
    expect(res.text).not.toContain('/srv/app.ts');
  });

  it('when a handler meets an unavailable database, then the answer is 503 with Retry-After', async () => {
    const res = await http().get(`${PREFIX}/db-down`);
    expectErrorBody(res, 503, 'DEPENDENCY_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.text).not.toContain('ECONNREFUSED');
  });

  it('when a handler meets a duplicate key, then the answer is 409 naming the field', async () => {
    const res = await http().get(`${PREFIX}/duplicate`);
    expectErrorBody(res, 409, 'DUPLICATE');
    expect(res.body.error.details).toEqual({ fields: ['sku'] });
  });

  it('when the errors are mapped directly, then toAppError gives 503 with Retry-After and 409', () => {
    const unavailable = toAppError({ name: 'MongoServerSelectionError' });
    expect(unavailable.httpStatus).toBe(503);
    expect(Number(unavailable.headers['Retry-After'])).toBeGreaterThan(0);
    const duplicate = toAppError({ code: 11000, keyValue: { sku: 'x' } });
    expect(duplicate.httpStatus).toBe(409);
    expect(duplicate.details).toEqual({ fields: ['sku'] });
    // A server shutting down (91 ShutdownInProgress, 11600 InterruptedAtShutdown) or stepping down is unavailable, not a bug.
    for (const code of [91, 11600, 10107]) expect(toAppError({ name: 'MongoServerError', code }).httpStatus).toBe(503);
    expect(toAppError({ name: 'MongoServerError', code: 2 }).httpStatus).toBe(500);
    // The driver's raw EPIPE when the server closed the socket under a write (seen in the reliability suite).
    expect(toAppError(Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' })).httpStatus).toBe(503);
    expect(toAppError(undefined).httpStatus).toBe(500);
    expect(toAppError({ status: 400, expose: false }).httpStatus).toBe(500);
  });
});

describe('request ids', () => {
  it('when a well-formed X-Request-Id comes in, then it is echoed in the header and the error body', async () => {
    const res = await http().get(`${PREFIX}/nope`).set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.body.error.requestId).toBe('abc-123');
  });

  it('when the X-Request-Id is malformed, then a generated id replaces it', async () => {
    for (const bad of ['a'.repeat(300), 'has spaces in it', 'semi;colon']) {
      const res = await http().get(`${PREFIX}/nope`).set('X-Request-Id', bad);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.body.error.requestId).toBe(res.headers['x-request-id']);
    }
  });

  it('when no X-Request-Id comes in, then every answer gets its own generated id', async () => {
    const first = await http().get('/health').expect(200);
    const second = await http().get('/health').expect(200);
    expect(first.headers['x-request-id']).toMatch(UUID);
    expect(second.headers['x-request-id']).toMatch(UUID);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });
});

/** Writes raw bytes to the server and collects everything it answers until it closes. */
function rawExchange(baseUrl: string, payload: string): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(payload));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', (error: NodeJS.ErrnoException) => (answer ? resolve(answer) : reject(error)));
  });
}

describe('requests the HTTP parser rejects', () => {
  it('when the request line is larger than the header limit, then the answer is a JSON 431 HEADERS_TOO_LARGE', async () => {
    const answer = await rawExchange(app.baseUrl, `GET ${PREFIX}/items?a=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: t\r\n\r\n`);
    expect(answer.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(answer).toContain('Content-Type: application/json');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('when the request is not HTTP at all, then the answer is a JSON 400 BAD_REQUEST, never a bare status line', async () => {
    const answer = await rawExchange(app.baseUrl, 'NOT A REQUEST\r\n\r\n');
    expect(answer.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code).toBe('BAD_REQUEST');
  });
});

describe('query strings', () => {
  it('when a query string has more than 100 parts, then 400 TOO_MANY_PARAMETERS before anything reads it', async () => {
    const res = await request(app.baseUrl).get(`${PREFIX}/items?${'&'.repeat(1_000)}a=1`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('TOO_MANY_PARAMETERS');
  });

  it('when parsed, then names repeat into arrays, empty parts are skipped, "+" is a space and the object has no prototype', () => {
    const parsed = parseQueryString('a=1&&a=2&b=x+y&c=%41');
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect({ ...parsed }).toEqual({ a: ['1', '2'], b: 'x y', c: 'A' });
    expect({ ...parseQueryString(null) }).toEqual({});
  });

  it('when the URL carries a fragment, then the raw query ends at it', () => {
    expect(rawQuery('/p?q=lap#top&x=1')).toBe('q=lap');
    expect(rawQuery('/p')).toBe('');
  });
});

describe('sockets after a rejected request', () => {
  it('when a client sends garbage and never closes its side, then the server releases the socket at once', async () => {
    const { port } = new URL(app.baseUrl);
    const connections = (): Promise<number> =>
      new Promise((resolve, reject) => app.running.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    const socket = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true }, () => socket.write('NOT A REQUEST\r\n\r\n'));
    socket.resume();
    try {
      await new Promise((resolve) => socket.once('end', resolve));
      const deadline = Date.now() + 1_000;
      while ((await connections()) > 0 && Date.now() < deadline) await sleep(10);
      expect(await connections()).toBe(0);
    } finally {
      socket.destroy();
    }
  });
});

describe('errors after the answer has started', () => {
  /** GET over one keep-alive socket; resolves to status, body and whether the socket was reused. */
  const get = (agent: NodeHttp.Agent, path: string): Promise<{ status: number; body: string; reused: boolean }> =>
    new Promise((resolve, reject) => {
      const { port } = new URL(app.baseUrl);
      const req = NodeHttp.get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });

  it('when a handler fails after its answer is complete, then the client has that answer and the keep-alive socket serves the next request', async () => {
    const agent = new NodeHttp.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, `${PREFIX}/late-failure`);
      expect(first).toEqual({ status: 200, body: '{"answered":true}', reused: false });
      await sleep(50);
      const second = await get(agent, `${PREFIX}/items`);
      expect(second.status).toBe(200);
      expect(second.reused).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('when a handler fails half-way through its answer, then the connection is cut: a truncated answer, never a wrong one', async () => {
    const agent = new NodeHttp.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await expect(get(agent, `${PREFIX}/half-sent`)).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    } finally {
      agent.destroy();
    }
  });
});
