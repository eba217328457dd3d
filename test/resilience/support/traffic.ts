// Load for the reliability suite that keeps every answer: when it came, how long it took, its
// status and the headers the properties are about (X-Cache, Retry-After), so a test can say what
// happened in each phase of a fault, not only on average.
import http from 'node:http';
import { latencyPercentiles } from '../../../scripts/lib/open-loop.ts';

export interface RequestSpec {
  /** What this request is, for the per-kind tallies ("product", "stock", "order"…). */
  kind: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Answer {
  kind: string;
  method: string;
  path: string;
  /** When it was sent, ms since the traffic started (or since `origin` for single requests). */
  at: number;
  /** Until the last byte, or until the failure. */
  ms: number;
  /** 0 when the connection failed or timed out. */
  status: number;
  xCache?: string;
  retryAfter?: string;
  contentType?: string;
  body: string;
  error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One request; never rejects (a failed connection is an answer with status 0). */
export function send(base: string, spec: RequestSpec, options: { timeoutMs?: number; origin?: number } = {}): Promise<Answer> {
  const url = new URL(spec.path, base);
  const method = spec.method ?? 'GET';
  const started = performance.now();
  const at = started - (options.origin ?? started);
  return new Promise((resolve) => {
    const done = (answer: Omit<Answer, 'kind' | 'method' | 'path' | 'at' | 'ms'>): void =>
      resolve({ kind: spec.kind, method, path: spec.path, at, ms: performance.now() - started, ...answer });
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(spec.body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body) } : {}),
          ...spec.headers,
        },
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(typeof res.headers['x-cache'] === 'string' ? { xCache: res.headers['x-cache'] } : {}),
            ...(typeof res.headers['retry-after'] === 'string' ? { retryAfter: res.headers['retry-after'] } : {}),
            ...(typeof res.headers['content-type'] === 'string' ? { contentType: res.headers['content-type'] } : {}),
          }),
        );
        res.on('error', (error) => done({ status: 0, body: '', error: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (error) => done({ status: 0, body: '', error: error.message }));
    req.end(spec.body);
  });
}

export interface Traffic {
  /** Every answer so far, in the order they came back. */
  readonly answers: Answer[];
  /** ms since the traffic started. */
  now(): number;
  /** Stops sending; resolves once every request in flight has answered. */
  stop(): Promise<Answer[]>;
}

/**
 * `users` virtual users, each sending `next()` and waiting `thinkMs` after every answer, until
 * stopped. Answers are kept (bodies of 2xx only when `keepBodies`).
 */
export interface TrafficOptions {
  users: number;
  thinkMs: number;
  next: () => RequestSpec;
  /** Per request (default 15 s); past it the answer is status 0. */
  timeoutMs?: number;
  keepBodies?: boolean;
}

export function startTraffic(base: string, options: TrafficOptions): Traffic {
  const origin = performance.now();
  const answers: Answer[] = [];
  let running = true;
  const users = Array.from({ length: options.users }, async (_, user) => {
    // Spread the users over the first think time, so they do not move in lockstep.
    await sleep((options.thinkMs * user) / options.users);
    while (running) {
      const answer = await send(base, options.next(), { timeoutMs: options.timeoutMs ?? 15_000, origin });
      if (answer.status >= 200 && answer.status < 300 && !options.keepBodies) answer.body = '';
      answers.push(answer);
      await sleep(options.thinkMs);
    }
  });
  return {
    answers,
    now: () => performance.now() - origin,
    async stop() {
      running = false;
      await Promise.all(users);
      return answers;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Status → count, e.g. `{"200": 1830, "503": 12}` (0 = connection failed). */
export function statusCounts(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/** One line per kind: count, statuses, p50/p99/max. */
export function describe(answers: readonly Answer[]): string {
  const kinds = [...new Set(answers.map((a) => a.kind))];
  return kinds
    .map((kind) => {
      const of = answers.filter((a) => a.kind === kind);
      const { p50, p99, max } = latencyPercentiles(of.map((a) => a.ms));
      return `  ${kind}: ${of.length} answers ${JSON.stringify(statusCounts(of))}, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
    })
    .join('\n');
}

/** The first few answers matching `predicate`, compactly, for a failing expectation to show. */
export function examples(answers: readonly Answer[], predicate: (a: Answer) => boolean, n = 5): string[] {
  return answers
    .filter(predicate)
    .slice(0, n)
    .map((a) => `${a.method} ${a.path} at ${(a.at / 1000).toFixed(2)} s: ${a.status} in ${a.ms.toFixed(0)} ms ${a.error ?? a.body.slice(0, 200)}`);
}
