import { Router } from 'express';

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

/**
 * `GET /health`: liveness (the process answers). `GET /health/ready`: readiness, with each
 * dependency's status and latency; 503 when a critical one is down.
 */
export function healthRouter(service: string, checks: readonly HealthCheck[], timeoutMs = 1_000): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok', service, pid: process.pid, uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/health/ready', async (_req, res) => {
    const results = await Promise.all(checks.map((check) => runCheck(check, timeoutMs)));
    const dependencies = Object.fromEntries(checks.map((check, i) => [check.name, results[i]]));
    const criticalDown = results.some((r) => r.critical && r.status === 'down');
    const anyDown = results.some((r) => r.status === 'down');
    res.setHeader('Cache-Control', 'no-store');
    res.status(criticalDown ? 503 : 200).json({
      status: criticalDown ? 'unavailable' : anyDown ? 'degraded' : 'ready',
      service,
      pid: process.pid,
      dependencies,
    });
  });
  return router;
}

/** The readiness checks every service has: MongoDB (critical) and Redis (not critical: in-process fallbacks exist). */
export function dependencyHealthChecks(pingMongo: () => Promise<unknown>, pingRedis: () => Promise<unknown>): HealthCheck[] {
  return [
    { name: 'mongodb', critical: true, check: pingMongo },
    { name: 'redis', critical: false, check: pingRedis },
  ];
}
