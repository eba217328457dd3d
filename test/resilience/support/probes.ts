// Small measurements the fault suites take of the running stack.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Stack } from '../../e2e/stack-harness.ts';
import { send } from './traffic.ts';

/**
 * The L2 hit rate as two workers see each other's reads: every product is read twice straight
 * from the catalog port on new connections (PM2's master hands them to the workers in turn), so
 * the second read usually lands on the other worker, whose L1 does not hold it. Of the second
 * reads not answered by L1, the share answered by L2 (Redis): 1 when L2 works, 0 when it is down.
 */
export async function l2HitRate(stack: Stack, productIds: readonly string[]): Promise<{ rate: number; l2: number; misses: number; l1: number }> {
  const base = `http://127.0.0.1:${stack.ports.catalog}`;
  let l2 = 0;
  let misses = 0;
  let l1 = 0;
  for (const id of productIds) {
    const spec = { kind: 'probe', path: `/api/catalog/products/${id}`, headers: { connection: 'close' } };
    const first = await send(base, spec);
    const second = await send(base, spec);
    if (first.status !== 200 || second.status !== 200) throw new Error(`L2 probe: ${first.status}/${second.status} for product ${id}`);
    if (second.xCache === 'HIT-L2') l2++;
    else if (second.xCache === 'HIT-L1' || second.xCache === 'HIT-FAST') l1++;
    else misses++;
  }
  return { rate: l2 + misses === 0 ? Number.NaN : l2 / (l2 + misses), l2, misses, l1 };
}

/** Readiness status of each service, straight from its port. */
export async function readiness(stack: Stack): Promise<Record<'catalog' | 'order' | 'search', number>> {
  const of = async (name: 'catalog' | 'order' | 'search'): Promise<number> =>
    (await send(`http://127.0.0.1:${stack.ports[name]}`, { kind: 'ready', path: '/health/ready' }, { timeoutMs: 10_000 })).status;
  const [catalog, order, search] = await Promise.all([of('catalog'), of('order'), of('search')]);
  return { catalog, order, search };
}

/** One readiness probe of a service on a new connection (PM2 hands those to its workers in turn). */
const askReady = (stack: Stack, name: 'catalog' | 'order' | 'search') =>
  send(`http://127.0.0.1:${stack.ports[name]}`, { kind: 'ready', path: '/health/ready', headers: { connection: 'close' } }, { timeoutMs: 10_000 });

/**
 * What each service's readiness says in detail (pid and each dependency's status and error), a
 * few probes per port so that both workers are likely heard: printed when readiness is not back.
 */
export async function readinessDetail(stack: Stack, probes = 4): Promise<string> {
  const lines: string[] = [];
  for (const name of ['catalog', 'order', 'search'] as const) {
    for (let i = 0; i < probes; i++) {
      const answer = await askReady(stack, name);
      lines.push(`${name} ${answer.status} ${answer.error ?? answer.body}`);
    }
  }
  return lines.join('\n');
}

/** The services' log lines about the database (logMongoTransitions), the last `max`: when each worker lost it and got it back. */
export function databaseLogLines(stack: Stack, max = 60): string {
  const dir = path.join(stack.home, 'logs');
  const lines = readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .flatMap((file) => readFileSync(path.join(dir, file), 'utf8').split('\n').filter((line) => line.includes('"mongodb ')).map((line) => `${file}: ${line}`));
  return lines.slice(-max).join('\n');
}

/**
 * Readiness of every worker, not one per port: probes each service on new connections (PM2
 * hands them to its workers in turn) until every live worker's pid has answered, and gives each
 * service the worst status its workers gave. A wedged worker cannot hide behind its healthy twin.
 */
export async function readinessOfEveryWorker(stack: Stack): Promise<Record<'catalog' | 'order' | 'search', number>> {
  const of = async (name: 'catalog' | 'order' | 'search'): Promise<number> => {
    const pids = new Set((await stack.workersAsync(name)).map((w) => w.pid));
    const heard = new Map<number, number>();
    for (let i = 0; i < 8 * pids.size && heard.size < pids.size; i++) {
      const answer = await askReady(stack, name);
      let pid: number | undefined;
      try {
        pid = (JSON.parse(answer.body || '{}') as { pid?: number }).pid;
      } catch {
        // Not the service's JSON (a failed connection, a proxy's page): not ready, asked again next time round.
      }
      if (pid === undefined) return answer.status === 200 ? 0 : answer.status;
      heard.set(pid, answer.status);
    }
    if (pids.size === 0 || heard.size < pids.size) return 0;
    return Math.max(...heard.values());
  };
  const [catalog, order, search] = await Promise.all([of('catalog'), of('order'), of('search')]);
  return { catalog, order, search };
}

/** pm_id → pid and restart count of every worker, to show that a recovery needed no restart. */
export function workerIdentities(stack: Stack): string[] {
  return stack
    .workers()
    .map((w) => `${w.name}#${w.pm_id} pid ${w.pid} restarts ${w.pm2_env.restart_time}`)
    .sort();
}
