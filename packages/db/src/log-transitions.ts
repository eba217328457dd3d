import type { MongoDriverClient } from './connection.ts';

/** The two levels the transitions are logged at (pino's Logger fits). */
export interface TransitionLogger {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * One log line each time the driver's view of the database changes: the server becomes
 * unreachable (with the driver's error) or reachable again, and the pool is cleared or ready
 * again. A handful of lines per outage, none in steady state; what an operator (or a failed
 * outage test) reads to see when a worker lost the database and when it got it back.
 */
export function logMongoTransitions(client: MongoDriverClient, logger: TransitionLogger): void {
  client.on('serverDescriptionChanged', (event) => {
    const from = event.previousDescription.type;
    const to = event.newDescription.type;
    if (from === to) return;
    const fields = { address: event.address, from, to, ...(event.newDescription.error ? { error: event.newDescription.error.message } : {}) };
    if (to === 'Unknown') logger.warn(fields, 'mongodb server unreachable');
    else logger.info(fields, 'mongodb server reachable');
  });
  client.on('connectionPoolCleared', (event) => logger.warn({ address: event.address }, 'mongodb connection pool cleared'));
  client.on('connectionPoolReady', (event) => logger.info({ address: event.address }, 'mongodb connection pool ready'));
}
