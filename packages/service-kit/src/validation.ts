import type { Request } from 'express';
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
 * The request's params, query and body checked against `schemas` (strict schemas reject unknown
 * keys; a body schema also requires a JSON content type): typed values, or a 400/415 AppError.
 */
export function parseInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  schemas: InputSchemas<P, Q, B>,
  req: Pick<Request, 'params' | 'query' | 'body' | 'is'>,
): ValidInput<P, Q, B> {
  if (schemas.body && !req.is('application/json')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415);
  }
  return {
    params: schemas.params ? parsePart(schemas.params, 'params', req.params) : req.params,
    query: schemas.query ? parsePart(schemas.query, 'query', req.query) : req.query,
    body: schemas.body ? parsePart(schemas.body, 'body', req.body) : req.body,
  } as ValidInput<P, Q, B>;
}

/**
 * A 24-hex-character MongoDB ObjectId in a path or query, lower case as the API writes them: cache
 * keys and invalidation tags are built from the id as sent, so `/products/ABC…` would be cached
 * under a tag no write of `abc…` ever drops. (The OpenAPI pattern carries no flags either.)
 */
export const objectIdString = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-character lower-case hex id');
