import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectMongo } from '@shop/db';
import { mongo, type Connection } from 'mongoose';
import { testDatabase, type TestDatabase } from '../helpers.ts';
import { commandOf, messageFramer, startWireProxy, targetOf, uriThrough, type WireProxy } from './wire-proxy.ts';

/** An OP_MSG: header, flagBits, then the given sections. */
function opMsg(sections: Buffer[], requestId = 7): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), ...sections]);
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(2013, 12);
  return Buffer.concat([header, body]);
}
const bodySection = (doc: Record<string, unknown>): Buffer => Buffer.concat([Buffer.from([0]), Buffer.from(mongo.BSON.serialize(doc))]);
function sequenceSection(identifier: string, docs: Record<string, unknown>[]): Buffer {
  const payload = Buffer.concat([Buffer.from(`${identifier}\0`), ...docs.map((d) => Buffer.from(mongo.BSON.serialize(d)))]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(4 + payload.length);
  return Buffer.concat([Buffer.from([1]), size, payload]);
}

describe('reading a command off the wire', () => {
  it('when the body follows a document sequence, then its command and collection are read', () => {
    const message = opMsg([sequenceSection('documents', [{ _id: 1, insert: 'decoy' }]), bodySection({ insert: 'orders', ordered: true, $db: 'shop' })]);
    expect(commandOf(message)).toEqual({ command: 'insert', collection: 'orders' });
  });

  it('when the first field is not a string (a ping) or the message is not an OP_MSG, then no command is read', () => {
    expect(commandOf(opMsg([bodySection({ ping: 1, $db: 'admin' })]))).toBeNull();
    const opQuery = opMsg([bodySection({ insert: 'orders' })]);
    opQuery.writeInt32LE(2004, 12);
    expect(commandOf(opQuery)).toBeNull();
  });

  it('when messages arrive split across chunks and joined in one, then each comes out whole', () => {
    const a = opMsg([bodySection({ insert: 'orders' })], 1);
    const b = opMsg([bodySection({ update: 'idempotency_keys' })], 2);
    const frame = messageFramer();
    const both = Buffer.concat([a, b]);
    const out = [...frame(both.subarray(0, 3)), ...frame(both.subarray(3, a.length + 5)), ...frame(both.subarray(a.length + 5))];
    expect(out.map((m) => m.readInt32LE(4))).toEqual([1, 2]);
    expect(out.map(commandOf)).toEqual([
      { command: 'insert', collection: 'orders' },
      { command: 'update', collection: 'idempotency_keys' },
    ]);
  });
});

describe('a proxy that loses one reply', () => {
  let db: TestDatabase;
  let proxy: WireProxy;
  let client: Connection;

  beforeAll(async () => {
    db = await testDatabase();
    proxy = await startWireProxy(targetOf(db.uri));
    client = await connectMongo({ uri: uriThrough(db.uri, proxy.port), dbName: db.dbName, maxPoolSize: 2 });
  });

  afterAll(async () => {
    await client.close();
    await proxy.close();
    await db.drop();
  });

  it('when the reply to an insert is lost, then the document is stored, the caller sees a closed connection, and later commands pass', async () => {
    const lost = proxy.loseNextReply('insert', 'parcels');
    await client.collection('letters').insertOne({ _id: 'passes-first' } as never);
    const failure = await client.collection('parcels').insertOne({ _id: 'landed' } as never).catch((error: unknown) => error);
    await lost;
    expect((failure as Error).name).toBe('MongoNetworkError');
    expect(await db.connection.collection('parcels').countDocuments({ _id: 'landed' } as never)).toBe(1);
    await client.collection('parcels').insertOne({ _id: 'after' } as never);
    expect(await db.connection.collection('parcels').countDocuments()).toBe(2);
    expect(await db.connection.collection('letters').countDocuments()).toBe(1);
  });

  it('when a request is cut, then nothing is stored and the caller sees a closed connection', async () => {
    const cut = proxy.cutNextRequest('insert', 'notes');
    const failure = await client.collection('notes').insertOne({ _id: 'never' } as never).catch((error: unknown) => error);
    await cut;
    expect((failure as Error).name).toBe('MongoNetworkError');
    expect(await db.connection.collection('notes').countDocuments()).toBe(0);
  });
});
