// The services' OpenAPI documents, read through nginx as a client reads them. The hostile-input
// and auth suites take their operations from here, so a route added later is covered by both
// without editing them.
import { z } from 'zod';
import { send } from './traffic.ts';

/** The APIs behind nginx, each serving `<prefix>/openapi.json` (the catalog also serves /api/performance). */
export const API_PREFIXES = ['/api/catalog', '/api/orders', '/api/search', '/api/performance'];

export type Role = 'customer' | 'admin';

/** The part of JSON Schema the documents use. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface OperationDoc {
  operationId: string;
  security?: unknown[];
  /** Who may call a protected operation; absent: anyone signed in. */
  'x-roles'?: Role[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

interface ApiDoc {
  servers: { url: string }[];
  paths: Record<string, Record<string, OperationDoc>>;
  components: { schemas: { Error: JsonSchema } };
}

export interface DocumentedOperation {
  /** The API it belongs to: its prefix, e.g. /api/orders. */
  api: string;
  /** Lower case, as in the document. */
  method: string;
  /** OpenAPI path template under the prefix, e.g. /products/{id}. */
  template: string;
  doc: OperationDoc;
  /** The document's components.schemas.Error. */
  errorSchema: z.ZodType;
}

const validators = new WeakMap<JsonSchema, z.ZodType>();

/** A validator for a documented JSON schema (zod reads JSON Schema), built once per schema. */
export function validator(schema: JsonSchema): z.ZodType {
  let v = validators.get(schema);
  if (!v) {
    v = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    validators.set(schema, v);
  }
  return v;
}

/** The documented 2xx answer of an operation (200 when it lists none). */
export const documentedSuccess = (doc: OperationDoc): number => Object.keys(doc.responses).map(Number).find((s) => s >= 200 && s < 300) ?? 200;

/** Every operation of every API, read through nginx at `edge`; throws when a document is not served. */
export async function documentedOperations(edge: string): Promise<DocumentedOperation[]> {
  const operations: DocumentedOperation[] = [];
  for (const prefix of API_PREFIXES) {
    const answer = await send(edge, { kind: 'openapi', path: `${prefix}/openapi.json` });
    if (answer.status !== 200) throw new Error(`${prefix}/openapi.json answered ${answer.status}: ${answer.error ?? answer.body.slice(0, 200)}`);
    const api = JSON.parse(answer.body) as ApiDoc;
    const errorSchema = validator(api.components.schemas.Error);
    for (const [template, methods] of Object.entries(api.paths)) {
      for (const [method, doc] of Object.entries(methods)) operations.push({ api: api.servers[0]!.url, method, template, doc, errorSchema });
    }
  }
  return operations;
}
