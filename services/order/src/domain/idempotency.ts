import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '@shop/service-kit';

/** A stored answer to replay. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyRecord {
  requestHash: string;
  /** Who runs the request now; finish/remove only act for the current owner (a takeover changes it). */
  owner: string;
  /**
   * Which use of the key this is: kept when a retry takes over a dead attempt (same request),
   * new when an expired key is reused for a new request. Orders are unique per generation.
   */
  generation: string;
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
  /** Frees the key, only while `owner` still owns it. */
  remove(id: string, owner: string): Promise<void>;
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
      /** True when this claim took over a dead attempt of the same request, which may have written its order. */
      takeover: boolean;
    }
  | { kind: 'replay'; response: StoredResponse };

/**
 * Claims `id` for this request: 'run' (go ahead, then finish or abandon) or 'replay' (the first
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
      state: 'running',
      lockedUntil: now() + policy.lockMs,
      expiresAt: now() + policy.retentionMs,
    };
    const run = (record: IdempotencyRecord, takeover = false): IdempotentOutcome => ({
      kind: 'run',
      owner: record.owner,
      generation: record.generation,
      takeover,
    });
    if (await store.insert(id, fresh)) return run(fresh);
    const existing = await store.find(id);
    if (!existing) continue;
    if (existing.expiresAt <= now()) {
      // Retention is over: the key starts a new request (a new generation, so a new order).
      if (await store.replaceIf(id, existing, fresh)) return run(fresh);
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
    const takeover = { ...fresh, generation: existing.generation };
    if (await store.replaceIf(id, existing, takeover)) return run(takeover, true);
  }
  throw inProgress();
}
