import { createHash, randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { AppError } from '@shop/service-kit';

/** A stored answer to replay. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyRecord {
  requestHash: string;
  /** Who runs the request now; finish/unlock only act for the current owner (a takeover changes it). */
  owner: string;
  /**
   * Which use of the key this is: kept when a retry takes over a dead attempt (same request),
   * new when an expired key is reused for a new request. Orders are unique per generation.
   */
  generation: string;
  /**
   * The generation's order id, under which its stock holds are recorded: kept with the generation,
   * so a takeover finds the holds of the attempt it replaces (absent on keys from before it existed).
   */
  orderId?: string;
  state: 'running' | 'done';
  lockedUntil: number;
  expiresAt: number;
  response?: StoredResponse;
}

/** Storage for idempotency keys; `id` is `<customerId>:<key>`. */
export interface IdempotencyStore {
  /** Inserts a running record; false when the id exists. */
  insert(id: string, record: IdempotencyRecord): Promise<boolean>;
  find(id: string): Promise<IdempotencyRecord | null>;
  /** Replaces the record only if it is still owned by `expected.owner` (a takeover). */
  replaceIf(id: string, expected: IdempotencyRecord, record: IdempotencyRecord): Promise<boolean>;
  /** Stores the answer, only while `owner` still owns the key. */
  finish(id: string, owner: string, response: StoredResponse): Promise<void>;
  /**
   * Ends the lock of a running attempt now, only while `owner` still owns it, keeping its
   * generation: the next retry takes the key over at once and finds whatever this attempt wrote.
   */
  unlock(id: string, owner: string): Promise<void>;
}

export interface IdempotencyPolicy {
  /** How long a key is remembered (documented: 24 h). */
  retentionMs: number;
  /** How long a running first attempt holds the key before a retry may take over. */
  lockMs: number;
}

/** Stable hash of a validated request body: key order does not matter. */
export function requestHash(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

const inProgress = (): AppError =>
  new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed', 409, {
    headers: { 'Retry-After': '1' },
  });

export type IdempotentOutcome =
  | {
      kind: 'run';
      owner: string;
      generation: string;
      /** The id the order gets (the same across takeovers of one generation). */
      orderId: string;
      /** True when this claim took over a dead attempt of the same request, which may have written its order. */
      takeover: boolean;
    }
  | { kind: 'replay'; response: StoredResponse };

/**
 * Claims `id` for this request: 'run' (go ahead, under `runClaimed`) or 'replay' (the first
 * attempt's answer). Throws 422 for the same key with another body, 409 while the first attempt
 * still runs. An expired key, or a running one whose lock lapsed (its process died), is taken over.
 */
export async function claimKey(
  store: IdempotencyStore,
  id: string,
  hash: string,
  policy: IdempotencyPolicy,
  now: () => number = Date.now,
): Promise<IdempotentOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const fresh: IdempotencyRecord = {
      requestHash: hash,
      owner: randomUUID(),
      generation: randomUUID(),
      orderId: new Types.ObjectId().toHexString(),
      state: 'running',
      lockedUntil: now() + policy.lockMs,
      expiresAt: now() + policy.retentionMs,
    };
    const run = (record: IdempotencyRecord, takeover = false): IdempotentOutcome => ({
      kind: 'run',
      owner: record.owner,
      generation: record.generation,
      orderId: record.orderId ?? new Types.ObjectId().toHexString(),
      takeover,
    });
    // A claim write that fails may still have landed (its reply lost), leaving the key locked by
    // `fresh.owner`, which nobody would hold: end that lock so the retry takes it over at once.
    const write = async (claim: () => Promise<boolean>): Promise<boolean> => {
      try {
        return await claim();
      } catch (error) {
        await store.unlock(id, fresh.owner).catch(() => {});
        throw error;
      }
    };
    if (await write(() => store.insert(id, fresh))) return run(fresh);
    const existing = await store.find(id);
    if (!existing) continue;
    if (existing.expiresAt <= now()) {
      // Retention is over: the key starts a new request (a new generation, so a new order).
      if (await write(() => store.replaceIf(id, existing, fresh))) return run(fresh);
      continue;
    }
    if (existing.requestHash !== hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body', 422);
    }
    if (existing.state === 'done' && existing.response) return { kind: 'replay', response: existing.response };
    if (existing.lockedUntil > now()) {
      throw inProgress();
    }
    // The first attempt died holding the key: take over the same request (same generation).
    const takeover = { ...fresh, generation: existing.generation, orderId: existing.orderId ?? fresh.orderId };
    if (await write(() => store.replaceIf(id, existing, takeover))) return run(takeover, true);
  }
  throw inProgress();
}

/** The answer a business refusal stores for replay. */
const refusal = (error: AppError): StoredResponse => ({
  status: error.httpStatus,
  body: { error: { code: error.code, message: error.message, details: error.details } },
});

/**
 * Runs a claimed request (`claimKey` said 'run') and records its answer: the result as
 * `status`, or a business refusal (an AppError below 500, which wrote nothing) that is then
 * rethrown. Any other failure may have written (a lost reply, a timeout): the key is never freed
 * for a new generation; its lock ends, so the retry takes over this generation and finds what
 * was written. Recording an answer can fail the same way; then the lock ends too and this
 * client still gets its answer (a retry reaches the same outcome). An unlock that fails leaves
 * the lock to lapse: until then retries get 409 IDEMPOTENCY_IN_PROGRESS.
 */
export async function runClaimed<T>(
  store: IdempotencyStore,
  id: string,
  owner: string,
  status: number,
  work: () => Promise<T>,
  onUnrecorded: (error: unknown) => void = () => {},
): Promise<T> {
  const record = async (response: StoredResponse): Promise<void> => {
    try {
      await store.finish(id, owner, response);
    } catch (error) {
      onUnrecorded(error);
      await store.unlock(id, owner).catch(() => {});
    }
  };
  let result: T;
  try {
    result = await work();
  } catch (error) {
    if (error instanceof AppError && error.httpStatus < 500) {
      await record(refusal(error));
    } else {
      await store.unlock(id, owner).catch(() => {});
    }
    throw error;
  }
  await record({ status, body: result });
  return result;
}
