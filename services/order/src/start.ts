import { installProcessHandlers, signalReady } from '@shop/service-kit';
import { startServer } from './server.ts';

// What PM2 runs: start, hook up signals and crash handling, then tell PM2 we are ready.
try {
  const server = await startServer();
  installProcessHandlers({
    logger: server.logger,
    shutdown: () => server.stop(),
    timeoutMs: server.config.SHUTDOWN_TIMEOUT_MS,
  });
  signalReady();
} catch (error) {
  console.error(JSON.stringify({ level: 'fatal', service: 'order', msg: 'failed to start', err: String(error) }));
  process.exit(1);
}
