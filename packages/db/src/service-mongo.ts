import type { Connection } from 'mongoose';
import { connectMongoFromConfig, mongoUriFrom, type MongoDriverClient, type MongoSettings } from './connection.ts';
import { logMongoTransitions } from './log-transitions.ts';
import { watchMongo, type MongoWatchdog, type MongoWatchdogOptions } from './mongo-watchdog.ts';

/**
 * A service worker's pool with what every worker runs beside it: a log line per change the driver
 * sees (logMongoTransitions) and the watchdog that resets the client if it stays unable to use a
 * database that answers (watchMongo, decision 0014). `observe` sees the driver client first
 * (metrics); stop the watchdog before closing the connection.
 */
export async function connectServiceMongo(
  config: MongoSettings,
  appName: string,
  logger: MongoWatchdogOptions['logger'],
  observe?: (client: MongoDriverClient) => void,
): Promise<{ connection: Connection; watchdog: MongoWatchdog }> {
  const connection = await connectMongoFromConfig(config, appName, (client) => {
    observe?.(client);
    logMongoTransitions(client, logger);
  });
  return { connection, watchdog: watchMongo(connection, mongoUriFrom(config), { logger }) };
}
