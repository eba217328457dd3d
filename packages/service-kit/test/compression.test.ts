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
function rawGet(url: string, acceptEncoding?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding };
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
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
});
