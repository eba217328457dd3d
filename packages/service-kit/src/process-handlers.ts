import type { Logger } from './logger.ts';

export interface ProcessHandlerOptions {
  logger: Logger;
  /** Graceful stop: stop accepting, finish in-flight work, close pools. */
  shutdown: (reason: string) => Promise<void>;
  /** Hard deadline for shutdown before the process exits anyway. */
  timeoutMs: number;
}

/**
 * Listens for SIGINT/SIGTERM (and PM2's `shutdown` message) and for crashes. A signal stops
 * gracefully and exits 0; an uncaught exception or unhandled rejection is logged, then the
 * same graceful stop runs and the process exits 1 so PM2 starts a fresh worker.
 */
export function installProcessHandlers(options: ProcessHandlerOptions): void {
  let exiting = false;
  const exit = (reason: string, code: number): void => {
    if (exiting) return;
    exiting = true;
    const deadline = setTimeout(() => {
      options.logger.error({ reason }, 'shutdown took too long; exiting');
      process.exit(code || 1);
    }, options.timeoutMs + 1_000);
    deadline.unref();
    options
      .shutdown(reason)
      .then(() => {
        options.logger.info({ reason }, 'stopped');
        process.exit(code);
      })
      .catch((error: unknown) => {
        options.logger.error({ err: error, reason }, 'shutdown failed');
        process.exit(1);
      });
  };

  process.once('SIGINT', () => exit('SIGINT', 0));
  process.once('SIGTERM', () => exit('SIGTERM', 0));
  process.on('message', (message) => {
    if (message === 'shutdown') exit('pm2 shutdown message', 0);
  });
  process.on('uncaughtException', (error) => {
    options.logger.fatal({ err: error }, 'uncaught exception');
    exit('uncaughtException', 1);
  });
  process.on('unhandledRejection', (reason) => {
    options.logger.fatal({ err: reason }, 'unhandled promise rejection');
    exit('unhandledRejection', 1);
  });
}

/** Tells PM2 (`wait_ready: true`) that this worker is listening. A no-op outside PM2. */
export function signalReady(): void {
  process.send?.('ready');
}
