/**
 * What a vegeta attack measured, from its results as `vegeta encode --to json` writes them (one
 * JSON object a line), in the shape the bench's other runs report (LoadResult): latencies of the
 * measured 2xx answers, statuses, errors, body bytes, and the generator's own lag against its
 * schedule.
 *
 * The lag (decision 0013): vegeta's constant pacer releases request i at start + i/rate, and the
 * worker that takes it stamps the result with its send time. Results are numbered (seq) in the
 * order of those stamps, so request i's lag is its stamp minus start + i/rate. The attack's start
 * is not in the results; it is taken as the earliest stamp minus its own due offset, min(stamp_i −
 * i/rate). The pacer never releases a request early, so that is the latest start consistent with
 * every stamp: the lags are lower bounds, short of the truth by the least lag of the run
 * (microseconds). A request due in the measured window that vegeta never sent (it fell behind and
 * the duration ran out) counts as late by at least the time from when it was due to the end of the
 * run: a generator that cannot keep the rate shows as lag, never as a smaller sample.
 */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { latencyPercentiles, type LoadResult } from '../lib/open-loop.ts';

/** The fields the bench reads of one result. */
export interface VegetaResult {
  /** Order of sending, from 0. */
  seq: number;
  /** HTTP status; 0 when no answer came (connection error, timeout). */
  code: number;
  /** Send time, ms since the Unix epoch (sub-microsecond resolution at today's dates). */
  sentMs: number;
  /** From the send time to the answer's last body byte, ms. */
  latencyMs: number;
  /** Body bytes of the answer as they came on the wire (compressed when the server compressed). */
  bytesIn: number;
  /** Response headers by their canonical names. */
  headers: Record<string, string[]>;
}

export interface VegetaSchedule {
  /** Requests per second the attack offered. */
  rate: number;
  /** Seconds at the start whose requests are not counted. */
  warmupS: number;
  /** Measured seconds after them. */
  durationS: number;
  /** A response header whose values are counted over the measured answers (X-Cache-Nginx). */
  countHeader?: string;
}

/** LoadResult, with the counted header's values when one was asked for ("-": absent). */
export interface VegetaLoadResult extends LoadResult {
  headerCounts?: Record<string, number>;
  /** Requests due in the measured window that vegeta never sent. */
  unsent: number;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** An RFC 3339 timestamp with up to nanoseconds (Go's time.Time in JSON) as ms since the epoch. */
export function timestampMs(text: string): number {
  const match = TIMESTAMP.exec(text);
  if (!match) throw new Error(`vegeta result: unreadable timestamp "${text}"`);
  const [, seconds, fraction = '', zone] = match;
  return Date.parse(`${seconds}${zone}`) + Number(`0.${fraction}0`) * 1_000;
}

/** One line of `vegeta encode --to json`. */
export function parseVegetaLine(line: string): VegetaResult {
  const raw = JSON.parse(line) as { seq: number; code: number; timestamp: string; latency: number; bytes_in: number; headers: Record<string, string[]> | null };
  const headers = raw.headers ?? {};
  // Under -max-body=0 vegeta keeps no body bytes: the answer's Content-Length says how many there were.
  const bytesIn = raw.bytes_in || Number(headerValue(headers, 'content-length') ?? 0) || 0;
  return { seq: raw.seq, code: raw.code, sentMs: timestampMs(raw.timestamp), latencyMs: raw.latency / 1e6, bytesIn, headers };
}

/** Every result of a stream of JSON result lines (vegeta encode's, or loadgen's own output). */
export async function readResultLines(input: Readable): Promise<VegetaResult[]> {
  const results: VegetaResult[] = [];
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim()) results.push(parseVegetaLine(line));
  }
  return results;
}

/** When the schedule started, ms since the epoch: min(stamp_i − i/rate) (see the file's comment). */
export function scheduleStart(results: readonly VegetaResult[], rate: number): number {
  // A loop, not Math.min(...): a long run has more results than a call may take arguments.
  let start = Number.POSITIVE_INFINITY;
  for (const r of results) start = Math.min(start, r.sentMs - (r.seq * 1_000) / rate);
  return start;
}

/** Each result's lag behind its place in the schedule, ms, in seq order. */
export function scheduleLags(results: readonly VegetaResult[], rate: number): number[] {
  const start = scheduleStart(results, rate);
  return [...results].sort((a, b) => a.seq - b.seq).map((r) => r.sentMs - (start + (r.seq * 1_000) / rate));
}

/** A header's first value, whatever the case of its name; undefined when absent. */
function headerValue(headers: Record<string, string[]>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : headers[key]?.[0];
}

/**
 * The measured part of an attack: requests due in [warmupS, warmupS + durationS) of the schedule,
 * which is seq in [rate × warmupS, rate × (warmupS + durationS)).
 */
export function summarizeVegeta(results: readonly VegetaResult[], schedule: VegetaSchedule): VegetaLoadResult {
  const from = Math.round(schedule.rate * schedule.warmupS);
  const to = from + Math.round(schedule.rate * schedule.durationS);
  const start = scheduleStart(results, schedule.rate);
  const due = (seq: number): number => start + (seq * 1_000) / schedule.rate;
  const latencies: number[] = [];
  const measuredLags: number[] = [];
  const statuses: Record<string, number> = {};
  const headerCounts: Record<string, number> = {};
  const sent = new Set<number>();
  let lastSent = Number.NEGATIVE_INFINITY;
  let errors = 0;
  let answered = 0;
  let bodyBytes = 0;
  for (const r of results) {
    lastSent = Math.max(lastSent, r.sentMs);
    if (r.seq < from || r.seq >= to) continue;
    sent.add(r.seq);
    measuredLags.push(r.sentMs - due(r.seq));
    if (r.code === 0) {
      errors++;
      continue;
    }
    answered++;
    bodyBytes += r.bytesIn;
    statuses[r.code] = (statuses[r.code] ?? 0) + 1;
    if (r.code < 200 || r.code >= 300) errors++;
    else latencies.push(r.latencyMs);
    if (schedule.countHeader) {
      const value = headerValue(r.headers, schedule.countHeader) ?? '-';
      headerCounts[value] = (headerCounts[value] ?? 0) + 1;
    }
  }
  // The run lasted its whole duration (vegeta ends early only on an error, which is thrown).
  const end = Math.max(lastSent, start + (schedule.warmupS + schedule.durationS) * 1_000);
  for (let seq = from; seq < to; seq++) if (!sent.has(seq)) measuredLags.push(end - due(seq));
  return {
    latencies,
    errors,
    statuses,
    answered,
    bodyBytes,
    elapsedS: schedule.durationS,
    timerLagP99: latencyPercentiles(measuredLags).p99,
    unsent: to - from - sent.size,
    ...(schedule.countHeader ? { headerCounts } : {}),
  };
}
