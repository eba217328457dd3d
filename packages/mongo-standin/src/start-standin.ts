import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { ensureJar } from './build-jar.ts';

export interface StandinOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** TCP port. Default 27017. */
  port?: number;
  /** H2 MVStore file for persistence; in memory when omitted. */
  file?: string;
  /** Keep running after this process exits (used by `npm start`). Default false. */
  detached?: boolean;
  /** Where a detached server writes its output. */
  logFile?: string;
  /** How long to wait for the READY line. Default 60 s (first start may build the jar). */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningStandin {
  uri: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/** Builds the jar if needed and starts mongo-java-server; resolves once it accepts connections. */
export async function startStandin(options: StandinOptions = {}): Promise<RunningStandin> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 27017;
  const jar = ensureJar(options.log);
  const args = ['-Xss4m', '-XX:+UseSerialGC', '-jar', jar, '--host', host, '--port', String(port)];
  if (options.file) args.push('--file', options.file);

  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child: ChildProcess = spawn('java', args, {
    detached: options.detached ?? false,
    stdio: ['ignore', out, out],
  });
  await waitUntilReady(child, host, port, options.startTimeoutMs ?? 60_000);
  if (options.detached) child.unref();

  return {
    uri: `mongodb://${host}:${port}`,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntilReady(child: ChildProcess, host: string, port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  let exitInfo: string | undefined;
  child.once('exit', (code, signal) => {
    exitInfo = `exited with ${code ?? signal}`;
  });
  while (Date.now() < deadline) {
    if (exitInfo) throw new Error(`MongoDB stand-in ${exitInfo} before accepting connections on ${host}:${port}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  child.kill('SIGKILL');
  throw new Error(`MongoDB stand-in did not accept connections on ${host}:${port} within ${timeoutMs} ms`);
}
