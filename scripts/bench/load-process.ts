// The benchmark's load generator, in a process of its own (issue P8: load from a separate
// process): the orchestrator (scripts/bench.ts) forks it once per run and sends one job; it
// answers with what it measured and exits. Its CPU is not the servers'. Warm-ups, sweeps and the
// closed loop run on the Node client (scripts/lib/open-loop.ts); the open loop on loadgen or
// vegeta (constant-rate.ts), or on the Node client when the job says so (`--generator node`).
import { readFileSync } from 'node:fs';
import { closedLoop, latencyPercentiles, openLoop, type LoadResult } from '../lib/open-loop.ts';
import { requestStream, sweepRequests, type Fixture, type Scenario } from './scenarios.ts';
import { constantRateOpenLoop, type ConstantRateGenerator } from './constant-rate.ts';

/** What generates the open loop: loadgen's binary (the default), vegeta's, or the Node client. */
export type Generator = { kind: ConstantRateGenerator; bin: string } | { kind: 'node' };

export interface LoadJob {
  /** closed: flat out; open: at `rate`; sweep: every distinct GET of the scenario once (warm-up). */
  mode: 'closed' | 'open' | 'sweep';
  port: number;
  scenario: Scenario;
  fixtureFile: string;
  seed: number;
  /** Distinguishes this run's Idempotency-Keys from every other run's. */
  unique: string;
  connections: number;
  warmupS: number;
  durationS: number;
  /** Open loop only: requests per second offered. */
  rate?: number;
  /** The open loop's generator (warm-ups, sweeps and the closed loop always run on the Node client). */
  generator: Generator;
  /** Open loop on a Go generator only: a response header whose values are counted (X-Cache). */
  countHeader?: string;
}

export interface LoadSummary extends Omit<LoadResult, 'latencies'> {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** The values of the job's countHeader over the measured answers ("-": absent). */
  headerCounts?: Record<string, number>;
}

/** What every client of the shop sends: a browser's encodings and an Accept. */
export const CLIENT_HEADERS = { 'Accept-Encoding': 'br, gzip', Accept: 'application/json' };

export function summarize(result: LoadResult & Pick<LoadSummary, 'headerCounts'>): LoadSummary {
  const { p50, p95, p99, max } = latencyPercentiles(result.latencies);
  const { latencies: _latencies, ...rest } = result;
  return { ...rest, rps: result.answered / Math.max(result.elapsedS, 1e-9), p50, p95, p99, max };
}

async function run(job: LoadJob): Promise<LoadSummary> {
  const fixture = JSON.parse(readFileSync(job.fixtureFile, 'utf8')) as Fixture;
  const target = {
    port: job.port,
    connections: job.connections,
    warmupS: job.warmupS,
    durationS: job.durationS,
    headers: CLIENT_HEADERS,
    next: requestStream(job.scenario, fixture, job.seed, job.unique),
  };
  if (job.mode === 'sweep') {
    const list = sweepRequests(job.scenario, fixture) ?? [];
    let i = 0;
    return summarize(await closedLoop({ ...target, warmupS: 0, durationS: 3_600, next: () => list[i++] ?? null }));
  }
  if (job.mode === 'closed') return summarize(await closedLoop(target));
  const rate = job.rate ?? 1;
  if (job.generator.kind === 'node') return summarize(await openLoop({ ...target, rate }));
  const { summary } = await constantRateOpenLoop(job.generator.kind, { ...target, bin: job.generator.bin, rate, ...(job.countHeader ? { countHeader: job.countHeader } : {}) });
  return summarize(summary);
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    (summary) => process.send?.({ ok: true, summary }, () => process.exit(0)),
    (error: unknown) => process.send?.({ ok: false, error: (error as Error).stack ?? String(error) }, () => process.exit(1)),
  );
});
