import net from 'node:net';

/**
 * An open-loop HTTP/1.1 load generator for latency at a fixed offered rate: request i is due at
 * start + i/rate and is sent then whether or not earlier ones have answered, so a slow server is
 * charged for the queue it causes (no coordinated omission). It keeps `connections` keep-alive
 * sockets and parses responses by hand (status, Content-Length or chunked), so the generator's
 * own CPU and garbage stay small next to the server's on a shared machine.
 */

export interface OpenLoopOptions {
  port: number;
  host?: string;
  /** Requests per second offered. */
  rate: number;
  /** Measured seconds (after the warm-up). */
  durationS: number;
  /** Unmeasured seconds first (JIT, caches, a server settling from an earlier run). */
  warmupS?: number;
  /** Keep-alive sockets; a request due while all are busy waits for one (and that wait counts). */
  connections?: number;
  /** Path of the next request. */
  next: () => string;
  headers?: Record<string, string>;
}

export interface OpenLoopResult {
  /** Latency of each measured 2xx, ms: from when it was due (or, if the timer fired late, from when it fired) to its last byte. */
  latencies: number[];
  errors: number;
  /** How late the generator's timer fired, p99 ms (its own share of the machine). */
  timerLagP99: number;
}

interface Pending {
  path: string;
  startedAt: number;
  measured: boolean;
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
  private closed = false;
  private readonly request: (path: string) => string;
  private readonly onDone: (connection: Connection, pending: Pending, status: number) => void;
  private readonly onError: (connection: Connection, pending: Pending | undefined) => void;

  constructor(
    options: { port: number; host: string; headers: Record<string, string> },
    onDone: (connection: Connection, pending: Pending, status: number) => void,
    onError: (connection: Connection, pending: Pending | undefined) => void,
  ) {
    const extra = Object.entries(options.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    this.request = (path) => `GET ${path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n${extra}\r\n`;
    this.onDone = onDone;
    this.onError = onError;
    this.socket = this.connect(options);
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(pending: Pending): void {
    this.current = pending;
    this.socket.write(this.request(pending.path));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private connect(options: { port: number; host: string }): net.Socket {
    const socket = net.connect({ port: options.port, host: options.host, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.closed) return;
      const lost = this.current;
      this.reset();
      this.current = undefined;
      this.onError(this, lost);
      this.socket = this.connect(options);
    });
    return socket;
  }

  private reset(): void {
    this.buffer = Buffer.alloc(0);
    this.headerEnd = -1;
    this.contentLength = -1;
    this.chunked = false;
    this.chunkCursor = 0;
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
      this.chunkCursor = this.headerEnd;
    }
    if (!this.complete()) return;
    const pending = this.current;
    this.reset();
    this.current = undefined;
    if (pending) this.onDone(this, pending, this.status);
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
      this.chunkCursor = next;
    }
  }
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const host = options.host ?? '127.0.0.1';
  const warmupMs = (options.warmupS ?? 0) * 1_000;
  const total = Math.round(options.rate * ((options.warmupS ?? 0) + options.durationS));
  const interval = 1_000 / options.rate;
  const latencies: number[] = [];
  const lags: number[] = [];
  const queue: Pending[] = [];
  let errors = 0;
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
  const onDone = (connection: Connection, pending: Pending, status: number): void => {
    if (status < 200 || status >= 300) errors++;
    else if (pending.measured) latencies.push(performance.now() - pending.startedAt);
    settle();
    dispatch(connection);
  };
  const onError = (connection: Connection, pending: Pending | undefined): void => {
    if (pending) {
      errors++;
      settle();
    }
    dispatch(connection);
  };
  const pool = Array.from(
    { length: options.connections ?? 32 },
    () => new Connection({ port: options.port, host, headers: options.headers ?? {} }, onDone, onError),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));

  start = performance.now();
  const tick = (): void => {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      const due = start + sent * interval;
      sent++;
      const measured = due - start >= warmupMs;
      if (measured) lags.push(now - due);
      queue.push({ path: options.next(), startedAt: now, measured });
      const idle = pool.find((c) => !c.busy);
      if (idle) dispatch(idle);
    }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
  await allDone;
  for (const connection of pool) connection.close();
  lags.sort((a, b) => a - b);
  return { latencies, errors, timerLagP99: lags[Math.floor(lags.length * 0.99)] ?? 0 };
}
