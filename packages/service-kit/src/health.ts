import { Router, type Request } from 'express';
import type { Auth } from './auth.ts';
import { isLoopbackAddress } from './client-address.ts';

export interface HealthCheck {
  name: string;
  /** A failing critical check makes readiness 503; others only mark it "degraded". */
  critical: boolean;
  /** Resolves when the dependency answers; the result is ignored. */
  check: () => Promise<unknown>;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  critical: boolean;
  latencyMs: number;
  error?: string;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', critical: check.critical, latencyMs: round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      critical: check.critical,
      latencyMs: round(performance.now() - started),
      error: (error as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** The bearer token of a request, in the format auth.ts' requireAuth accepts. */
const bearerToken = (req: Request): string | undefined => /^Bearer ([A-Za-z0-9._-]{10,4096})$/.exec(req.get('authorization') ?? '')?.[1];

/**
 * A caller on this machine: `req.ip` (the client as `trust proxy` resolves it) is loopback, and so
 * is every address a forwarding header names. The second half matters when a proxy on loopback is
 * not trusted (EDGE_PROXIES emptied while nginx runs on this host): every client would then look
 * local, but the header nginx writes still names the real one.
 */
function isLocalCaller(req: Request): boolean {
  if (!isLoopbackAddress(req.ip)) return false;
  const forwarded = req.get('x-forwarded-for');
  return forwarded === undefined || forwarded.split(',').every((entry) => isLoopbackAddress(entry.trim()));
}

/** Local callers and bearers of a valid admin token; a missing or bad token is no error here, just no detail. */
async function maySeeDetail(req: Request, auth: Auth | undefined): Promise<boolean> {
  if (isLocalCaller(req)) return true;
  const token = bearerToken(req);
  if (!token || !auth) return false;
  try {
    return (await auth.verify(token)).role === 'admin';
  } catch {
    return false;
  }
}

export interface HealthRouterOptions {
  /** Readiness checks time out after this long. Default 1 000 ms. */
  timeoutMs?: number;
  /** Verifies bearer tokens: an admin sees the detail from anywhere. Without it, only local callers do. */
  auth?: Auth | undefined;
}

/**
 * `GET /health`: liveness (the process answers). `GET /health/ready`: readiness, 503 when a
 * critical dependency is down. Everyone gets the status (`{status, service}`, same status code);
 * local callers (the monitor, PM2 and container health checks) and admins also get the pid and
 * each dependency's status, latency and error (decision 0017).
 */
export function healthRouter(service: string, checks: readonly HealthCheck[], options: HealthRouterOptions = {}): Router {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const router = Router();
  router.get('/health', async (req, res) => {
    const detail = await maySeeDetail(req, options.auth);
    res.setHeader('Cache-Control', 'no-store');
    res.json(detail ? { status: 'ok', service, pid: process.pid, uptimeSeconds: Math.round(process.uptime()) } : { status: 'ok', service });
  });
  router.get('/health/ready', async (req, res) => {
    const [results, detail] = await Promise.all([Promise.all(checks.map((check) => runCheck(check, timeoutMs))), maySeeDetail(req, options.auth)]);
    const criticalDown = results.some((r) => r.critical && r.status === 'down');
    const anyDown = results.some((r) => r.status === 'down');
    const status = criticalDown ? 'unavailable' : anyDown ? 'degraded' : 'ready';
    res.setHeader('Cache-Control', 'no-store');
    res.status(criticalDown ? 503 : 200);
    if (!detail) {
      res.json({ status, service });
      return;
    }
    const dependencies = Object.fromEntries(checks.map((check, i) => [check.name, results[i]]));
    res.json({ status, service, pid: process.pid, dependencies });
  });
  return router;
}

/**
 * The readiness checks every service has: MongoDB (critical unless `mongoCritical: false`) and
 * Redis (not critical: in-process fallbacks exist), plus `redis-cache` when the cache's L2 has a
 * Redis of its own (not critical either: the cache then serves from L1 and the database).
 */
export function dependencyHealthChecks(
  pingMongo: () => Promise<unknown>,
  pingRedis: () => Promise<unknown>,
  options: { pingCacheRedis?: (() => Promise<unknown>) | undefined; mongoCritical?: boolean } = {},
): HealthCheck[] {
  return [
    { name: 'mongodb', critical: options.mongoCritical ?? true, check: pingMongo },
    { name: 'redis', critical: false, check: pingRedis },
    ...(options.pingCacheRedis ? [{ name: 'redis-cache', critical: false, check: options.pingCacheRedis }] : []),
  ];
}
