import type { IdempotencyDoc, ShopModels } from '@shop/db';
import type { IdempotencyRecord, IdempotencyStore } from '../domain/idempotency.ts';

const toRecord = (doc: IdempotencyDoc): IdempotencyRecord => ({
  requestHash: doc.requestHash,
  owner: doc.owner,
  generation: doc.generation,
  ...(doc.orderId ? { orderId: doc.orderId } : {}),
  state: doc.state,
  lockedUntil: new Date(doc.lockedUntil).getTime(),
  expiresAt: new Date(doc.expiresAt).getTime(),
  response: doc.state === 'done' ? { status: doc.responseStatus ?? 200, body: doc.responseBody } : undefined,
});

const toDoc = (id: string, record: IdempotencyRecord) => ({
  _id: id,
  requestHash: record.requestHash,
  owner: record.owner,
  generation: record.generation,
  ...(record.orderId ? { orderId: record.orderId } : {}),
  state: record.state,
  lockedUntil: new Date(record.lockedUntil),
  createdAt: new Date(),
  expiresAt: new Date(record.expiresAt),
});

/** Idempotency keys on MongoDB: the unique `_id` is the lock, conditional replaces are takeovers, unlocking ends a lock early. */
export function mongoIdempotencyStore({ Idempotency }: ShopModels): IdempotencyStore {
  return {
    async insert(id, record) {
      try {
        await Idempotency.create(toDoc(id, record));
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 11000) return false;
        throw error;
      }
    },
    async find(id) {
      const doc = await Idempotency.findById(id).lean<IdempotencyDoc>();
      return doc ? toRecord(doc) : null;
    },
    async replaceIf(id, expected, record) {
      const result = await Idempotency.replaceOne({ _id: { $eq: id }, owner: { $eq: expected.owner } }, toDoc(id, record));
      return result.modifiedCount === 1;
    },
    async finish(id, owner, response) {
      await Idempotency.updateOne(
        { _id: { $eq: id }, owner: { $eq: owner } },
        { $set: { state: 'done', responseStatus: response.status, responseBody: response.body } },
      );
    },
    async unlock(id, owner) {
      await Idempotency.updateOne({ _id: { $eq: id }, owner: { $eq: owner }, state: 'running' }, { $set: { lockedUntil: new Date() } });
    },
  };
}
