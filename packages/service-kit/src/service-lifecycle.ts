import type { ServiceApp } from './create-app.ts';
import { listen, type RunningHttpServer } from './http-server.ts';
import type { Logger } from './logger.ts';
import { installProcessHandlers, signalReady } from './process-handlers.ts';

export interface ServiceListenOptions {
  service: string;
  port: number;
  host: string;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** See ListenOptions.maxHeaderSize. */
  maxHeaderSize?: number;
  /** See ListenOptions.drainMs (SHUTDOWN_DRAIN_MS). */
  drainMs?: number;
  /** Releases what the service opened (pools, clients, timers), in order, after HTTP has drained. */
  release: (() => unknown)[];
}

export interface ListeningService {
  port: number;
  /** Stops accepting, drains in-flight requests, then releases resources. Idempotent. */
  stop(): Promise<void>;
}

/** Listens; if that fails, releases the resources before rethrowing, so nothing leaks. */
export async function listenService(app: ServiceApp, options: ServiceListenOptions): Promise<ListeningService> {
  const releaseAll = async (): Promise<void> => {
    for (const release of options.release) await Promise.resolve().then(release).catch(() => {});
  };
  let http: RunningHttpServer;
  try {
    http = await listen(app, {
      port: options.port,
      host: options.host,
      logger: options.logger,
      maxHeaderSize: options.maxHeaderSize,
      drainMs: options.drainMs,
    });
  } catch (error) {
    await releaseAll();
    throw error;
  }
  options.logger.info({ port: http.port, pid: process.pid }, `${options.service} listening`);
  let stopped: Promise<void> | undefined;
  return {
    port: http.port,
    stop() {
      stopped ??= http.stop(options.shutdownTimeoutMs).then(releaseAll);
      return stopped;
    },
  };
}

/**
 * The body of every service's `start.ts` (what PM2 runs): start, hook up signals and crash
 * handling, tell PM2 we are ready; on a failed start log one fatal line and exit 1.
 */
export async function runService(
  service: string,
  start: () => Promise<{ logger: Logger; config: { SHUTDOWN_TIMEOUT_MS: number; SHUTDOWN_DRAIN_MS?: number }; stop(): Promise<void> }>,
): Promise<void> {
  try {
    const server = await start();
    // The drain comes first, then up to SHUTDOWN_TIMEOUT_MS of closing.
    const timeoutMs = server.config.SHUTDOWN_TIMEOUT_MS + (server.config.SHUTDOWN_DRAIN_MS ?? 0);
    installProcessHandlers({ logger: server.logger, shutdown: () => server.stop(), timeoutMs });
    signalReady();
  } catch (error) {
    console.error(JSON.stringify({ level: 'fatal', service, msg: 'failed to start', err: String(error) }));
    process.exit(1);
  }
}
