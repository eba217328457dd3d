import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from './app-error.ts';
import type { Logger } from './logger.ts';

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  code?: number | string;
  name?: string;
  keyValue?: Record<string, unknown>;
  path?: string;
  message?: string;
}

/** Driver errors that mean "the database is not answering", not "your request is wrong". */
const MONGO_UNAVAILABLE = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'WaitQueueTimeoutError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoOperationTimeoutError',
]);

/**
 * Server error codes that mean "this server is going away or cannot serve now" (shutting down,
 * stepping down, unreachable, overloaded): the driver's own retryable codes. Whatever the request,
 * retrying it shortly is the right advice.
 */
const MONGO_SERVER_UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * Socket errors that reach a handler raw: the MongoDB driver lets a write to a socket the server
 * just closed surface as a plain `Error` with code EPIPE (seen when the database stops under load).
 * A dependency's connection failing is "unavailable, retry", not a bug.
 */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH']);

const BODY_PARSER: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'INVALID_JSON', 'Request body is not valid JSON'],
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'Request body is larger than the limit'],
  'encoding.unsupported': [415, 'UNSUPPORTED_ENCODING', 'Unsupported content encoding'],
  'charset.unsupported': [415, 'UNSUPPORTED_CHARSET', 'Unsupported charset'],
  'request.aborted': [400, 'REQUEST_ABORTED', 'Request was aborted'],
  'request.size.invalid': [400, 'INVALID_CONTENT_LENGTH', 'Content-Length does not match the body'],
  'parameters.too.many': [413, 'TOO_MANY_PARAMETERS', 'Too many parameters'],
};

/** Maps anything thrown to the AppError the client will see. Unknown errors become a 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = (error ?? {}) as HttpishError;
  const parser = e.type ? BODY_PARSER[e.type] : undefined;
  if (parser) return new AppError(parser[1], parser[2], parser[0], { cause: error });
  if (e.code === 11000) {
    return new AppError('DUPLICATE', 'A record with the same unique value already exists', 409, {
      details: e.keyValue ? { fields: Object.keys(e.keyValue) } : undefined,
      cause: error,
    });
  }
  if (e.name === 'CastError') {
    return new AppError('VALIDATION_FAILED', `Invalid value for ${e.path ?? 'a field'}`, 400, { cause: error });
  }
  if (e.name === 'ValidationError' || e.name === 'StrictModeError') {
    return new AppError('VALIDATION_FAILED', e.message ?? 'Invalid document', 400, { cause: error });
  }
  if (
    (e.name && MONGO_UNAVAILABLE.has(e.name)) ||
    (e.name === 'MongoServerError' && typeof e.code === 'number' && MONGO_SERVER_UNAVAILABLE_CODES.has(e.code)) ||
    (typeof e.code === 'string' && SOCKET_ERROR_CODES.has(e.code))
  ) {
    return new AppError('DEPENDENCY_UNAVAILABLE', 'The database is unavailable, retry shortly', 503, {
      headers: { 'Retry-After': '5' },
      cause: error,
    });
  }
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false) {
    return new AppError('BAD_REQUEST', e.message ?? 'Bad request', status, { cause: error });
  }
  return new AppError('INTERNAL_ERROR', 'Internal server error', 500, { cause: error });
}

export interface ErrorHandlerOptions {
  logger: Logger;
  /** Called after answering when the error was catastrophic (the process should stop). */
  onCatastrophic?: (error: AppError) => void;
}

/** The one place errors become responses: JSON `{ error: { code, message, details, requestId } }`, no stacks. */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    const log = req.log ?? options.logger;
    if (appError.httpStatus >= 500) {
      log.error({ err: error, reqId: req.id, code: appError.code }, 'request failed');
    }
    if (res.headersSent) {
      // Part of the answer is out, so the rest cannot become an error body: the connection is
      // cut and the client sees a truncated answer, never a wrong one. An answer already
      // complete (the deadline's 503, then the handler's late failure) is left alone: Express's
      // final handler would destroy its keep-alive socket, which nginx may be reusing already.
      if (!res.writableEnded) res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
    res.status(appError.httpStatus).json({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details === undefined ? {} : { details: appError.details }),
        requestId: req.id,
      },
    });
    if (appError.catastrophic) options.onCatastrophic?.(appError);
  };
}

/** 404 for every route nobody declared. */
export function notFoundHandler(): RequestHandler {
  return (req) => {
    throw new AppError('ROUTE_NOT_FOUND', `No route for ${req.method} ${req.path}`, 404);
  };
}
