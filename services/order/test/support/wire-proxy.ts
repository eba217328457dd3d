import net from 'node:net';

/**
 * A TCP proxy in front of a MongoDB-wire server that fails one command on demand, the way a
 * network does: either the command reaches the server and is applied, then its reply is dropped
 * (a write whose acknowledgement is lost), or it never reaches the server. Either way the client's
 * connection is cut, so the driver sees a closed connection. Everything else passes.
 */

/** What a client message asks for: the command name and the collection it names. */
export interface WireCommand {
  command: string;
  collection: string;
}

const HEADER_BYTES = 16;
const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;
const BSON_STRING = 0x02;

/** Splits a byte stream into whole wire-protocol messages (each starts with its int32 length). */
export function messageFramer(): (chunk: Buffer) => Buffer[] {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const messages: Buffer[] = [];
    while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
      const length = pending.readInt32LE(0);
      messages.push(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
    return messages;
  };
}

/** The first field of a BSON document when it is a string (a command's name and its collection). */
function firstStringField(message: Buffer, at: number): WireCommand | null {
  if (message[at + 4] !== BSON_STRING) return null;
  const keyEnd = message.indexOf(0, at + 5);
  if (keyEnd < 0) return null;
  const valueLength = message.readInt32LE(keyEnd + 1);
  return {
    command: message.toString('utf8', at + 5, keyEnd),
    collection: message.toString('utf8', keyEnd + 5, keyEnd + 5 + valueLength - 1),
  };
}

/** The command an OP_MSG carries (its body section, kind 0, may come after document sequences); null for anything else. */
export function commandOf(message: Buffer): WireCommand | null {
  if (message.length < HEADER_BYTES + 5 || message.readInt32LE(12) !== OP_MSG) return null;
  const end = message.readInt32LE(0) - (message.readUInt32LE(HEADER_BYTES) & CHECKSUM_PRESENT ? 4 : 0);
  let offset = HEADER_BYTES + 4;
  while (offset < end) {
    const kind = message[offset];
    if (kind === 0) return firstStringField(message, offset + 1);
    offset += 1 + message.readInt32LE(offset + 1); // kind 1: a document sequence, int32 size first
  }
  return null;
}

const requestIdOf = (message: Buffer): number => message.readInt32LE(4);
const responseToOf = (message: Buffer): number => message.readInt32LE(8);

export interface WireProxy {
  port: number;
  /**
   * The next `command` on `collection` (from any connection) is forwarded and applied, then its
   * reply is dropped and that client connection closed. Resolves when the reply has been lost.
   */
  loseNextReply(command: string, collection: string): Promise<void>;
  /** The next `command` on `collection` is not forwarded; its connection is closed. Resolves when it has been cut. */
  cutNextRequest(command: string, collection: string): Promise<void>;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

interface Trap {
  command: string;
  collection: string;
  lose: 'reply' | 'request';
  sprung: () => void;
}

export async function startWireProxy(target: { host: string; port: number }): Promise<WireProxy> {
  let trap: Trap | null = null;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    // Requests of this connection whose replies are to be lost, with what to call once they are.
    const doomed = new Map<number, () => void>();

    const fromClient = messageFramer();
    client.on('data', (chunk) => {
      for (const message of fromClient(chunk)) {
        const asked = trap && commandOf(message);
        if (trap && asked && asked.command === trap.command && asked.collection === trap.collection) {
          const { lose, sprung } = trap;
          trap = null;
          if (lose === 'request') {
            cut();
            sprung();
            return;
          }
          doomed.set(requestIdOf(message), sprung);
        }
        upstream.write(message);
      }
    });
    const fromServer = messageFramer();
    upstream.on('data', (chunk) => {
      for (const message of fromServer(chunk)) {
        const sprung = doomed.get(responseToOf(message));
        if (sprung) {
          cut();
          sprung();
          return;
        }
        client.write(message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    loseNextReply(command, collection) {
      return new Promise<void>((resolve) => {
        trap = { command, collection, lose: 'reply', sprung: resolve };
      });
    },
    cutNextRequest(command, collection) {
      return new Promise<void>((resolve) => {
        trap = { command, collection, lose: 'request', sprung: resolve };
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `uri` (one host) pointed at `port` on 127.0.0.1: connected directly (no discovery of the real
 * hosts behind it) and with retryable writes off, so a lost reply reaches the code under test
 * instead of being retried by the driver on a replica set.
 */
export function uriThrough(uri: string, port: number): string {
  const url = new URL(uri);
  if (url.protocol !== 'mongodb:' || url.host.includes(',')) throw new Error(`the proxy needs a single-host mongodb:// URI, not ${uri}`);
  url.host = `127.0.0.1:${port}`;
  url.searchParams.set('directConnection', 'true');
  url.searchParams.set('retryWrites', 'false');
  return url.toString();
}

/** Host and port of a single-host mongodb:// URI. */
export function targetOf(uri: string): { host: string; port: number } {
  const url = new URL(uri);
  return { host: url.hostname, port: Number(url.port || 27017) };
}
