// scripts/monitor [--json] [--edge URL | --no-edge] [--state FILE] [budget flags]
// One pass over the running stack, for a person or for cron (one schedule, not per worker):
//   - every service's /health/ready, directly and through nginx: down or unready → critical,
//     degraded (a non-critical dependency down) → warn;
//   - the budgets of BRIEF §4.8, from each service's cluster-wide /metrics over the time since the
//     previous pass (its counters are kept in --state, default .run/monitor-state.json): API p95
//     > 500 ms, 5xx > 1 %, cache hit rate < 50 %, memory > 80 % (per worker of MAX_MEMORY_RESTART,
//     and the host's) → warn.
// Prints a table (or --json) and exits 0 ok, 1 warn, 2 critical.
// Budget flags: --max-p95-ms 500 --max-error-rate 0.01 --min-hit-rate 0.5 --max-memory 0.8.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliArgs } from './lib/args.ts';
import { ensureDirs, runDir } from './lib/paths.ts';
import { isApiRoute, sumSamples as sum, type Sample } from '@shop/metrics';
import { parsePromText, quantileFromBuckets } from './lib/prom-text.ts';

type Status = 'ok' | 'warn' | 'critical';
interface Check {
  name: string;
  status: Status;
  value?: string;
  threshold?: string;
  message: string;
}
/** What one pass remembers of a service for the next: cumulative counters. */
interface Counters {
  requests: number;
  errors: number;
  /** Cumulative bucket counts by `le` as written (`+Inf` kept as text: JSON has no Infinity). */
  buckets: [string, number][];
  hits: number;
  misses: number;
}

const SERVICES = [
  { name: 'catalog', port: Number(process.env.CATALOG_PORT ?? 3001), prefix: '/api/catalog' },
  { name: 'order', port: Number(process.env.ORDER_PORT ?? 3002), prefix: '/api/orders' },
  { name: 'search', port: Number(process.env.SEARCH_PORT ?? 3003), prefix: '/api/search' },
] as const;
/** Fewer requests (or cache lookups) than this in the window say nothing about a ratio. */
const MIN_SAMPLE = 20;
const SEVERITY: Record<Status, number> = { ok: 0, warn: 1, critical: 2 };

const args = cliArgs(
  {
    json: { type: 'boolean' },
    edge: { type: 'string' },
    'no-edge': { type: 'boolean' },
    state: { type: 'string' },
    'max-p95-ms': { type: 'string' },
    'max-error-rate': { type: 'string' },
    'min-hit-rate': { type: 'string' },
    'max-memory': { type: 'string' },
  },
  'scripts/monitor [--json] [--edge URL | --no-edge] [--state FILE] [--max-p95-ms N] [--max-error-rate R] [--min-hit-rate R] [--max-memory R]',
);
function budgetFlag(name: string, value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    console.error(`monitor: --${name} must be a non-negative number, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}
const budget = {
  p95Ms: budgetFlag('max-p95-ms', args['max-p95-ms'], 500),
  errorRate: budgetFlag('max-error-rate', args['max-error-rate'], 0.01),
  hitRate: budgetFlag('min-hit-rate', args['min-hit-rate'], 0.5),
  memory: budgetFlag('max-memory', args['max-memory'], 0.8),
};
const edge = args['no-edge'] ? null : (args.edge ?? `http://127.0.0.1:${(process.env.NGINX_LISTEN ?? '8080').split(':').at(-1)}`);
const stateFile = args.state ?? path.join(runDir, 'monitor-state.json');

async function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** `/health/ready` → a check: ready ok, degraded warn, unavailable or unreachable critical. */
async function readiness(name: string, url: string): Promise<Check> {
  const answer = await get(url);
  if ('error' in answer) return { name, status: 'critical', message: `${url} unreachable: ${answer.error}` };
  let body: { status?: string; dependencies?: Record<string, { status: string }> } = {};
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    // not JSON: judged by status alone
  }
  const down = Object.entries(body.dependencies ?? {})
    .filter(([, d]) => d.status !== 'up')
    .map(([dependency]) => dependency);
  const detail = down.length > 0 ? ` (down: ${down.join(', ')})` : '';
  if (answer.status === 200 && body.status === 'ready') return { name, status: 'ok', value: 'ready', message: url };
  if (answer.status === 200) return { name, status: 'warn', value: body.status ?? '200', message: `${url} degraded${detail}` };
  return { name, status: 'critical', value: String(answer.status), message: `${url} not ready${detail}` };
}

function countersOf(samples: readonly Sample[]): Counters {
  const buckets = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== 'http_request_duration_seconds_bucket' || !isApiRoute(s.labels) || s.labels.le === undefined) continue;
    buckets.set(s.labels.le, (buckets.get(s.labels.le) ?? 0) + s.value);
  }
  return {
    requests: sum(samples, 'http_requests_total', isApiRoute),
    errors: sum(samples, 'http_requests_total', (l) => isApiRoute(l) && (l.status_code ?? '').startsWith('5')),
    buckets: [...buckets],
    hits: sum(samples, 'cache_hits_total'),
    misses: sum(samples, 'cache_misses_total'),
  };
}

/** Counters over the window since `before` (cumulative when there is no previous pass or a counter reset). */
function windowOf(now: Counters, before: Counters | undefined): Counters {
  const previous = new Map(before?.buckets ?? []);
  // Any counter lower than before: the totals were reset (Redis flushed); judge them whole.
  const reset =
    !before ||
    now.requests < before.requests ||
    now.errors < before.errors ||
    now.hits < before.hits ||
    now.misses < before.misses ||
    now.buckets.some(([le, count]) => count < (previous.get(le) ?? 0));
  if (reset) return now;
  return {
    requests: now.requests - before.requests,
    errors: now.errors - before.errors,
    buckets: now.buckets.map(([le, count]) => [le, count - (previous.get(le) ?? 0)]),
    hits: now.hits - before.hits,
    misses: now.misses - before.misses,
  };
}

function bytesLimit(): number {
  const raw = (process.env.MAX_MEMORY_RESTART ?? '768M').trim().toUpperCase();
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/.exec(raw);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match?.[2] ?? 'M'] ?? 1024 ** 2;
  return match ? Number(match[1]) * unit : 768 * 1024 ** 2;
}

function budgetChecks(service: string, samples: readonly Sample[], window: Counters): Check[] {
  const checks: Check[] = [];
  const p95 = quantileFromBuckets(new Map(window.buckets.map(([le, count]) => [le === '+Inf' ? Infinity : Number(le), count])), 0.95) * 1000;
  checks.push(
    window.requests < MIN_SAMPLE
      ? { name: `latency-p95:${service}`, status: 'ok', message: `${window.requests} API requests since the last pass (too few to judge)` }
      : {
          name: `latency-p95:${service}`,
          status: p95 > budget.p95Ms ? 'warn' : 'ok',
          value: `${p95.toFixed(1)} ms`,
          threshold: `≤ ${budget.p95Ms} ms`,
          message: `p95 of ${window.requests} API requests`,
        },
  );
  const errorRate = window.requests > 0 ? window.errors / window.requests : 0;
  checks.push(
    window.requests < MIN_SAMPLE
      ? { name: `error-rate:${service}`, status: 'ok', message: `${window.errors} 5xx in ${window.requests} requests (too few to judge)` }
      : {
          name: `error-rate:${service}`,
          status: errorRate > budget.errorRate ? 'warn' : 'ok',
          value: `${(errorRate * 100).toFixed(2)} %`,
          threshold: `≤ ${(budget.errorRate * 100).toFixed(1)} %`,
          message: `${window.errors} 5xx in ${window.requests} requests`,
        },
  );
  const lookups = window.hits + window.misses;
  const hitRate = lookups > 0 ? window.hits / lookups : 1;
  checks.push(
    lookups < MIN_SAMPLE
      ? { name: `cache-hit-rate:${service}`, status: 'ok', message: `${lookups} cache lookups since the last pass (too few to judge)` }
      : {
          name: `cache-hit-rate:${service}`,
          status: hitRate < budget.hitRate ? 'warn' : 'ok',
          value: `${(hitRate * 100).toFixed(1)} %`,
          threshold: `≥ ${(budget.hitRate * 100).toFixed(0)} %`,
          message: `${window.hits} hits of ${lookups} lookups`,
        },
  );
  const workers = Math.max(1, sum(samples, 'shop_metrics_workers'));
  const perWorker = sum(samples, 'process_resident_memory_bytes') / workers;
  const share = perWorker / bytesLimit();
  checks.push({
    name: `memory:${service}`,
    status: share > budget.memory ? 'warn' : 'ok',
    value: `${(perWorker / 1024 ** 2).toFixed(0)} MiB/worker (${(share * 100).toFixed(0)} %)`,
    threshold: `≤ ${(budget.memory * 100).toFixed(0)} % of ${(bytesLimit() / 1024 ** 2).toFixed(0)} MiB`,
    message: `resident memory over ${workers} worker(s), against PM2's max_memory_restart`,
  });
  return checks;
}

function hostMemory(): Check {
  let available = os.freemem();
  try {
    const kb = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) available = Number(kb) * 1024;
  } catch {
    // not Linux: free memory it is
  }
  const used = 1 - available / os.totalmem();
  return {
    name: 'memory:host',
    status: used > budget.memory ? 'warn' : 'ok',
    value: `${(used * 100).toFixed(0)} %`,
    threshold: `≤ ${(budget.memory * 100).toFixed(0)} %`,
    message: `of ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB in use`,
  };
}

/** The previous pass's counters; an unreadable file counts as no previous pass. */
function readState(): Record<string, Counters> {
  if (!existsSync(stateFile)) return {};
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as unknown;
    return state && typeof state === 'object' && !Array.isArray(state) ? (state as Record<string, Counters>) : {};
  } catch {
    return {};
  }
}

async function main(): Promise<number> {
  ensureDirs();
  const previous = readState();
  const next: Record<string, Counters> = {};
  const checks: Check[] = [];
  for (const service of SERVICES) {
    checks.push(await readiness(`ready:${service.name}`, `http://127.0.0.1:${service.port}/health/ready`));
    if (edge) checks.push(await readiness(`edge-ready:${service.name}`, `${edge}${service.prefix}/health/ready`));
    const scraped = await get(`http://127.0.0.1:${service.port}/metrics`);
    if ('error' in scraped || scraped.status !== 200) {
      // Unreachable, or 503 when Redis holds no readable totals: budgets are not judged, and the
      // previous pass's counters stay for the next window.
      checks.push({ name: `metrics:${service.name}`, status: 'warn', message: `no cluster-wide metrics: ${'error' in scraped ? scraped.error : `HTTP ${scraped.status}`}` });
      continue;
    }
    const samples = parsePromText(scraped.body);
    const counters = countersOf(samples);
    next[service.name] = counters;
    checks.push(...budgetChecks(service.name, samples, windowOf(counters, previous[service.name])));
  }
  checks.push(hostMemory());
  // Written whole, then renamed over the old one: a crash mid-write never leaves half a file.
  writeFileSync(`${stateFile}.tmp`, JSON.stringify({ ...previous, ...next }));
  renameSync(`${stateFile}.tmp`, stateFile);

  const status = checks.reduce<Status>((worst, c) => (SEVERITY[c.status] > SEVERITY[worst] ? c.status : worst), 'ok');
  const failing = checks.filter((c) => c.status !== 'ok').map((c) => c.name);
  if (args.json) {
    console.log(JSON.stringify({ status, time: new Date().toISOString(), failing, checks }));
  } else {
    const rows = checks.map((c) => [c.status.toUpperCase(), c.name, c.value ?? '', c.threshold ?? '', c.message]);
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), ['STATUS', 'CHECK', 'VALUE', 'BUDGET'][i]?.length ?? 0));
    const line = (r: string[]): string => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ');
    console.log(line(['STATUS', 'CHECK', 'VALUE', 'BUDGET', 'DETAIL']));
    for (const r of rows) console.log(line(r as string[]));
    console.log(`\n${status.toUpperCase()}${failing.length > 0 ? `: ${failing.join(', ')}` : ''}`);
  }
  return SEVERITY[status];
}

try {
  process.exitCode = await main();
} catch (error) {
  // The monitor itself failed: that is not "warn"; cron must see it.
  console.error(`monitor: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 2;
}
