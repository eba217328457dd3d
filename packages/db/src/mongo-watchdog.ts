import mongoose, { type Connection } from 'mongoose';
import { pingMongo } from './connection.ts';
import type { TransitionLogger } from './log-transitions.ts';

export interface MongoWatchdogOptions {
  logger: TransitionLogger & { error(fields: object, message: string): void };
  /** How often the pooled client is pinged, ms. Default 1 000. */
  intervalMs?: number;
  /** A ping without an answer within this is a failed one, ms. Default 1 000. */
  pingTimeoutMs?: number;
  /** How long the pooled client may keep failing once a new connection to the same URI is answered before it is reset, ms. Default 3 000 (a client that recovers by itself does so within ~1 s). */
  wedgedAfterMs?: number;
}

export interface MongoWatchdog {
  stop(): void;
  /** How many times the client was reset. */
  readonly resets: number;
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error as Error)),
    );
  });

/** True when a new client, with nothing in common with the pooled one, gets a ping answered at `uri`. */
async function answersNewConnection(uri: string, timeoutMs: number): Promise<boolean> {
  const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, maxPoolSize: 1 });
  try {
    await within(
      client.connect().then(() => client.db('admin').command({ ping: 1 })),
      timeoutMs * 2,
    );
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Resets a worker's pooled MongoDB client when it is wedged: it has failed every ping for
 * `wedgedAfterMs` while a new connection to the same URI has been answered all along, so the
 * database is up and only this client cannot use it. Seen in the outage suite: a worker whose
 * application connection saw the server go before the driver's monitor did kept that first error
 * for good (its monitor never checked again), and every operation waited out server selection
 * long after the server was back (decision 0014). Closing and connecting the same driver client again starts
 * its topology, monitors and pool afresh; mongoose's models keep working through it, and the
 * client's event listeners (metrics, transition logs) stay attached. During a real outage the new
 * connection fails too, and nothing is reset.
 */
export function watchMongo(connection: Connection, uri: string, options: MongoWatchdogOptions): MongoWatchdog {
  const intervalMs = options.intervalMs ?? 1_000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 1_000;
  const wedgedAfterMs = options.wedgedAfterMs ?? 3_000;
  /** Since when a new client gets answers while the pooled one does not. */
  let reachableSince: number | undefined;
  let running = false;
  let stopped = false;
  let resets = 0;

  const look = async (): Promise<void> => {
    if (running || stopped) return;
    running = true;
    try {
      const answered = await within(pingMongo(connection), pingTimeoutMs).then(
        () => true,
        () => false,
      );
      if (answered) {
        reachableSince = undefined;
        return;
      }
      // Counted from when the database answers again, not from when the pooled client started
      // failing: after an outage the pooled client gets wedgedAfterMs to recover by itself.
      if (stopped || !(await answersNewConnection(uri, pingTimeoutMs))) {
        reachableSince = undefined;
        return;
      }
      reachableSince ??= Date.now();
      const failingForMs = Date.now() - reachableSince;
      if (failingForMs < wedgedAfterMs) return;
      options.logger.error({ failingForMs }, 'mongodb client wedged: a new connection is answered, the pooled client is not; resetting it');
      const client = connection.getClient();
      await client.close(true).catch(() => {});
      if (stopped) return;
      await client.connect();
      resets++;
      reachableSince = undefined;
      options.logger.info({ resets }, 'mongodb client reset');
    } catch (error) {
      options.logger.warn({ error: (error as Error).message }, 'mongodb client reset failed; trying again at the next look');
    } finally {
      running = false;
    }
  };

  const timer = setInterval(() => void look(), intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    get resets() {
      return resets;
    },
  };
}
