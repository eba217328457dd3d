// HEAD requests for the hostile-input fuzz. A HEAD goes over a socket of its own and everything
// nginx sends back is read until it closes, so body bytes after the header block are seen (Node's
// HTTP client would drop them). Each probe: a GET that bypasses the response cache (the reference),
// the HEAD on the not-yet-cached URL, then the plain GET a client would send next, and another
// reference GET (a cached answer may have been rendered a moment after the first reference).
import net from 'node:net';
import type { Case } from './hostile-cases.ts';
import type { RawClient, Reply } from './raw-http.ts';

export interface HeadReply {
  /** 0 when nothing parseable came back. */
  status: number;
  headers: Record<string, string>;
  /** Bytes after the header block: a HEAD answer has none. */
  bodyBytes: number;
  error?: string;
}

export interface HeadProbe {
  c: Case;
  /** GET with the cache bypassed, before the HEAD. */
  reference: Reply;
  head: HeadReply;
  /** The plain GET (the case's own headers) right after the HEAD. */
  after: Reply;
  /** GET with the cache bypassed, after the plain one. */
  laterReference: Reply;
}

function parseHead(raw: Buffer, error?: string): HeadReply {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return { status: 0, headers: {}, bodyBytes: 0, error: error ?? `no header block in ${raw.length} bytes` };
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, bodyBytes: raw.length - end - 4, ...(error ? { error } : {}) };
}

/** HEAD `path` at `edge` with `Connection: close`; resolves with all nginx sent, once it closes. */
export function rawHead(edge: string, path: string, headers: Record<string, string>, timeoutMs = 20_000): Promise<HeadReply> {
  const url = new URL(edge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(Number(url.port), url.hostname);
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parseHead(Buffer.concat(chunks), error));
    };
    socket.setTimeout(timeoutMs, () => finish('timeout'));
    socket.on('connect', () => {
      const head = [`HEAD ${path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), 'Connection: close', '', ''];
      socket.write(head.join('\r\n'), 'latin1');
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish());
    socket.on('error', (error) => finish(error.message));
  });
}

/** Probes one GET case with a HEAD; `bypass` are headers that make the response cache step aside. */
export async function probeHead(client: RawClient, edge: string, c: Case, bypass: Record<string, string>): Promise<HeadProbe> {
  const reference = await client.call('GET', c.path, { ...c.headers, ...bypass });
  const head = await rawHead(edge, c.path, c.headers);
  const after = await client.call('GET', c.path, c.headers);
  const laterReference = await client.call('GET', c.path, { ...c.headers, ...bypass });
  return { c, reference, head, after, laterReference };
}

/** `work` over every item, `concurrency` at a time; results in the items' order. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}
