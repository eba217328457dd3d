import { Schema } from 'mongoose';
import { applyIndexes, type IndexDefinition } from '../../index-definition.ts';

/**
 * One Idempotency-Key of one customer: the request it was first used with and, once finished,
 * the answer to replay. `_id` is `<customerId>:<key>` (keys contain no ":"), so the unique `_id`
 * index is the lock.
 */
export interface IdempotencyDoc {
  _id: string;
  requestHash: string;
  /** The attempt running the request now; answers are stored only by the current owner. */
  owner: string;
  /** One use of the key: kept across takeovers of a dead attempt, new after expiry. */
  generation: string;
  /**
   * The id the generation's order gets, and its stock holds are recorded under: kept across
   * takeovers, so a retry recognises the holds of an attempt that failed (absent on keys written
   * before it was added).
   */
  orderId?: string;
  state: 'running' | 'done';
  /** While running: after this the first attempt is presumed dead and a retry may take over. */
  lockedUntil: Date;
  responseStatus?: number;
  responseBody?: unknown;
  createdAt: Date;
  /** Retention: after this the key may be reused for a new request. */
  expiresAt: Date;
}

export const idempotencyIndexes: readonly IndexDefinition<IdempotencyDoc>[] = [
  {
    name: 'expires_ttl',
    key: { expiresAt: 1 },
    options: { expireAfterSeconds: 0 },
    serves: 'retention — MongoDB deletes keys past expiresAt (the service also ignores them on read)',
  },
];

export const idempotencySchema = new Schema<IdempotencyDoc>(
  {
    _id: { type: String, required: true },
    requestHash: { type: String, required: true },
    owner: { type: String, required: true },
    generation: { type: String, required: true },
    orderId: String,
    state: { type: String, enum: ['running', 'done'], required: true },
    lockedUntil: { type: Date, required: true },
    responseStatus: Number,
    responseBody: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'idempotency_keys', autoIndex: false, strict: 'throw', versionKey: false, _id: false },
);
applyIndexes(idempotencySchema, idempotencyIndexes);
