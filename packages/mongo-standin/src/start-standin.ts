import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { ensureJar } from './build-jar.ts';

export interface StandinOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** TCP port. Default 27017. */
  port?: number;
  /** H2 MVStore file for persistence; in memory when omitted. */
  file?: string;
  /**
   * Run the server in its own process group (a terminal's Ctrl-C does not reach it) and let this
   * process exit while it keeps running (used by `npm start`, `npm run seed`). Default false.
   */
  detached?: boolean;
  /** Where the server's output goes (appended). */
  logFile?: string;
  /** How long to wait for the READY line. Default 60 s (first start may build the jar). */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningStandin {
  uri: string;
  pid: number;
  /**
   * Stops the server (SIGTERM, then SIGKILL after 5 s). The SIGTERM is sent synchronously, so
   * calling it from a process 'exit' handler still stops the server.
   */
  stop(): Promise<void>;
}

/**
 * Builds the jar if needed and starts mongo-java-server; resolves once that very process prints
 * its READY line (it does so after binding the port). Rejects when the port is already taken,
 * when the server exits first, or after `startTimeoutMs`; no server process is left behind then.
 */
export async function startStandin(options: StandinOptions = {}): Promise<RunningStandin> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 27017;
  if (await acceptsConnections(host, port)) {
    throw new Error(
      `cannot start the MongoDB stand-in on ${host}:${port}: another process already listens there ` +
        '(stop it, use MONGODB_URI to point at it, or choose another port)',
    );
  }
  const jar = ensureJar(options.log);
  // ZGC: collections run concurrently with the server, so no request waits for one. The serial
  // collector stopped every thread for 45–325 ms under an order load (decision 0002).
  const args = ['-Xss4m', '-XX:+UseZGC', '-jar', jar, '--host', host, '--port', String(port)];
  if (options.file) args.push('--file', options.file);

  const logOffset = options.logFile && existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const logFd = options.logFile ? openSync(options.logFile, 'a') : undefined;
  // stdout is a pipe we read until READY (the server closes it right after); stderr goes to the log
  // file, or is collected here for error messages when there is no log file and we stay attached.
  const stderr = logFd ?? (options.detached ? 'ignore' : 'pipe');
  let child: ChildProcess;
  try {
    child = spawn('java', args, { detached: options.detached ?? false, stdio: ['ignore', 'pipe', stderr] });
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }

  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-2_000);
  });

  const describeOutput = (stdoutLines: string[]): string => {
    const failed = stdoutLines.filter((line) => line.startsWith('FAILED '));
    let output = failed.length > 0 ? failed.join('\n') : [...stdoutLines, stderrTail].join('\n');
    if (failed.length === 0 && options.logFile) output += '\n' + readFrom(options.logFile, logOffset);
    output = output.trim();
    if (output) return `: ${output.slice(-2_000)}`;
    return options.logFile ? ` (see ${options.logFile})` : '';
  };

  try {
    const ready = await waitForReady(child, options.startTimeoutMs ?? 60_000, describeOutput, `${host}:${port}`);
    if (options.logFile) appendFileSync(options.logFile, `${ready}\n`);
  } catch (error) {
    child.kill('SIGKILL');
    child.stdout?.destroy();
    child.stderr?.destroy();
    throw error;
  }

  if (options.detached) {
    // Nothing of ours may keep this process alive, nor tie the server to it.
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.unref();
  } else {
    child.stdout?.resume(); // the server closes stdout after READY; read to its end
  }

  return {
    uri: `mongodb://${host}:${port}`,
    pid: child.pid ?? -1,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      child.ref();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      return exited.then(() => clearTimeout(timer));
    },
  };
}

/** Resolves with the READY line printed by `child`; rejects when it fails, exits or times out first. */
function waitForReady(
  child: ChildProcess,
  timeoutMs: number,
  describeOutput: (stdoutLines: string[]) => string,
  where: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdoutLines: string[] = [];
    if (!child.stdout) throw new Error('the stand-in was spawned without a stdout pipe');
    const lines = createInterface({ input: child.stdout });
    let settled = false;
    const finish = (error: Error | undefined, line = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('close', onExit);
      lines.close();
      if (error) reject(error);
      else resolve(line);
    };
    // 'close' rather than 'exit': it comes once the last stdout/stderr lines have been read.
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      finish(new Error(`MongoDB stand-in on ${where} exited with ${code ?? signal} before READY${describeOutput(stdoutLines)}`));
    };
    const onError = (error: Error): void => {
      finish(new Error(`cannot run java for the MongoDB stand-in (is a JDK installed?): ${error.message}`));
    };
    const timer = setTimeout(() => {
      finish(new Error(`MongoDB stand-in on ${where} printed no READY line within ${timeoutMs} ms${describeOutput(stdoutLines)}`));
    }, timeoutMs);
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) finish(undefined, line);
      else stdoutLines.push(line);
    });
    child.once('close', onExit);
    child.on('error', onError); // stays: a late 'error' must not become an uncaught exception
  });
}

/** True when something accepts TCP connections at host:port (within 1 s). */
function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The end of `file` from byte `offset` on (at most 4 KB), '' when unreadable. */
function readFrom(file: string, offset: number): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(offset, size - 4_096);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}
