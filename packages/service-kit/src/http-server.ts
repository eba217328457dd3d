import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServiceApp } from './create-app.ts';
import type { Logger } from './logger.ts';

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  /** True once stop() began: responses then carry `Connection: close`. */
  readonly stopping: boolean;
  /**
   * Drains, then stops: for up to `drainMs` (ListenOptions) every response carries
   * `Connection: close` while the listener stays open, so a proxy's pooled keep-alive
   * connections each end after one more answered request instead of being cut under it; then
   * the listener closes, idle sockets close at once, in-flight requests finish, and the rest
   * are forced after `timeoutMs`.
   */
  stop(timeoutMs: number): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host: string;
  logger: Logger;
  /** Slightly above nginx's upstream keepalive_timeout so the proxy closes first. */
  keepAliveTimeoutMs?: number;
  /**
   * Largest request line plus headers, bytes (Node's default 16 KiB). Above it Node answers 431
   * before the app sees the request; a service that must answer an oversize query with its own
   * 400 raises it (search: a pasted 50 000-character `q`).
   */
  maxHeaderSize?: number;
  /**
   * How long stop() keeps serving (with `Connection: close`) before it closes the listener and
   * the idle sockets; it ends sooner once every connection has closed. Under PM2 this is what
   * makes a reload lose nothing: nginx's next request on a pooled connection is answered (and
   * the connection then closed) rather than reset. Default 0: close at once.
   */
  drainMs?: number;
}

export async function listen(app: ServiceApp, options: ListenOptions): Promise<RunningHttpServer> {
  let stopping = false;
  /** The drain is over and the listener is closing: idle sockets close as soon as they are idle. */
  let closing = false;
  let stopped: Promise<void> | undefined;
  // Fresh cache hits are answered before Express when the app has a fast lane (decision 0018).
  const fastLane = app.fastLane;
  const listener: http.RequestListener = fastLane
    ? (req, res) => {
        if (!fastLane(req, res)) app(req, res);
      }
    : app;
  const server = http.createServer({ maxHeaderSize: options.maxHeaderSize }, listener);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  server.requestTimeout = 30_000;
  server.on('clientError', answerClientError);

  // Responses still being produced: when stop() begins they are told to close their connection,
  // and each one that finishes afterwards lets its (now idle) socket close at once.
  const open = new Set<http.ServerResponse>();
  const sockets = new Set<Duplex>();
  let allClosed: (() => void) | undefined;
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) allClosed?.();
    });
  });
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });

  server.listen(options.port, options.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    get stopping() {
      return stopping;
    },
    stop(timeoutMs) {
      stopped ??= stopServer(timeoutMs);
      return stopped;
    },
  };

  async function stopServer(timeoutMs: number): Promise<void> {
    stopping = true;
    for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
    const drainMs = Math.min(options.drainMs ?? 0, timeoutMs);
    if (drainMs > 0 && sockets.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        allClosed = resolve;
        timer = setTimeout(resolve, drainMs);
      });
      clearTimeout(timer);
    }
    closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const forced = setTimeout(() => {
      options.logger.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, timeoutMs);
    forced.unref();
    await closed;
    clearTimeout(forced);
  }
}

/**
 * Requests Node's parser rejects never reach Express: they still get the JSON error shape every
 * other 4xx has (Node's default is a bare status line), then the connection closes.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'Request line and headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive']
        : [400, 'BAD_REQUEST', 'Malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  const reason = http.STATUS_CODES[status] ?? 'Error';
  // Destroyed once written: the server allows half-open sockets, and a client that never closes
  // its side would otherwise hold this one (and a graceful stop) until the connection reaper.
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
