import type { Connection } from 'mongoose';
import { pingMongo } from './connection.ts';
import { isReachable } from './identify-server.ts';
import { within } from './within.ts';
import type { TransitionLogger } from './log-transitions.ts';

export interface MongoWatchdogOptions {
  logger: TransitionLogger & { error(fields: object, message: string): void };
  /** How often the pooled client is pinged, ms. Default 1 000. */
  intervalMs?: number;
  /** A ping without an answer within this is a failed one, ms. Default 1 000. */
  pingTimeoutMs?: number;
  /** How long the pooled client may keep failing, seeing no server, once a new connection to the same URI is answered before it is reset, ms. Default 3 000 (a client that recovers by itself does so within ~1 s). */
  wedgedAfterMs?: number;
  /** Least time between two resets, ms. Default 30 000. */
  minResetGapMs?: number;
}

export interface MongoWatchdog {
  /** Stops looking; resolves once a look in progress (a reset included) has finished. */
  stop(): Promise<void>;
  /** How many times the client was reset. */
  readonly resets: number;
}

const positive = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`watchMongo: ${name} must be a positive number of ms, got ${value}`);
  return value;
};

/**
 * Resets a worker's pooled MongoDB client when it is wedged: it has failed every ping for
 * `wedgedAfterMs` while a new connection to the same URI has been answered all along, so the
 * database is up and only this client cannot use it. Seen in the outage suite: a worker whose
 * application connection saw the server go before the driver's monitor did kept that first error
 * for good (its monitor never checked again), and every operation waited out server selection
 * long after the server was back (decision 0014). Only a client that sees no server is reset (a
 * busy pool is not wedged), at most once per `minResetGapMs`. Closing and connecting the same
 * driver client again starts its topology, monitors and pool afresh (operations in flight on it
 * fail); mongoose's models keep working through it, and the client's event listeners (metrics,
 * transition logs) stay attached. During a real outage the new connection fails too, and nothing
 * is reset.
 */
export function watchMongo(connection: Connection, uri: string, options: MongoWatchdogOptions): MongoWatchdog {
  const intervalMs = positive('intervalMs', options.intervalMs ?? 1_000);
  const pingTimeoutMs = positive('pingTimeoutMs', options.pingTimeoutMs ?? 1_000);
  const wedgedAfterMs = positive('wedgedAfterMs', options.wedgedAfterMs ?? 3_000);
  const minResetGapMs = positive('minResetGapMs', options.minResetGapMs ?? 30_000);
  const client = connection.getClient();

  // What the pooled client itself sees. A ping that fails while it sees a known server is a
  // busy pool (every connection checked out), not a wedge: resetting then would fail every
  // in-flight operation and turn an overload into an outage.
  const serverTypes = new Map<string, string>();
  let topologyClosed = false;
  const onServer = (event: { address: string; newDescription: { type: string } }): void => void serverTypes.set(event.address, event.newDescription.type);
  const onClosed = (): void => {
    topologyClosed = true;
    serverTypes.clear();
  };
  const onOpening = (): void => void (topologyClosed = false);
  client.on('serverDescriptionChanged', onServer);
  client.on('topologyClosed', onClosed);
  client.on('topologyOpening', onOpening);
  const seesNoServer = (): boolean => topologyClosed || (serverTypes.size > 0 && [...serverTypes.values()].every((type) => type === 'Unknown'));

  /** Since when a new client gets answers while the pooled one fails and sees no server. */
  let reachableSince: number | undefined;
  let lastResetAt = Number.NEGATIVE_INFINITY;
  let current: Promise<void> | undefined;
  let stopped = false;
  let resets = 0;

  const look = async (): Promise<void> => {
    try {
      const failure = await within(pingMongo(connection), pingTimeoutMs).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      // A closed topology says so on every operation (the driver never reopens it by itself).
      const noServer = failure !== undefined && (failure.name === 'MongoTopologyClosedError' || seesNoServer());
      // Counted from when the database answers again, not from when the pooled client started
      // failing: after an outage the pooled client gets wedgedAfterMs to recover by itself.
      if (!noServer || stopped || !(await isReachable(uri, pingTimeoutMs, { direct: false }))) {
        reachableSince = undefined;
        return;
      }
      reachableSince ??= Date.now();
      const failingForMs = Date.now() - reachableSince;
      if (failingForMs < wedgedAfterMs || Date.now() - lastResetAt < minResetGapMs || stopped) return;
      options.logger.error({ failingForMs }, 'mongodb client wedged: a new connection is answered, the pooled client sees no server; resetting it');
      lastResetAt = Date.now();
      reachableSince = undefined;
      // In-flight operations on this client fail (they were waiting on a client that could not serve them).
      await client.close().catch(() => {});
      if (stopped) return;
      await client.connect();
      resets++;
      options.logger.info({ resets }, 'mongodb client reset');
    } catch (error) {
      reachableSince = undefined;
      options.logger.warn({ error: (error as Error).message }, 'mongodb client reset failed; trying again at a later look');
    }
  };

  const timer = setInterval(() => {
    if (current || stopped) return;
    current = look().finally(() => (current = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      client.off('serverDescriptionChanged', onServer);
      client.off('topologyClosed', onClosed);
      client.off('topologyOpening', onOpening);
      await current;
    },
    get resets() {
      return resets;
    },
  };
}
