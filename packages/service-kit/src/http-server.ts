import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from './logger.ts';

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  /** True once stop() began: responses then carry `Connection: close`. */
  readonly stopping: boolean;
  /**
   * Stops accepting connections, lets in-flight requests finish (answering them with
   * `Connection: close`), closes idle keep-alive sockets at once and forces the rest after
   * `timeoutMs`.
   */
  stop(timeoutMs: number): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host: string;
  logger: Logger;
  /** Slightly above nginx's upstream keepalive_timeout so the proxy closes first. */
  keepAliveTimeoutMs?: number;
}

export async function listen(app: Express, options: ListenOptions): Promise<RunningHttpServer> {
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const server = http.createServer(app);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  server.requestTimeout = 30_000;

  // Responses still being produced: when stop() begins they are told to close their connection,
  // and each one that finishes afterwards lets its (now idle) socket close at once.
  const open = new Set<http.ServerResponse>();
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
    res.once('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
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
