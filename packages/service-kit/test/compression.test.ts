import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Router } from 'express';
import { createServiceApp } from '../src/index.ts';
import { silentLogger, startApp, type StartedApp } from './helpers.ts';

const PREFIX = '/api/zip';
const BIG = { items: Array.from({ length: 90 }, (_, i) => ({ id: i, name: `Product number ${i}`, priceCents: 1000 + i })) };
const SMALL = { ok: true, note: 'small' };

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw GET so the test sees the bytes on the wire (no client-side decoding). */
function rawGet(url: string, acceptEncoding?: string, method = 'GET'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding };
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

let app: StartedApp;

beforeAll(async () => {
  const router = Router();
  router.get('/big', (_req, res) => {
    res.json(BIG);
  });
  router.get('/small', (_req, res) => {
    res.json(SMALL);
  });
  router.get('/streamed', (_req, res) => {
    res.type('application/json');
    const text = JSON.stringify(BIG);
    res.write(text.slice(0, 100));
    res.end(text.slice(100));
  });
  router.get('/encoded', (_req, res) => {
    res.type('application/json').setHeader('Content-Encoding', 'gzip');
    res.end(zlib.gzipSync(JSON.stringify(BIG)));
  });
  router.get('/no-transform', (_req, res) => {
    res.setHeader('Cache-Control', 'public, no-transform');
    res.json(BIG);
  });
  router.get('/tagged', (_req, res) => {
    res.setHeader('ETag', '"v1"');
    res.json(BIG);
  });
  router.get('/binary', (_req, res) => {
    res.type('application/octet-stream').send(Buffer.alloc(4096, 7));
  });
  const logger = silentLogger();
  app = await startApp(createServiceApp({ service: 'zip', prefix: PREFIX, logger, healthChecks: [], routes: router }), logger);
});

afterAll(async () => {
  await app.stop();
});

describe('response compression', () => {
  it('when the client accepts br and gzip, then a ~5 KB answer comes brotli-compressed', async () => {
    expect(Buffer.byteLength(JSON.stringify(BIG))).toBeGreaterThan(4 * 1024);
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`, 'br, gzip');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.body.length).toBeLessThan(Buffer.byteLength(JSON.stringify(BIG)));
    expect(JSON.parse(zlib.brotliDecompressSync(res.body).toString('utf8'))).toEqual(BIG);
  });

  it('when the client accepts only gzip, then the answer comes gzip-compressed', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`, 'gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(res.body).toString('utf8'))).toEqual(BIG);
  });

  it('when the client accepts no encoding, then the answer is sent as is', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`, 'identity');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toEqual(BIG);
  });

  it('when the answer is smaller than 1 KB, then it is not compressed', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/small`, 'br, gzip');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toEqual(SMALL);
  });

  it('when any answer goes out, then Vary names Accept-Encoding so caches keep the variants apart', async () => {
    for (const path of ['/big', '/small']) {
      const res = await rawGet(`${app.baseUrl}${PREFIX}${path}`, 'gzip');
      expect(String(res.headers.vary).toLowerCase()).toContain('accept-encoding');
    }
  });

  it('when the client refuses br with q=0, then gzip is used', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`, 'br;q=0, gzip;q=0.5');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(res.body).toString('utf8'))).toEqual(BIG);
  });

  it('when the client sends no Accept-Encoding, then the answer is sent as is with its exact length', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(JSON.parse(res.body.toString('utf8'))).toEqual(BIG);
  });

  it('when a body is compressed, then Content-Length is the compressed length', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`, 'br');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.body.length).toBeLessThan(Buffer.byteLength(JSON.stringify(BIG)) / 4);
  });

  it('when a handler streams with res.write, then the parts go out as they are', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/streamed`, 'br, gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString('utf8'))).toEqual(BIG);
  });

  it('when a body is already encoded, then it is not encoded again', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/encoded`, 'br, gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(res.body).toString('utf8'))).toEqual(BIG);
  });

  it('when Cache-Control says no-transform, or the type is not text, then the body is sent as is', async () => {
    const kept = await rawGet(`${app.baseUrl}${PREFIX}/no-transform`, 'br, gzip');
    expect(kept.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(kept.body.toString('utf8'))).toEqual(BIG);
    const binary = await rawGet(`${app.baseUrl}${PREFIX}/binary`, 'br, gzip');
    expect(binary.headers['content-encoding']).toBeUndefined();
    expect(binary.body.equals(Buffer.alloc(4096, 7))).toBe(true);
  });

  it('when a response with a strong ETag is compressed, then the ETag becomes weak', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/tagged`, 'br');
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers.etag).toBe('W/"v1"');
    const plain = await rawGet(`${app.baseUrl}${PREFIX}/tagged`, 'identity');
    expect(plain.headers.etag).toBe('"v1"');
  });

  it('when the request is HEAD, then headers come without a compressed body', async () => {
    const res = await rawGet(`${app.baseUrl}${PREFIX}/big`, 'br', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.length).toBe(0);
  });
});
