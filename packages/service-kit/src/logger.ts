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
