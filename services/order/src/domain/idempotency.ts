import { createHash } from 'node:crypto';
import { AppError } from '@shop/service-kit';

/** A stored answer to replay. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyRecord {
  requestHash: string;
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
  /** Replaces the record only if it still has `expected`'s lockedUntil and expiresAt (a takeover). */
  replaceIf(id: string, expected: IdempotencyRecord, record: IdempotencyRecord): Promise<boolean>;
  finish(id: string, response: StoredResponse): Promise<void>;
  remove(id: string): Promise<void>;
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

export type IdempotentOutcome = { kind: 'run' } | { kind: 'replay'; response: StoredResponse };

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
      state: 'running',
      lockedUntil: now() + policy.lockMs,
      expiresAt: now() + policy.retentionMs,
    };
    if (await store.insert(id, fresh)) return { kind: 'run' };
    const existing = await store.find(id);
    if (!existing) continue;
    if (existing.expiresAt <= now()) {
      if (await store.replaceIf(id, existing, fresh)) return { kind: 'run' };
      continue;
    }
    if (existing.requestHash !== hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body', 422);
    }
    if (existing.state === 'done' && existing.response) return { kind: 'replay', response: existing.response };
    if (existing.lockedUntil > now()) {
      throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed', 409, {
        headers: { 'Retry-After': '1' },
      });
    }
    if (await store.replaceIf(id, existing, fresh)) return { kind: 'run' };
  }
  throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed', 409, {
    headers: { 'Retry-After': '1' },
  });
}
