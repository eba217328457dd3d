/**
 * loadgen's side of a constant-rate run (constant-rate.ts): its arguments, and its results, which
 * it writes itself in the shape of `vegeta encode --to json` (scripts/bench/loadgen/output.go).
 */
import { createReadStream } from 'node:fs';
import { TIMEOUT, WORKERS_PER_CONNECTION, type ConstantRateAttack } from './vegeta.ts';
import { readResultLines, type VegetaResult } from './vegeta-results.ts';

/** loadgen's arguments: the same schedule, workers, timeout and headers as vegeta's (attackArgs). */
export function loadgenArgs(attack: ConstantRateAttack, targets: string, output: string): string[] {
  return [
    `-targets=${targets}`,
    `-output=${output}`,
    `-rate=${attack.rate}`,
    `-duration=${Math.round((attack.warmupS + attack.durationS) * 1_000)}ms`,
    `-workers=${attack.connections}`,
    `-max-workers=${attack.connections * WORKERS_PER_CONNECTION}`,
    `-timeout=${TIMEOUT}`,
    ...Object.entries(attack.headers).map(([name, value]) => `-header=${name}: ${value}`),
    ...(attack.countHeader ? [`-record-header=${attack.countHeader}`] : []),
  ];
}

/** The results loadgen wrote, one JSON line a request. */
export function readLoadgenResults(file: string): Promise<VegetaResult[]> {
  return readResultLines(createReadStream(file, 'utf8'));
}
