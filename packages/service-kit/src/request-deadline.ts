import type { RequestHandler } from 'express';

/**
 * Answers 503 (`DEPENDENCY_TIMEOUT`, `Retry-After`) when a request has not started its response
 * within `ms`, so a stuck dependency never turns into a hanging client. The handler's late
 * answer, if any, is dropped.
 */
export function requestDeadline(ms: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      req.log?.error({ reqId: req.id, deadlineMs: ms }, 'request deadline passed');
      res.setHeader('Retry-After', '5');
      res.status(503).json({
        error: { code: 'DEPENDENCY_TIMEOUT', message: 'A dependency did not answer in time, retry shortly', requestId: req.id },
      });
    }, ms);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
