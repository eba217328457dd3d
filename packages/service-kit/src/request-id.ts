import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: nginx's `X-Request-Id` when it is well formed, otherwise a new one. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
}

/** Takes nginx's `X-Request-Id` when it is well formed, otherwise generates one; echoes it back. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.get('x-request-id'));
    req.id = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}
