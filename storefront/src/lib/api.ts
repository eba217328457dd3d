/** Calls the shop's APIs (same origin, through nginx) and turns every failure into an ApiError. */

export class ApiError extends Error {
  /** 0 when no HTTP answer arrived (network down, timeout). */
  readonly status: number;
  /** The API's stable error code (`OUT_OF_STOCK`, `RATE_LIMITED`, …), or NETWORK / TIMEOUT / HTTP_<status>. */
  readonly code: string;
  readonly details: unknown;
  /** Seconds, from the Retry-After header. */
  readonly retryAfterS: number | null;
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, extra: { details?: unknown; retryAfterS?: number | null; requestId?: string | null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = extra.details;
    this.retryAfterS = extra.retryAfterS ?? null;
    this.requestId = extra.requestId ?? null;
  }
}

export interface ApiRequest {
  method?: 'GET' | 'POST';
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  /** Aborts with the view that asked (navigation away). */
  signal?: AbortSignal;
  /** Default 10 s: nginx answers 503/504 well before; this covers a dead network. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Aborts when any of `signals` does (AbortSignal.any, which Safari < 17.4 and Firefox < 124 lack;
 * the bundle targets older browsers and esbuild adds no polyfills).
 */
export function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const abort = (signal: AbortSignal): void => controller.abort(signal.reason);
  for (const signal of signals) {
    if (signal.aborted) {
      abort(signal);
      break;
    }
    signal.addEventListener('abort', () => abort(signal), { once: true, signal: controller.signal });
  }
  return controller.signal;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function retryAfter(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** What an error answer says, whatever shape it has (the services' JSON, nginx's JSON, or an HTML page). */
async function errorFrom(response: Response): Promise<ApiError> {
  const extra = { retryAfterS: retryAfter(response.headers.get('retry-after')), requestId: response.headers.get('x-request-id') };
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's HTML page. The status still says what happened.
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(response.status, error.code, typeof error.message === 'string' ? error.message : error.code, {
      ...extra,
      details: error.details,
      requestId: typeof error.requestId === 'string' ? error.requestId : extra.requestId,
    });
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText || `HTTP ${response.status}`, extra);
}

export async function api<T>(path: string, request: ApiRequest = {}): Promise<T> {
  const timeout = AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = request.signal ? anySignal([request.signal, timeout]) : timeout;
  const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  if (request.token) headers.Authorization = `Bearer ${request.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: request.method ?? 'GET',
      headers,
      body: request.body === undefined ? null : JSON.stringify(request.body),
      signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    if (timeout.aborted) throw new ApiError(0, 'TIMEOUT', 'The request timed out');
    throw new ApiError(0, 'NETWORK', error instanceof Error ? error.message : 'Network error');
  }
  if (!response.ok) throw await errorFrom(response);
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    // The body stopped arriving: the same as no answer at all.
    if (request.signal?.aborted) throw error;
    if (timeout.aborted) throw new ApiError(0, 'TIMEOUT', 'The request timed out');
    throw new ApiError(0, 'NETWORK', 'The connection broke while the answer arrived');
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, 'BAD_RESPONSE', 'The answer was not JSON');
  }
}
