import { SLOW_QUERY_MS, type ServiceMetrics } from './service-metrics.ts';

/** Command names kept as label values; anything else is `other` (the label stays bounded). */
const COMMANDS = new Set(['find', 'insert', 'update', 'delete', 'findAndModify', 'aggregate', 'count', 'getMore', 'distinct', 'createIndexes', 'ping', 'hello']);

/** The driver's client (created with `monitorCommands: true`), as far as this listens to it. */
export interface MongoEvents {
  on(event: string, listener: (event: { commandName: string; duration: number }) => void): unknown;
}

/** Command latency by command and result, and the pool's open, in-use and failed check-outs. */
export function instrumentMongo(client: MongoEvents, metrics: ServiceMetrics): void {
  const { commandDuration, connections, checkedOut, checkoutFailures } = metrics.mongo;
  const observe = (result: 'ok' | 'error') => (event: { commandName: string; duration: number }) => {
    const command = COMMANDS.has(event.commandName) ? event.commandName : 'other';
    commandDuration.observe({ command, result }, event.duration / 1000);
    if (event.duration >= SLOW_QUERY_MS) metrics.recordSlowQuery(command, event.duration);
  };
  client.on('commandSucceeded', observe('ok'));
  client.on('commandFailed', observe('error'));
  client.on('connectionCreated', () => connections.inc());
  client.on('connectionClosed', () => connections.dec());
  client.on('connectionCheckedOut', () => checkedOut.inc());
  client.on('connectionCheckedIn', () => checkedOut.dec());
  client.on('connectionCheckOutFailed', () => checkoutFailures.inc());
}
