import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, ApiError, isAbort } from '../src/lib/api.ts';

interface Echo {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Server;
let base: string;
/** Called when a request reaches /hang or /stall-body, so a test can act once the server has it. */
const arrived = new Map<string, () => void>();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = await readBody(req);
  switch (url.pathname) {
    case '/ok':
      return json(res, 200, { items: [1, 2, 3], name: 'ok' });
    case '/echo':
      return json(res, 200, { method: req.method ?? '', headers: req.headers, body } satisfies Echo);
    case '/created':
      return json(res, 201, { id: 'o-1' });
    case '/service-error':
      return json(
        res,
        409,
        { error: { code: 'OUT_OF_STOCK', message: 'Not enough stock for SKU-1', details: { sku: 'SKU-1', requested: 3 }, requestId: 'req-body-1' } },
        { 'X-Request-Id': 'req-header-1' },
      );
    case '/service-error-header-id':
      return json(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'Invalid body', details: [{ field: 'items' }] } }, { 'X-Request-Id': 'req-header-2' });
    case '/error-without-message':
      return json(res, 422, { error: { code: 'UNKNOWN_PRODUCT' } });
    case '/error-without-code':
      return json(res, 400, { error: { message: 'no code here' } });
    case '/html-502':
      res.writeHead(502, { 'Content-Type': 'text/html', 'X-Request-Id': 'edge-7' });
      res.end('<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>');
      return;
    case '/retry-seconds':
      return json(res, 429, { error: { code: 'RATE_LIMITED', message: 'Too many requests, slow down' } }, { 'Retry-After': url.searchParams.get('v') ?? '' });
    case '/retry-html':
      res.writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': '5' });
      res.end('<html>busy</html>');
      return;
    case '/not-json':
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>index</title>');
      return;
    case '/hang':
      arrived.get(url.searchParams.get('id') ?? '')?.();
      return; // never answers
    case '/stall-body':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"items": [1, 2,');
      arrived.get(url.searchParams.get('id') ?? '')?.();
      return; // never finishes the body
    default:
      return json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: `No route for ${req.method} ${url.pathname}` } });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The rejection of a promise that must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('api: success', () => {
  it('when the server answers 200 JSON, then the parsed body is returned', async () => {
    await expect(api<{ items: number[]; name: string }>(`${base}/ok`)).resolves.toEqual({ items: [1, 2, 3], name: 'ok' });
  });

  it('when the server answers 201 JSON, then the parsed body is returned', async () => {
    await expect(api(`${base}/created`, { method: 'POST', body: {} })).resolves.toEqual({ id: 'o-1' });
  });

  it('when a GET is sent, then it asks for JSON and carries no body, Content-Type or Authorization', async () => {
    const echo = await api<Echo>(`${base}/echo`);
    expect(echo.method).toBe('GET');
    expect(echo.headers.accept).toBe('application/json');
    expect(echo.headers['content-type']).toBeUndefined();
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.body).toBe('');
  });

  it('when a POST with a body and token is sent, then the JSON body, Content-Type, bearer token and extra headers arrive', async () => {
    const echo = await api<Echo>(`${base}/echo`, {
      method: 'POST',
      body: { items: [{ productId: 'p', quantity: 2 }] },
      token: 'tok.en-1',
      headers: { 'Idempotency-Key': 'sf-0123456789abcdef0123456789abcdef' },
    });
    expect(echo.method).toBe('POST');
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.headers.authorization).toBe('Bearer tok.en-1');
    expect(echo.headers['idempotency-key']).toBe('sf-0123456789abcdef0123456789abcdef');
    expect(echo.headers.accept).toBe('application/json');
    expect(JSON.parse(echo.body)).toEqual({ items: [{ productId: 'p', quantity: 2 }] });
  });

  it('when the token is null or empty, then no Authorization header is sent', async () => {
    expect((await api<Echo>(`${base}/echo`, { token: null })).headers.authorization).toBeUndefined();
    expect((await api<Echo>(`${base}/echo`, { token: '' })).headers.authorization).toBeUndefined();
  });
});

describe('api: error answers', () => {
  it("when a service answers with its error JSON, then the ApiError carries the status, code, message, details and the body's request id", async () => {
    const error = await apiError(api(`${base}/service-error`, { method: 'POST', body: {} }));
    expect(error.name).toBe('ApiError');
    expect(error.status).toBe(409);
    expect(error.code).toBe('OUT_OF_STOCK');
    expect(error.message).toBe('Not enough stock for SKU-1');
    expect(error.details).toEqual({ sku: 'SKU-1', requested: 3 });
    expect(error.requestId).toBe('req-body-1');
    expect(error.retryAfterS).toBeNull();
  });

  it('when the error JSON has no request id, then the X-Request-Id header is used', async () => {
    const error = await apiError(api(`${base}/service-error-header-id`));
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ field: 'items' }]);
    expect(error.requestId).toBe('req-header-2');
  });

  it('when the error JSON has a code but no message, then the code is the message', async () => {
    const error = await apiError(api(`${base}/error-without-message`));
    expect(error.status).toBe(422);
    expect(error.code).toBe('UNKNOWN_PRODUCT');
    expect(error.message).toBe('UNKNOWN_PRODUCT');
    expect(error.details).toBeUndefined();
    expect(error.requestId).toBeNull();
  });

  it('when the error JSON has no code, then the code is HTTP_<status>', async () => {
    const error = await apiError(api(`${base}/error-without-code`));
    expect(error.status).toBe(400);
    expect(error.code).toBe('HTTP_400');
    expect(error.message).toBe('Bad Request');
  });

  it('when a proxy answers 502 with an HTML page, then the code is HTTP_502 with the status text and request id header', async () => {
    const error = await apiError(api(`${base}/html-502`));
    expect(error.status).toBe(502);
    expect(error.code).toBe('HTTP_502');
    expect(error.message).toBe('Bad Gateway');
    expect(error.details).toBeUndefined();
    expect(error.requestId).toBe('edge-7');
    expect(error.retryAfterS).toBeNull();
  });

  it('when an unknown route answers 404, then the service code is kept', async () => {
    const error = await apiError(api(`${base}/nowhere`));
    expect(error.status).toBe(404);
    expect(error.code).toBe('ROUTE_NOT_FOUND');
    expect(error.message).toBe('No route for GET /nowhere');
  });

  it('when Retry-After is a number of seconds, then retryAfterS is that number', async () => {
    const error = await apiError(api(`${base}/retry-seconds?v=7`));
    expect(error.status).toBe(429);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterS).toBe(7);
  });

  it('when Retry-After has a fraction of a second, then it is rounded up', async () => {
    expect((await apiError(api(`${base}/retry-seconds?v=2.2`))).retryAfterS).toBe(3);
  });

  it('when Retry-After is 0, then retryAfterS is 0', async () => {
    expect((await apiError(api(`${base}/retry-seconds?v=0`))).retryAfterS).toBe(0);
  });

  it('when Retry-After is an HTTP date in the past, then retryAfterS is 0', async () => {
    expect((await apiError(api(`${base}/retry-seconds?v=${encodeURIComponent('Wed, 21 Oct 2015 07:28:00 GMT')}`))).retryAfterS).toBe(0);
  });

  it('when Retry-After is neither seconds nor a date, then retryAfterS is null', async () => {
    expect((await apiError(api(`${base}/retry-seconds?v=soon`))).retryAfterS).toBeNull();
  });

  it('when an HTML 503 has Retry-After, then it is read too', async () => {
    const error = await apiError(api(`${base}/retry-html`));
    expect(error.code).toBe('HTTP_503');
    expect(error.message).toBe('Service Unavailable');
    expect(error.retryAfterS).toBe(5);
  });

  it('when a 200 answer is not JSON, then the code is BAD_RESPONSE', async () => {
    const error = await apiError(api(`${base}/not-json`));
    expect(error.status).toBe(200);
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toBe('The answer was not JSON');
  });
});

describe('api: no answer', () => {
  it('when the server never answers and the timeout passes, then ApiError status 0 TIMEOUT', async () => {
    const error = await apiError(api(`${base}/hang?id=timeout`, { timeoutMs: 200 }));
    expect(error.status).toBe(0);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toBe('The request timed out');
    expect(isAbort(error)).toBe(false);
  });

  it('when the server sends headers but never finishes the body and the timeout passes, then it is a TIMEOUT too', async () => {
    const error = await apiError(api(`${base}/stall-body?id=timeout-body`, { timeoutMs: 200 }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('when the connection is refused, then ApiError status 0 NETWORK', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await apiError(api(`http://127.0.0.1:${port}/x`, { timeoutMs: 5_000 }));
    expect(error.status).toBe(0);
    expect(error.code).toBe('NETWORK');
    // fetch's TypeError ("fetch failed") comes from Node's own realm, not jest's module sandbox, so
    // `instanceof Error` in api.ts is false here and its fallback text is used; in a browser or
    // plain Node the message is fetch's own.
    expect(['fetch failed', 'Network error']).toContain(error.message);
    expect(error.requestId).toBeNull();
  });
});

describe('api: aborted by the caller', () => {
  it('when the caller aborts while waiting, then the call rejects with the abort, not an ApiError', async () => {
    const controller = new AbortController();
    arrived.set('abort-wait', () => controller.abort());
    const error = await rejection(api(`${base}/hang?id=abort-wait`, { signal: controller.signal, timeoutMs: 10_000 }));
    arrived.delete('abort-wait');
    expect(error).not.toBeInstanceOf(ApiError);
    expect(isAbort(error)).toBe(true);
    expect((error as DOMException).name).toBe('AbortError');
  });

  it('when the signal is already aborted, then the call rejects with the abort at once', async () => {
    const error = await rejection(api(`${base}/ok`, { signal: AbortSignal.abort() }));
    expect(error).not.toBeInstanceOf(ApiError);
    expect(isAbort(error)).toBe(true);
  });

  it('when the caller aborts while the body is arriving, then the call rejects with the abort, not BAD_RESPONSE', async () => {
    const controller = new AbortController();
    arrived.set('abort-body', () => controller.abort());
    const error = await rejection(api(`${base}/stall-body?id=abort-body`, { signal: controller.signal, timeoutMs: 10_000 }));
    arrived.delete('abort-body');
    expect(error).not.toBeInstanceOf(ApiError);
    expect(isAbort(error)).toBe(true);
  });

  it('when the caller passes a signal that is not aborted, then the timeout still applies', async () => {
    const controller = new AbortController();
    const error = await apiError(api(`${base}/hang?id=none`, { signal: controller.signal, timeoutMs: 200 }));
    expect(error.status).toBe(0);
    expect(error.code).toBe('TIMEOUT');
  });
});

describe('isAbort and ApiError', () => {
  it('when given an AbortError DOMException, then isAbort is true; for anything else it is false', () => {
    expect(isAbort(new DOMException('stop', 'AbortError'))).toBe(true);
    expect(isAbort(new DOMException('late', 'TimeoutError'))).toBe(false);
    expect(isAbort(new Error('AbortError'))).toBe(false);
    expect(isAbort(new ApiError(0, 'TIMEOUT', 'x'))).toBe(false);
    expect(isAbort(null)).toBe(false);
  });

  it('when an ApiError is built without extras, then details is undefined and retryAfterS and requestId are null', () => {
    const error = new ApiError(500, 'INTERNAL_ERROR', 'Internal server error');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ApiError');
    expect([error.status, error.code, error.message, error.details, error.retryAfterS, error.requestId]).toEqual([
      500,
      'INTERNAL_ERROR',
      'Internal server error',
      undefined,
      null,
      null,
    ]);
  });
});
