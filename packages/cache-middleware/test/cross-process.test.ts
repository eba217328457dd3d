/**
 * Two real Node processes (test/fixtures/cache-worker.ts), each with its own createCache, sharing
 * the Redis of this test run: cross-process invalidation over pub/sub, and the Redis stampede lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type {
  BurstResult,
  InvalidateResult,
  PeekResult,
  ResolveResult,
  WatchResult,
  WorkerCommand,
  WorkerEvent,
} from './fixtures/cache-worker.ts';
import { createRedisLayer } from '../src/index.ts';
import { sleep, testRedis } from './support/redis.ts';

const WORKER = path.join(import.meta.dirname, 'fixtures', 'cache-worker.ts');

function requireRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run through jest (the global setup finds or starts Redis)');
  return url;
}

/** Same clock as the workers': wall time with sub-millisecond resolution. */
const clock = (): number => performance.timeOrigin + performance.now();

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** A cache worker process and a typed request/response channel to it. */
class Worker {
  readonly name: string;
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly events: WorkerEvent[] = [];
  private eventWaiters: (() => void)[] = [];

  constructor(name: string) {
    this.name = name;
    this.child = spawn(process.execPath, [WORKER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env });
    this.child.on('message', (raw: Reply | WorkerEvent) => {
      if ('event' in raw) {
        this.events.push(raw);
        for (const wake of this.eventWaiters.splice(0)) wake();
        return;
      }
      const waiter = this.pending.get(raw.id);
      this.pending.delete(raw.id);
      if (raw.ok) waiter?.resolve(raw.result);
      else waiter?.reject(new Error(`${this.name}: ${raw.error}`));
    });
    this.child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${this.name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  call<T>(command: WorkerCommand, timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${command.cmd} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ ...command, id });
    });
  }

  async event(name: WorkerEvent['event'], timeoutMs = 5_000): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((e) => e.event === name);
      if (index !== -1) return this.events.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`${this.name}: no '${name}' event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.eventWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asks the worker to close its cache and Redis; it must then exit 0 on its own. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await this.call({ cmd: 'stop' }, 3_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    const [code] = await exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

const TTL = 60_000;
const TAG = 'product:42';

let redis: Redis;
let prefix: string;
let a: Worker;
let b: Worker;

/** Writes the "database row" every worker's loader reads. */
const writeRow = (key: string, value: unknown): Promise<unknown> => redis.set(`${prefix}db:${key}`, JSON.stringify(value));
const loads = async (key: string): Promise<number> => Number((await redis.get(`${prefix}loads:${key}`)) ?? 0);

beforeAll(async () => {
  const url = requireRedisUrl();
  redis = await testRedis(url);
  prefix = `xp-${randomUUID()}:`;
  a = new Worker('A');
  b = new Worker('B');
  const [pa, pb] = await Promise.all([
    a.call<{ pid: number }>({ cmd: 'init', redisUrl: url, prefix }),
    b.call<{ pid: number }>({ cmd: 'init', redisUrl: url, prefix }),
  ]);
  expect(pa.pid).not.toBe(pb.pid);
  expect(pa.pid).not.toBe(process.pid);
});

afterAll(async () => {
  const codes = await Promise.all([a?.stop(), b?.stop()]);
  a?.kill();
  b?.kill();
  if (redis) {
    await createRedisLayer({ redis, prefix }).clear();
    await redis.quit();
  }
  expect(codes).toEqual([0, 0]);
});

describe('cross-process invalidation', () => {
  /** Both workers hold `key` in L1: A loaded it (MISS), B read it from L2 (HIT-L2). */
  async function holdInBoth(key: string, version: number): Promise<void> {
    await writeRow(key, { id: 42, version });
    const first = await a.call<ResolveResult>({ cmd: 'resolve', key, tags: [TAG], ttl: TTL, loaderMs: 0 });
    expect(first).toEqual({ status: 'MISS', value: { id: 42, version } });
    const second = await b.call<ResolveResult>({ cmd: 'resolve', key, tags: [TAG], ttl: TTL, loaderMs: 0 });
    expect(second).toEqual({ status: 'HIT-L2', value: { id: 42, version } });
    for (const worker of [a, b]) {
      await expect(worker.call<PeekResult>({ cmd: 'peek', key })).resolves.toEqual({ present: true, value: { id: 42, version } });
    }
  }

  /** Waits (bounded) until B's own L1 no longer holds `key`. */
  async function untilGoneFromB(key: string): Promise<void> {
    const deadline = Date.now() + 2_000;
    while ((await b.call<PeekResult>({ cmd: 'peek', key })).present) {
      if (Date.now() > deadline) throw new Error('B still holds the key 2 s after the invalidation');
      await sleep(5);
    }
  }

  it("when A invalidates the tag, then B's L1 drops the key in under 100 ms", async () => {
    // Several rounds, so one scheduling hiccup on a loaded machine does not decide the figure;
    // every round must clear, the median must be under 100 ms.
    const rounds: { elapsedMs: number; invalidateMs: number; spins: number }[] = [];
    for (let round = 1; round <= 5; round++) {
      const key = `product:42:detail:${round}`;
      await holdInBoth(key, round);

      const watching = b.call<WatchResult>({ cmd: 'watch', key, timeoutMs: 2_000 });
      await b.event('armed');
      const sent = await a.call<InvalidateResult>({ cmd: 'invalidateTags', tags: [TAG] });
      await b.call({ cmd: 'origin', t0: sent.t0 });
      const watched = await watching;

      expect(watched.cleared).toBe(true);
      expect(watched.elapsedMs).toBeGreaterThanOrEqual(0);
      await expect(a.call<PeekResult>({ cmd: 'peek', key })).resolves.toEqual({ present: false, value: null });
      rounds.push({ elapsedMs: watched.elapsedMs, invalidateMs: sent.doneAt - sent.t0, spins: watched.spins });
    }

    const elapsed = rounds.map((r) => r.elapsedMs).sort((x, y) => x - y);
    const median = elapsed[Math.floor(elapsed.length / 2)]!;
    console.log(
      `[cross-process] invalidation A→B: B's L1 cleared a median ${median.toFixed(2)} ms after A called invalidateTags ` +
        `(rounds: ${rounds.map((r) => r.elapsedMs.toFixed(2)).join(', ')} ms; A's invalidateTags took ` +
        `${rounds.map((r) => r.invalidateMs.toFixed(2)).join(', ')} ms; B polled its L1 ${rounds.map((r) => r.spins).join(', ')} times)`,
    );
    expect(median).toBeLessThan(100);
    for (const value of elapsed) expect(value).toBeLessThan(1_000);
  });

  it("when A writes a new version after invalidating, then B's next read is HIT-L2 with A's value", async () => {
    const key = 'product:42:summary';
    await holdInBoth(key, 2);
    await a.call({ cmd: 'invalidateTags', tags: [TAG] });
    await untilGoneFromB(key);
    // Workaround, not a requirement: cache.set() in the same millisecond as an invalidation of
    // its tag is silently dropped from L1 and L2 (set() passes its own start time as
    // loadStartedAt and the guard compares with >=). Let the clock tick before writing.
    await sleep(3);
    const loadsBefore = await loads(key);
    await a.call({ cmd: 'set', key, value: { id: 42, version: 3, writtenBy: 'A' }, tags: [TAG], ttl: TTL });

    const next = await b.call<ResolveResult>({ cmd: 'resolve', key, tags: [TAG], ttl: TTL, loaderMs: 0 });
    expect(next).toEqual({ status: 'HIT-L2', value: { id: 42, version: 3, writtenBy: 'A' } });
    expect(await loads(key)).toBe(loadsBefore);
  });

  it("when the row changes and A invalidates, then B's next read is a MISS that loads the new version", async () => {
    const key = 'product:42:price';
    await holdInBoth(key, 4);
    await writeRow(key, { id: 42, version: 5 });
    await a.call({ cmd: 'invalidateTags', tags: [TAG] });
    await untilGoneFromB(key);
    const loadsBefore = await loads(key);

    const next = await b.call<ResolveResult>({ cmd: 'resolve', key, tags: [TAG], ttl: TTL, loaderMs: 0 });
    expect(next).toEqual({ status: 'MISS', value: { id: 42, version: 5 } });
    expect(await loads(key)).toBe(loadsBefore + 1);
  });
});

describe('cross-process stampede', () => {
  const READERS_PER_PROCESS = 250;
  const LOADER_MS = 100;

  async function stampede(key: string): Promise<{ calls: number; results: BurstResult[] }> {
    const startAt = clock() + 150;
    const command: WorkerCommand = {
      cmd: 'burst',
      key,
      tags: ['hot'],
      ttl: TTL,
      loaderMs: LOADER_MS,
      readers: READERS_PER_PROCESS,
      startAt,
    };
    const results = await Promise.all([a.call<BurstResult>(command), b.call<BurstResult>(command)]);
    return { calls: await loads(key), results };
  }

  function check(label: string, calls: number, results: BurstResult[], expected: unknown): void {
    const statuses = results.map((r, i) => `${i === 0 ? 'A' : 'B'} ${JSON.stringify(r.statuses)} in ${r.elapsedMs.toFixed(0)} ms`);
    console.log(
      `[cross-process] stampede (${label}): ${READERS_PER_PROCESS * 2} readers over 2 processes → ${calls} loader call(s); ${statuses.join('; ')}`,
    );
    for (const result of results) {
      expect(result.errors).toEqual([]);
      expect(Object.values(result.statuses).reduce((sum, n) => sum + n, 0)).toBe(READERS_PER_PROCESS);
    }
    const distinct = new Set(results.flatMap((r) => r.values));
    expect([...distinct]).toEqual([JSON.stringify(expected)]);
    // The bar is "at most 2"; in-process coalescing alone would already give 2, so anything
    // above 1 means the cross-process lock failed.
    expect(calls).toBe(1);
  }

  it('when 500 readers in two processes hit a key that was never cached, then the loader runs at most twice and all get the same value', async () => {
    const key = 'hot:never-set';
    const row = { id: 'hot', version: 1, body: 'x'.repeat(512) };
    await writeRow(key, row);
    const { calls, results } = await stampede(key);
    check('never set', calls, results, row);
  });

  it('when 500 readers in two processes hit a hot key that just expired, then the loader runs at most twice and all get the new value', async () => {
    const key = 'hot:expired';
    await writeRow(key, { id: 'hot', version: 1 });
    // Both processes hold it (A loaded it, B from L2) with a 50 ms lifetime; let it expire everywhere.
    await expect(a.call<ResolveResult>({ cmd: 'resolve', key, tags: ['hot'], ttl: 50, loaderMs: 0 })).resolves.toMatchObject({ status: 'MISS' });
    await expect(b.call<ResolveResult>({ cmd: 'resolve', key, tags: ['hot'], ttl: 50, loaderMs: 0 })).resolves.toMatchObject({ status: 'HIT-L2' });
    await sleep(120);
    for (const worker of [a, b]) await expect(worker.call<PeekResult>({ cmd: 'peek', key })).resolves.toMatchObject({ present: false });
    expect(await redis.exists(`${prefix}e:${key}`)).toBe(0);

    const row = { id: 'hot', version: 2, body: 'y'.repeat(512) };
    await writeRow(key, row);
    await redis.del(`${prefix}loads:${key}`);
    const { calls, results } = await stampede(key);
    check('expired', calls, results, row);
  });
});
