/**
 * vegeta's side of a constant-rate run (constant-rate.ts): its JSON target format, which loadgen
 * reads too, the arguments of `vegeta attack -lazy -format=json` (targets on stdin), and its
 * results read back through `vegeta encode --to json`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { RequestSpec } from '../lib/open-loop.ts';
import { readResultLines, type VegetaResult, type VegetaSchedule } from './vegeta-results.ts';

/** A constant-rate run, whichever Go generator makes it. */
export interface ConstantRateAttack extends VegetaSchedule {
  /** The generator's binary (vegeta-build.ts, loadgen-build.ts). */
  bin: string;
  port: number;
  host?: string;
  next: () => RequestSpec;
  /** Sent with every request (the bench's CLIENT_HEADERS). */
  headers: Record<string, string>;
  /** Workers (each with its keep-alive connection) the generator starts with. */
  connections: number;
}

/**
 * Answers later than this count as errors. nginx gives up on a service after 15 s
 * (proxy_read_timeout), so no answer through it takes longer.
 */
export const TIMEOUT = '15s';

/** One request as a line of vegeta's JSON target format (loadgen's too): method, URL, headers, base64 body. */
export function vegetaTarget(spec: RequestSpec, base: string): string {
  const request = typeof spec === 'string' ? { method: 'GET', path: spec } : spec;
  const header = Object.entries(request.headers ?? {}).map(([name, value]) => [name, [value]]);
  return JSON.stringify({
    method: request.method,
    url: `${base}${request.path}`,
    ...(header.length > 0 ? { header: Object.fromEntries(header) } : {}),
    ...(request.body ? { body: Buffer.from(request.body, 'utf8').toString('base64') } : {}),
  });
}

/**
 * How many targets an attack gets: every request of the schedule and a margin. Under -lazy
 * vegeta stops when its input ends, so it must never run out before the duration does.
 */
export function targetCount(attack: Pick<ConstantRateAttack, 'rate' | 'warmupS' | 'durationS'>): number {
  return Math.ceil(attack.rate * (attack.warmupS + attack.durationS)) + Math.ceil(attack.rate / 10) + 16;
}

/**
 * Workers (requests in flight) per connection of the closed loop. The closed loop reached the
 * maximum with `connections` requests in flight; at half that rate and the same latency, the open
 * loop has half as many (Little's law), so 2× leaves room for bursts of 4× that. Beyond it the
 * server is queueing, and a request due then waits for a worker: that shows as the generator's
 * lag, printed beside every p99. More workers cost more than they catch on two cores shared
 * with the stack: at 25k req/s against the edge cache, 8× measured p99 3.7–5.2 ms (lag up to 22 ms)
 * where 2× measured 1.9–2.2 ms (lag ≤ 2.3 ms), three runs each (decision 0013, 2026-12-07).
 * Unbounded, vegeta met a stall with thousands of workers, nginx opened an upstream connection
 * for each beyond its keep-alive pool, and the run collapsed under the connection churn (p50 in
 * seconds at the ceiling, decision 0013).
 */
export const WORKERS_PER_CONNECTION = 2;

/**
 * vegeta's garbage collector target (GOGC) during an attack. At the default (100) its collector
 * took a quarter core in bursts from the cores the stack runs on; at 400 vegeta spent ~15 % less
 * CPU per request and its heap stayed under 50 MB at 25k req/s (decision 0013).
 */
export const VEGETA_GOGC = '400';

/** vegeta attack's arguments: workers start at the bench's connection count and may grow to WORKERS_PER_CONNECTION times it. */
export function attackArgs(attack: ConstantRateAttack, output: string): string[] {
  const maxWorkers = attack.connections * WORKERS_PER_CONNECTION;
  return [
    'attack',
    '-lazy',
    '-format=json',
    `-rate=${attack.rate}/s`,
    `-duration=${Math.round((attack.warmupS + attack.durationS) * 1_000)}ms`,
    `-workers=${attack.connections}`,
    `-max-workers=${maxWorkers}`,
    '-keepalive=true',
    // Bodies are read to their end but not kept: storing and encoding each one cost vegeta ~18 %
    // of its CPU, on the cores the stack runs on. Body bytes come from Content-Length instead.
    '-max-body=0',
    `-timeout=${TIMEOUT}`,
    // A redirect is an answer like any other, as the Node client counts it.
    '-redirects=-1',
    ...Object.entries(attack.headers).map(([name, value]) => `-header=${name}: ${value}`),
    `-output=${output}`,
  ];
}

/** The results of an attack's output file, decoded by `vegeta encode --to json`. */
export async function readResults(bin: string, file: string): Promise<VegetaResult[]> {
  const child = spawn(bin, ['encode', '--to', 'json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = once(child, 'close') as Promise<[number | null]>;
  const results = await readResultLines(child.stdout);
  const [code] = await closed;
  if (code !== 0) throw new Error(`vegeta encode exited ${code}: ${stderr.trim()}`);
  return results;
}
