import net from 'node:net';

/**
 * A small HTTP/1.1 load generator with two modes, on keep-alive sockets that parse responses by
 * hand (status, Content-Length or chunked), so its own CPU and garbage stay small next to the
 * server's on a shared machine:
 * - openLoop: latency at a fixed offered rate. Request i is due at start + i/rate and is sent then
 *   whether or not earlier ones have answered, so a slow server is charged for the queue it causes
 *   (no coordinated omission).
 * - closedLoop: maximum throughput. Every connection sends its next request as soon as the last
 *   one is answered.
 * The bench's own open-loop latencies come from vegeta (scripts/bench/vegeta.ts, decision 0013):
 * this client's timer, a 1 ms setTimeout on an event loop that also parses the answers, lags 2–5 ms
 * at p99 at the bench's rates. Its open loop remains for `npm run bench -- --generator node`.
 */

/** One request: a GET of a path, or any method with headers and a body. */
export type RequestSpec = string | { method: string; path: string; headers?: Record<string, string>; body?: string };

export interface LoadTarget {
  port: number;
  host?: string;
  /** Keep-alive sockets; in the open loop a request due while all are busy waits for one (and that wait counts). */
  connections?: number;
  /** The next request. */
  next: () => RequestSpec;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** Unmeasured seconds first (JIT, caches, a server settling from an earlier run). */
  warmupS?: number;
  /** Measured seconds (after the warm-up). */
  durationS: number;
}

export interface OpenLoopOptions extends LoadTarget {
  /** Requests per second offered. */
  rate: number;
}

export interface LoadResult {
  /** Latency of each measured 2xx, ms: from when it was due (open loop; or, if the timer fired late, from when it fired) or sent (closed loop) to its last byte. */
  latencies: number[];
  /** Measured answers that were not 2xx, and measured requests whose connection failed. */
  errors: number;
  /** Status codes of the measured answers. */
  statuses: Record<string, number>;
  /** Measured answers (any status). */
  answered: number;
  /** Body bytes of the measured answers, as sent on the wire (compressed when the server compressed). */
  bodyBytes: number;
  /** Seconds the measured part took. */
  elapsedS: number;
  /** How late the generator's timer fired, p99 ms (its own share of the machine); 0 in the closed loop. */
  timerLagP99: number;
}

export interface LatencyPercentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latencies, ms; NaN where there are none. */
export function latencyPercentiles(samples: readonly number[]): LatencyPercentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => (sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN));
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

interface Pending {
  request: string;
  startedAt: number;
  measured: boolean;
}

interface Answer {
  status: number;
  bodyBytes: number;
}

class Connection {
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private current: Pending | undefined;
  private headerEnd = -1;
  private status = 0;
  private contentLength = -1;
  private chunked = false;
  private chunkCursor = 0;
  private chunkBytes = 0;
  /** The answer being read said `Connection: close` (nginx after keepalive_requests, a draining worker). */
  private closing = false;
  private closed = false;
  private readonly options: { port: number; host: string };
  private readonly onDone: (connection: Connection, pending: Pending, answer: Answer) => void;
  private readonly onError: (connection: Connection, pending: Pending | undefined) => void;

  constructor(
    options: { port: number; host: string },
    onDone: (connection: Connection, pending: Pending, answer: Answer) => void,
    onError: (connection: Connection, pending: Pending | undefined) => void,
  ) {
    this.options = options;
    this.onDone = onDone;
    this.onError = onError;
    this.socket = this.connect();
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(pending: Pending): void {
    this.current = pending;
    this.socket.write(pending.request);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private connect(): net.Socket {
    const socket = net.connect({ port: this.options.port, host: this.options.host, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      // A socket this connection already replaced (after `Connection: close`) ends quietly.
      if (this.closed || socket !== this.socket) return;
      const lost = this.current;
      this.reset();
      this.current = undefined;
      this.onError(this, lost);
      this.socket = this.connect();
    });
    return socket;
  }

  private reset(): void {
    this.buffer = Buffer.alloc(0);
    this.headerEnd = -1;
    this.contentLength = -1;
    this.chunked = false;
    this.chunkCursor = 0;
    this.chunkBytes = 0;
    this.closing = false;
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.headerEnd === -1) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.headerEnd = end + 4;
      const head = this.buffer.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.contentLength = length ? Number(length[1]) : -1;
      this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
      this.closing = /\r\nconnection:\s*close/i.test(head);
      this.chunkCursor = this.headerEnd;
    }
    if (!this.complete()) return;
    const pending = this.current;
    const answer = { status: this.status, bodyBytes: this.contentLength >= 0 ? this.contentLength : this.chunkBytes };
    const reconnect = this.closing;
    this.reset();
    this.current = undefined;
    // The server closes this socket after this answer: the next request goes on a new one.
    if (reconnect) {
      const old = this.socket;
      this.socket = this.connect();
      old.destroy();
    }
    if (pending) this.onDone(this, pending, answer);
  }

  /** True once the whole body is in the buffer. */
  private complete(): boolean {
    if (this.contentLength >= 0) return this.buffer.length >= this.headerEnd + this.contentLength;
    if (!this.chunked) return true;
    for (;;) {
      const lineEnd = this.buffer.indexOf('\r\n', this.chunkCursor);
      if (lineEnd === -1) return false;
      const size = parseInt(this.buffer.toString('latin1', this.chunkCursor, lineEnd), 16);
      if (size === 0) return this.buffer.length >= lineEnd + 4;
      const next = lineEnd + 2 + size + 2;
      if (this.buffer.length < next) return false;
      this.chunkBytes += size;
      this.chunkCursor = next;
    }
  }
}

const headerLines = (headers: Record<string, string> = {}): string =>
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');

/** The bytes of one request: the target's headers, then the request's own, then its body. */
function requestWriter(target: Pick<LoadTarget, 'headers' | 'port'>, host: string): (spec: RequestSpec) => string {
  const common = headerLines(target.headers);
  const hostLine = `Host: ${host}:${target.port}\r\n`;
  return (spec) => {
    if (typeof spec === 'string') return `GET ${spec} HTTP/1.1\r\n${hostLine}${common}\r\n`;
    const own = headerLines(spec.headers);
    const body = spec.body ?? '';
    const length = body || spec.method !== 'GET' ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '';
    return `${spec.method} ${spec.path} HTTP/1.1\r\n${hostLine}${common}${own}${length}\r\n${body}`;
  };
}

/** Counts what the measured answers were; shared by both loops. */
function tally() {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let answered = 0;
  let bodyBytes = 0;
  return {
    answer(pending: Pending, answer: Answer, latency: number): void {
      if (!pending.measured) return;
      answered++;
      bodyBytes += answer.bodyBytes;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status < 200 || answer.status >= 300) errors++;
      else latencies.push(latency);
    },
    failed(pending: Pending | undefined): void {
      if (pending?.measured) errors++;
    },
    result(elapsedS: number, timerLagP99: number): LoadResult {
      return { latencies, errors, statuses, answered, bodyBytes, elapsedS, timerLagP99 };
    },
  };
}

export async function openLoop(options: OpenLoopOptions): Promise<LoadResult> {
  const host = options.host ?? '127.0.0.1';
  const write = requestWriter(options, host);
  const total = Math.round(options.rate * ((options.warmupS ?? 0) + options.durationS));
  /** Requests due in the warm-up: sent, not counted. */
  const warmupCount = Math.round(options.rate * (options.warmupS ?? 0));
  const interval = 1_000 / options.rate;
  const counts = tally();
  const lags: number[] = [];
  const queue: Pending[] = [];
  let finished = 0;
  let sent = 0;
  let start = 0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));

  const settle = (): void => {
    finished++;
    if (finished === total) resolveAll();
  };
  const dispatch = (connection: Connection): void => {
    const pending = queue.shift();
    if (pending) connection.send(pending);
  };
  const onDone = (connection: Connection, pending: Pending, answer: Answer): void => {
    counts.answer(pending, answer, performance.now() - pending.startedAt);
    settle();
    dispatch(connection);
  };
  const onError = (connection: Connection, pending: Pending | undefined): void => {
    if (pending) {
      counts.failed(pending);
      settle();
    }
    dispatch(connection);
  };
  const pool = Array.from({ length: options.connections ?? 32 }, () => new Connection({ port: options.port, host }, onDone, onError));
  await new Promise((resolve) => setTimeout(resolve, 50));

  start = performance.now();
  const tick = (): void => {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      const due = start + sent * interval;
      // By the request's place in the schedule, not by (start + i × interval) − start, which
      // floating point can put a hair before the warm-up's end (request 50 of 100/s at 499.99… ms).
      const measured = sent >= warmupCount;
      sent++;
      if (measured) lags.push(now - due);
      queue.push({ request: write(options.next()), startedAt: now, measured });
      const idle = pool.find((c) => !c.busy);
      if (idle) dispatch(idle);
    }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
  if (total > 0) await allDone;
  for (const connection of pool) connection.close();
  lags.sort((a, b) => a - b);
  return counts.result(options.durationS, lags[Math.floor(lags.length * 0.99)] ?? 0);
}

/** `next` may return null: the list of requests is done (a sweep), and the run ends when all are answered. */
export async function closedLoop(options: Omit<LoadTarget, 'next'> & { next: () => RequestSpec | null }): Promise<LoadResult> {
  const host = options.host ?? '127.0.0.1';
  const write = requestWriter(options, host);
  const counts = tally();
  const warmupMs = (options.warmupS ?? 0) * 1_000;
  let measuredFrom = Number.POSITIVE_INFINITY;
  let stopAt = Number.POSITIVE_INFINITY;
  let open = 0;
  const finished = new Set<Connection>();
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (resolveAll = resolve));

  const next = (connection: Connection): void => {
    if (finished.has(connection)) return;
    const now = performance.now();
    const spec = now >= stopAt ? null : options.next();
    if (spec === null) {
      finished.add(connection);
      if (--open === 0) resolveAll();
      return;
    }
    connection.send({ request: write(spec), startedAt: now, measured: now >= measuredFrom });
  };
  const onDone = (connection: Connection, pending: Pending, answer: Answer): void => {
    counts.answer(pending, answer, performance.now() - pending.startedAt);
    next(connection);
  };
  const onError = (connection: Connection, pending: Pending | undefined): void => {
    // An idle socket closed by the server (keep-alive timeout) loses nothing.
    if (!pending) return;
    counts.failed(pending);
    // A refused connection is retried by the socket's reconnect; do not spin on it.
    setTimeout(() => next(connection), 5);
  };
  const pool = Array.from({ length: options.connections ?? 32 }, () => new Connection({ port: options.port, host }, onDone, onError));
  await new Promise((resolve) => setTimeout(resolve, 50));
  measuredFrom = performance.now() + warmupMs;
  stopAt = measuredFrom + options.durationS * 1_000;
  open = pool.length;
  for (const connection of pool) next(connection);
  await allDone;
  for (const connection of pool) connection.close();
  return counts.result((performance.now() - measuredFrom) / 1_000, 0);
}
