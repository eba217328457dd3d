import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function isListening(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface StartedRedis {
  url: string;
  port: number;
  pid: number;
  /**
   * Stops the server (SIGTERM, then SIGKILL after 5 s). The SIGTERM is sent synchronously, so
   * calling it from a process 'exit' handler still stops the server.
   */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway redis-server (no persistence) on `port`. `detached` puts it in its own
 * process group, so a terminal's Ctrl-C reaches only this process, which stops it when it chooses;
 * it also stops holding this process open (call `stop()` to end it).
 */
export async function startRedisServer(port: number, options: { detached?: boolean } = {}): Promise<StartedRedis> {
  if (!hasRedisServer()) {
    throw new Error('redis-server is not installed (Debian package redis-server; `npm test` installs it when run as root)');
  }
  if (await isListening('127.0.0.1', port)) {
    throw new Error(`cannot start redis-server on 127.0.0.1:${port}: another process already listens there`);
  }
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: 'ignore', detached: options.detached ?? false },
  );
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + 10_000;
  while (!(await isListening('127.0.0.1', port, 200))) {
    if (spawnError) throw new Error(`cannot run redis-server: ${spawnError.message}`);
    if (exited()) throw new Error(`redis-server on port ${port} exited with ${child.exitCode ?? child.signalCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (exited()) throw new Error(`redis-server on port ${port} exited right after starting (is another server there?)`);
  if (options.detached) child.unref();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop() {
      if (exited()) return Promise.resolve();
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      child.ref();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      return done.then(() => clearTimeout(timer));
    },
  };
}

/** Redis for a script: REDIS_URL (which must answer), else one on 6379, else one started for the run. */
export async function resolveRedis(): Promise<{ url: string; started?: StartedRedis }> {
  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL);
    if (!(await isListening(url.hostname, Number(url.port || 6379)))) throw new Error(`REDIS_URL=${process.env.REDIS_URL}: nothing listens there`);
    return { url: process.env.REDIS_URL };
  }
  if (await isListening('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379' };
  const started = await startRedisServer(await freePort());
  return { url: started.url, started };
}
