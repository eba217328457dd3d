import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { AppError } from './app-error.ts';

export interface InputSchemas<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params?: P;
  query?: Q;
  body?: B;
}

export interface ValidInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
}

type Location = 'params' | 'query' | 'body';

/** Turns zod issues into `details: [{ location, field, message }]`, the shape every 400 uses. */
export function validationError(location: Location, error: z.ZodError): AppError {
  const details = error.issues.map((issue) => ({
    location,
    field: issue.path.length > 0 ? issue.path.join('.') : (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : location),
    message: issue.message,
  }));
  const first = details[0];
  const summary = first ? `${first.field} ${first.message}` : 'invalid';
  return new AppError('VALIDATION_FAILED', `Invalid ${location}: ${summary}`, 400, { details });
}

function parsePart<T extends z.ZodType>(schema: T, location: Location, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(location, result.error);
  return result.data;
}

/**
 * Wraps a handler so it only runs with validated, typed input. Params, query and body are all
 * checked (strict schemas reject unknown keys); a body schema also requires a JSON content type.
 */
export function validated<
  P extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUnknown,
>(
  schemas: InputSchemas<P, Q, B>,
  handler: (input: ValidInput<P, Q, B>, req: Request, res: Response) => unknown,
): RequestHandler {
  return async (req, res) => {
    if (schemas.body && !req.is('application/json')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415);
    }
    const input = {
      params: schemas.params ? parsePart(schemas.params, 'params', req.params) : req.params,
      query: schemas.query ? parsePart(schemas.query, 'query', req.query) : req.query,
      body: schemas.body ? parsePart(schemas.body, 'body', req.body) : req.body,
    } as ValidInput<P, Q, B>;
    await handler(input, req, res);
  };
}

/**
 * Checks input before the rest of a route's chain runs, for middleware that must only ever see
 * valid requests (the search response cache, whose key is the raw query string). The handler
 * behind it validates again and gets the typed values.
 */
export function validateInput(schemas: InputSchemas<z.ZodType, z.ZodType, z.ZodType>): RequestHandler {
  return (req, _res, next) => {
    if (schemas.params) parsePart(schemas.params, 'params', req.params);
    if (schemas.query) parsePart(schemas.query, 'query', req.query);
    if (schemas.body) parsePart(schemas.body, 'body', req.body);
    next();
  };
}

/**
 * A 24-hex-character MongoDB ObjectId in a path or query, lower case as the API writes them: cache
 * keys and invalidation tags are built from the id as sent, so `/products/ABC…` would be cached
 * under a tag no write of `abc…` ever drops. (The OpenAPI pattern carries no flags either.)
 */
export const objectIdString = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character lower-case hex id');
