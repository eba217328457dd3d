// Runs `scripts/monitor --json` against a test stack, as an operator's cron would, and returns
// its exit code and report. Asynchronous, so load this process generates keeps running meanwhile.
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Stack } from './stack-harness.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface MonitorReport {
  status: 'ok' | 'warn' | 'critical';
  failing: string[];
  checks: { name: string; status: string; value?: string; message: string }[];
}

export interface MonitorRun {
  /** The monitor's exit: 0 ok, 1 warn (a budget breached), 2 critical; null when it was killed by a signal. */
  code: number | null;
  report: MonitorReport;
  stderr: string;
}

/**
 * One run of the monitor against `stack`, keeping its state (for rates) in `stateFile`. The
 * host's memory is the CI machine's business, not a test's: its budget is set out of reach.
 */
export function runMonitor(stack: Stack, stateFile: string): Promise<MonitorRun> {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(repoRoot, 'scripts', 'monitor'),
      ['--json', '--edge', stack.edge, '--state', stateFile, '--max-memory', '1'],
      { encoding: 'utf8', env: { ...process.env, CATALOG_PORT: String(stack.ports.catalog), ORDER_PORT: String(stack.ports.order), SEARCH_PORT: String(stack.ports.search) } },
      (error, stdout, stderr) => {
        try {
          const report = JSON.parse(stdout) as MonitorReport;
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, report, stderr });
        } catch {
          reject(new Error(`scripts/monitor printed no report: ${stderr || error?.message}`));
        }
      },
    );
  });
}
