import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './logger.ts';

/** Health probes and scrapes, polled every few seconds, are not logged; every other path is. */
const QUIET_PATHS = /^(\/api\/[a-z]+)?\/(health|health\/ready|metrics)$/;

/** One JSON line per request with `reqId`; `req.log` carries the id into every line a handler writes. */
export function httpLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
    customAttributeKeys: { reqId: 'reqId' },
    quietReqLogger: true,
    autoLogging: { ignore: (req) => QUIET_PATHS.test((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}
