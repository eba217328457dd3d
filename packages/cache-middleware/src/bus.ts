import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface InvalidationMessage {
  tags?: string[];
  keys?: string[];
}

export interface InvalidationBus {
  publish(message: InvalidationMessage): Promise<void>;
  /** True while the subscription is established (messages from other workers arrive). */
  readonly subscribed: boolean;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Connection used to publish (the cache's normal client). */
  redis: Redis;
  /** Channel shared by every worker of every service. Default `cache:invalidate`. */
  channel?: string;
  /** Applies an invalidation that another worker published. */
  onRemote(message: InvalidationMessage): void;
  /**
   * The subscription was (re)established after a gap in which messages may have been missed:
   * the cache drops its whole L1 rather than risk serving something invalidated meanwhile.
   */
  onResync(): void;
  /** Every time the subscription is established, the first time included. */
  onSubscribed?(): void;
  onError?(error: unknown): void;
}

/** Redis pub/sub between workers. Messages a worker sent itself are ignored (applied locally already). */
export function createInvalidationBus(options: BusOptions): InvalidationBus {
  const channel = options.channel ?? 'cache:invalidate';
  const origin = randomUUID();
  const subscriber = options.redis.duplicate({ lazyConnect: true, enableOfflineQueue: false });
  let connectedBefore = false;
  let closed = false;
  let subscribed = false;

  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        subscribed = true;
        if (connectedBefore) options.onResync();
        connectedBefore = true;
        options.onSubscribed?.();
      },
      (error: unknown) => options.onError?.(error),
    );
  });
  subscriber.on('error', (error: unknown) => options.onError?.(error));
  subscriber.on('close', () => {
    subscribed = false;
  });
  subscriber.on('message', (received: string, text: string) => {
    if (received !== channel) return;
    try {
      const message = JSON.parse(text) as InvalidationMessage & { origin?: string };
      if (message.origin === origin) return;
      options.onRemote({
        tags: Array.isArray(message.tags) ? message.tags.filter((t) => typeof t === 'string') : undefined,
        keys: Array.isArray(message.keys) ? message.keys.filter((k) => typeof k === 'string') : undefined,
      });
    } catch (error) {
      options.onError?.(error);
    }
  });
  subscriber.connect().catch((error: unknown) => options.onError?.(error));

  return {
    get subscribed() {
      return subscribed;
    },
    async publish(message) {
      await options.redis.publish(channel, JSON.stringify({ ...message, origin }));
    },
    async close() {
      if (closed) return;
      closed = true;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
