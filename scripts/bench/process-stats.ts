/**
 * CPU time and memory of the processes behind a reference point, from /proc (Linux): CPU per
 * request is the CPU those processes used during a run divided by the requests answered; peak
 * RSS is the largest sum of their resident memory sampled during the runs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { commandLine } from '../lib/processes.ts';

const TICKS_PER_S = 100;
const PAGE = 4096;

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses),
 * so index 0 is the state, 1 the parent pid, 11 utime, 12 stime; null when the process is gone.
 */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime of a process, ms; 0 when it is gone. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? ((Number(fields[11]) + Number(fields[12])) * 1_000) / TICKS_PER_S : 0;
}

export function rssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** Direct children of a process (an nginx master's workers). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    // A process gone meanwhile has no fields and is skipped.
    if (/^\d+$/.test(entry) && Number(statFields(entry)?.[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/** Processes of a point, by role: `app` (Node), `edge` (nginx), `cache` (Redis), `db` (the database). */
export type ProcessGroups = Partial<Record<'app' | 'edge' | 'cache' | 'db', number[]>>;

export function cpuSnapshot(groups: ProcessGroups): Record<string, number> {
  return Object.fromEntries(Object.entries(groups).map(([role, pids]) => [role, pids.reduce((sum, pid) => sum + cpuMs(pid), 0)]));
}

/** Samples the summed RSS of the app and edge processes until stopped; returns the peak, bytes. */
export function rssPeakSampler(groups: ProcessGroups, everyMs = 200): { stop(): { app: number; edge: number } } {
  const peak = { app: 0, edge: 0 };
  const sample = (): void => {
    peak.app = Math.max(peak.app, (groups.app ?? []).reduce((sum, pid) => sum + rssBytes(pid), 0));
    peak.edge = Math.max(peak.edge, (groups.edge ?? []).reduce((sum, pid) => sum + rssBytes(pid), 0));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** The first process whose command line matches (a server this run did not start: the database, Redis). */
export function findPid(pattern: RegExp): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const command = commandLine(Number(entry));
    if (command !== null && pattern.test(command)) return Number(entry);
  }
  return null;
}
