import { readFileSync } from 'node:fs';

/**
 * True when `pid` is a live process whose command line contains `marker` ("redis-server",
 * "mongo-standin", "nginx: master"). A pid recorded before a reboot or crash may belong to
 * anything by now: nothing is signalled on the strength of the number alone.
 */
export function aliveAs(pid: number | undefined, marker: string): pid is number {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  return commandLine(pid)?.includes(marker) ?? false;
}

/** The command line of `pid`, arguments separated by spaces; null when there is no such process. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

/**
 * Ends the process `pid` if it is still what `marker` says: `signal` (its graceful stop), then
 * SIGKILL once `timeoutMs` has passed. False when there was nothing of that kind to stop.
 */
export async function endProcess(pid: number | undefined, marker: string, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  if (!aliveAs(pid, marker)) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (aliveAs(pid, marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (aliveAs(pid, marker)) process.kill(pid, 'SIGKILL');
  return true;
}
