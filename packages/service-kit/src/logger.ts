import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; `service` is on every line. Request lines add `reqId` (see http-logger.ts). */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  });
}

/**
 * A reporter for trouble that repeats while a dependency is down (Redis, the database behind a
 * background task): one warning per context every `intervalMs`, not one per failed call.
 */
export function throttledWarn(logger: Logger, message: string, intervalMs = 30_000): (error: unknown, context: string) => void {
  const lastLogged = new Map<string, number>();
  return (error, context) => {
    const now = Date.now();
    if (now - (lastLogged.get(context) ?? 0) < intervalMs) return;
    lastLogged.set(context, now);
    logger.warn({ err: error instanceof Error ? error.message : String(error), context }, message);
  };
}
