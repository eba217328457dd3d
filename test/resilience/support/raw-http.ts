// HTTP to nginx exactly as written: the path is sent byte for byte (support/traffic's send()
// resolves it with WHATWG URL, which turns %2e%2e into a dot segment), the response headers are
// kept (ETag, WWW-Authenticate), and compressed bodies are decoded.
import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

export interface Reply {
  /** 0: the connection failed or timed out; -1: Node refused to send the request. */
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
  error?: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface RawClient {
  call(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply>;
  /** Sends every request, `concurrency` at a time; the replies in the requests' order. */
  callAll(requests: readonly RawRequest[], concurrency: number): Promise<Reply[]>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** A client for `edge` (http://host:port) keeping up to `maxSockets` connections alive. */
export function rawClient(edge: string, options: { maxSockets: number; timeoutMs?: number }): RawClient {
  const url = new URL(edge);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const call = (method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> => {
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (reply: Omit<Reply, 'ms'>): void => {
        if (settled) return;
        settled = true;
        resolve({ ...reply, ms: performance.now() - started });
      };
      let req: http.ClientRequest;
      try {
        req = http.request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
            timeout: options.timeoutMs ?? 20_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              let raw = Buffer.concat(chunks);
              try {
                if (res.headers['content-encoding'] === 'br') raw = brotliDecompressSync(raw);
                else if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
              } catch {
                // kept as sent
              }
              done({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8') });
            });
            res.on('error', (error) => done({ status: 0, headers: {}, body: '', error: error.message }));
          },
        );
      } catch (error) {
        done({ status: -1, headers: {}, body: '', error: `not sendable: ${(error as Error).message}` });
        return;
      }
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (error) => done({ status: 0, headers: {}, body: '', error: error.message }));
      req.end(body);
    });
  };
  const callAll = async (requests: readonly RawRequest[], concurrency: number): Promise<Reply[]> => {
    const replies = new Array<Reply>(requests.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) {
          const i = next++;
          const r = requests[i]!;
          replies[i] = await call(r.method, r.path, r.headers, r.body);
        }
      }),
    );
    return replies;
  };
  return { call, callAll, close: () => agent.destroy() };
}
