// The operations the hostile-input fuzz works on: each documented operation as its OpenAPI document
// describes it, with what the fuzz needs to know to send it (role, success status, cached or not).
import type { z } from 'zod';
import { documentedSuccess, type DocumentedOperation, type JsonSchema, type Parameter } from './openapi.ts';

export interface Operation {
  id: string;
  /** The API it belongs to: its prefix, e.g. /api/orders. */
  api: string;
  method: string;
  /** OpenAPI path template under the prefix, e.g. /products/{id}. */
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: JsonSchema;
  /** Role the fuzz signs in with: customer when the operation lets customers in, else admin. */
  role?: 'customer' | 'admin';
  /** The documented 2xx answer. */
  success: number;
  /** Cached GETs document 304 (ETag revalidation). */
  cached: boolean;
  errorSchema: z.ZodType;
}

/** The fuzz's view of a documented operation. */
export function fuzzOperation({ api, method, template, doc, errorSchema }: DocumentedOperation): Operation {
  const roles = doc['x-roles'];
  return {
    id: doc.operationId,
    api,
    method,
    template,
    pathParams: (doc.parameters ?? []).filter((p) => p.in === 'path'),
    queryParams: (doc.parameters ?? []).filter((p) => p.in === 'query'),
    ...(doc.requestBody ? { body: doc.requestBody.content['application/json']!.schema } : {}),
    ...(doc.security ? { role: roles && roles.length > 0 && !roles.includes('customer') ? ('admin' as const) : ('customer' as const) } : {}),
    success: documentedSuccess(doc),
    cached: method === 'get' && '304' in doc.responses,
    errorSchema,
  };
}

export const serviceOf = (op: Operation): string => op.api.replace('/api/', '');
