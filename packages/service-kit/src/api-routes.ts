import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Auth, Role } from './auth.ts';
import { parseInput, type InputSchemas, type ValidInput } from './validation.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One API operation, declared once: Express mounts it and the OpenAPI document describes it from
 * the same object, so the two cannot drift apart.
 */
export interface ApiRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: HttpMethod;
  /** Express path under the service prefix, e.g. `/products/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** Roles allowed; omit for a public route, `[]` for any signed-in user. */
  roles?: Role[];
  schemas: { params?: P; query?: Q; body?: B };
  /** Route middleware run after the auth check and input validation (e.g. the response cache). */
  before?: RequestHandler[];
  /** Status code → description of what it means for this operation. */
  responses: Record<number, string>;
  handler: (input: ValidInput<P, Q, B>, req: Request, res: Response) => unknown;
}

// Routes of different shapes live in one list; each keeps its own types where it is declared.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApiRoute = ApiRoute<any, any, any>;

/** Declares a route with full type inference for its handler's input. */
export function apiRoute<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
  route: ApiRoute<P, Q, B>,
): ApiRoute<P, Q, B> {
  return route;
}

const INPUT = 'validInput';

/**
 * Checks the request's params, query and body (strict schemas reject unknown keys; a body needs a
 * JSON content type) before anything else of the route runs — the response cache included, so an
 * invalid request costs no cache lookup and occupies no key — and keeps the typed values for the handler.
 */
function checkInput(schemas: InputSchemas<z.ZodType, z.ZodType, z.ZodType>): RequestHandler {
  return (req, res, next) => {
    res.locals[INPUT] = parseInput(schemas, req);
    next();
  };
}

/** The route's handler, given the input `checkInput` validated. */
function runHandler(route: AnyApiRoute): RequestHandler {
  return async (req, res) => {
    await route.handler(res.locals[INPUT] as ValidInput<z.ZodType, z.ZodType, z.ZodType>, req, res);
  };
}

/** Mounts every route on `router`: the auth check when the route has roles, validation, its middleware, its handler. */
export function mountRoutes(router: Router, routes: readonly AnyApiRoute[], auth: Auth): void {
  for (const route of routes) {
    const chain: RequestHandler[] = [
      // The template for metrics labels, kept even when an error unwinds the router (which resets baseUrl).
      (req, res, next) => {
        res.locals.routeTemplate = `${req.baseUrl}${route.path}`;
        next();
      },
    ];
    if (route.roles) chain.push(auth.requireAuth(...route.roles));
    chain.push(checkInput(route.schemas), ...(route.before ?? []), runHandler(route));
    router[route.method](route.path, ...chain);
  }
}

const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const described = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (described.required ?? []).includes(name),
    schema: property,
  }));
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  /** Service prefix, e.g. `/api/catalog`; becomes the server URL. */
  prefix: string;
}

/** An OpenAPI 3.1 document generated from the same route list that Express mounts. */
export function openApiDocument(info: OpenApiInfo, routes: readonly AnyApiRoute[]): Record<string, unknown> {
  const errorBody = {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          details: {},
          requestId: { type: 'string' },
        },
      },
    },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    paths[path] ??= {};
    const responses: Record<string, unknown> = {};
    const generic: Record<number, string> = {
      429: 'Rate limit exceeded (see RateLimit headers)',
      503: 'A dependency is unavailable or slow; retry after Retry-After',
    };
    if (route.schemas.body) {
      generic[400] = 'Invalid input';
      generic[413] = 'Body over the size limit';
      generic[415] = 'Body is not application/json';
    }
    for (const [status, description] of Object.entries({ ...generic, ...route.responses })) {
      responses[status] =
        Number(status) >= 400
          ? { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
          : Number(status) === 204 || Number(status) === 304
            ? { description }
            : { description, content: { 'application/json': { schema: {} } } };
    }
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      // `x-roles`: who may call it (an empty list: anyone signed in), for clients and the auth tests.
      ...(route.roles ? { security: [{ bearer: [] }], 'x-roles': route.roles } : {}),
      parameters: [...parametersOf(route.schemas.params, 'path'), ...parametersOf(route.schemas.query, 'query')],
      ...(route.schemas.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.schemas.body) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: info.prefix }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorBody },
    },
  };
}

/** A service's API router: its OpenAPI document at `/openapi.json`, then every route. */
export function apiRouter(info: OpenApiInfo, routes: readonly AnyApiRoute[], auth: Auth): Router {
  const document = openApiDocument(info, routes);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  mountRoutes(router, routes, auth);
  return router;
}
