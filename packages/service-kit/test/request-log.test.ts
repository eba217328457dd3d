import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { Writable } from 'node:stream';
import { Router } from 'express';
import { pino } from 'pino';
import { createServiceApp, type Logger } from '../src/index.ts';
import { sleep, startApp, type StartedApp } from './helpers.ts';

const PREFIX = '/api/test';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/** A logger at `level` whose lines land in `lines`, parsed. */
function capturingLogger(level: string): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level, base: { service: 'test' } }, sink), lines };
}

function appWith(logger: Logger) {
  const routes = Router();
  routes.get('/ok', (req, res) => {
    req.log.info({ step: 'inside' }, 'handler line');
    res.json({ ok: true });
  });
  routes.get('/boom', () => {
    throw new Error('bug');
  });
  // Never answers: the client gives up first.
  routes.get('/hang', () => {});
  return createServiceApp({ service: 'test', prefix: PREFIX, logger, healthChecks: [], routes });
}

/** Waits until `predicate` holds for the captured lines (they are written when the response closes). */
async function until(lines: Line[], predicate: (l: Line[]) => boolean): Promise<void> {
  for (let i = 0; i < 100 && !predicate(lines); i++) await sleep(10);
}

describe('request logging', () => {
  const info = capturingLogger('info');
  let started: StartedApp;

  beforeAll(async () => {
    started = await startApp(appWith(info.logger));
  });
  afterAll(async () => {
    await started.stop();
  });

  it('when a request succeeds, then one "request completed" line carries its id, method, URL, status and time, and so does every line the handler wrote', async () => {
    info.lines.length = 0;
    const res = await fetch(`${started.baseUrl}${PREFIX}/ok?x=1`, { headers: { 'X-Request-Id': 'abc-123' } });
    expect(res.status).toBe(200);
    await until(info.lines, (l) => l.some((x) => x.msg === 'request completed'));
    const handler = info.lines.find((l) => l.msg === 'handler line');
    const done = info.lines.filter((l) => l.msg === 'request completed');
    expect(handler?.reqId).toBe('abc-123');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ level: 30, reqId: 'abc-123', req: { method: 'GET', url: `${PREFIX}/ok?x=1` }, res: { statusCode: 200 } });
    expect(done[0]?.responseTime).toEqual(expect.any(Number));
    expect(done[0]!.responseTime).toBeLessThan(5_000);
  });

  it('when a handler fails with a 500, then the line is "request errored" at error level with the request id', async () => {
    info.lines.length = 0;
    const res = await fetch(`${started.baseUrl}${PREFIX}/boom`, { headers: { 'X-Request-Id': 'boom-1' } });
    expect(res.status).toBe(500);
    await until(info.lines, (l) => l.some((x) => x.msg === 'request errored'));
    const errored = info.lines.filter((l) => l.msg === 'request errored');
    expect(errored).toHaveLength(1);
    expect(errored[0]).toMatchObject({ level: 50, reqId: 'boom-1', res: { statusCode: 500 } });
    // The central handler's own line carries the id too.
    expect(info.lines.find((l) => l.msg === 'request failed')?.reqId).toBe('boom-1');
  });

  it('when the client leaves before the answer, then the line is "request aborted" at warn level', async () => {
    info.lines.length = 0;
    const { port } = new URL(started.baseUrl);
    const req = http.get({ host: '127.0.0.1', port, path: `${PREFIX}/hang`, headers: { 'X-Request-Id': 'gone-1' } });
    req.on('error', () => {});
    await sleep(100);
    req.destroy();
    await until(info.lines, (l) => l.some((x) => x.msg === 'request aborted'));
    expect(info.lines.filter((l) => l.msg === 'request aborted')).toEqual([expect.objectContaining({ level: 40, reqId: 'gone-1' })]);
  });

  it('when health is probed, then nothing is logged', async () => {
    info.lines.length = 0;
    expect((await fetch(`${started.baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${started.baseUrl}${PREFIX}/health?probe=1`)).status).toBe(200);
    await fetch(`${started.baseUrl}${PREFIX}/ok`);
    await until(info.lines, (l) => l.some((x) => x.msg === 'request completed'));
    expect(info.lines.filter((l) => l.req?.url.includes('/health'))).toEqual([]);
  });
});

describe('request logging at warn', () => {
  const warn = capturingLogger('warn');
  let started: StartedApp;

  beforeAll(async () => {
    started = await startApp(appWith(warn.logger));
  });
  afterAll(async () => {
    await started.stop();
  });

  it('when the level is warn, then successful requests write nothing and failures are still logged with their id', async () => {
    expect((await fetch(`${started.baseUrl}${PREFIX}/ok`)).status).toBe(200);
    expect((await fetch(`${started.baseUrl}${PREFIX}/boom`, { headers: { 'X-Request-Id': 'warn-boom' } })).status).toBe(500);
    await until(warn.lines, (l) => l.some((x) => x.msg === 'request errored'));
    expect(warn.lines.map((l) => l.msg).sort()).toEqual(['request errored', 'request failed']);
    expect(warn.lines.every((l) => l.reqId === 'warn-boom')).toBe(true);
  });
});
