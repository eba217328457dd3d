/**
 * An open-loop run on a Go constant-rate generator (decision 0013): loadgen (the default) or
 * vegeta. The scenario's request stream is written as vegeta's JSON targets to a file, the
 * generator sends them at the rate, and its results (vegeta's JSON result lines, written by
 * loadgen itself or decoded by `vegeta encode`) are summarized by vegeta-results.ts.
 *
 * The targets are written before the run starts, so this process does nothing while it runs: the
 * only client on the machine's cores is the generator.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadgenArgs, readLoadgenResults } from './loadgen.ts';
import { summarizeVegeta, type VegetaLoadResult, type VegetaResult } from './vegeta-results.ts';
import { attackArgs, readResults, targetCount, VEGETA_GOGC, vegetaTarget, type ConstantRateAttack } from './vegeta.ts';

export type ConstantRateGenerator = 'loadgen' | 'vegeta';

/** Runs `bin` with `args` and `stdin` (a file descriptor or 'ignore'); rejects with its stderr when it fails, else resolves to it. */
async function runGenerator(bin: string, args: string[], stdin: number | 'ignore', env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(bin, args, { stdio: [stdin, 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${path.basename(bin)} ${args[0]} exited ${code}: ${stderr.trim()}`);
  return stderr;
}

/** One open-loop run: the raw results and their summary. */
export async function constantRateOpenLoop(generator: ConstantRateGenerator, attack: ConstantRateAttack): Promise<{ results: VegetaResult[]; summary: VegetaLoadResult }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `shop-${generator}-`));
  try {
    const base = `http://${attack.host ?? '127.0.0.1'}:${attack.port}`;
    const targets = path.join(dir, 'targets.json');
    writeFileSync(targets, `${Array.from({ length: targetCount(attack) }, () => vegetaTarget(attack.next(), base)).join('\n')}\n`);
    let results: VegetaResult[];
    if (generator === 'loadgen') {
      const output = path.join(dir, 'results.json');
      const report = await runGenerator(attack.bin, loadgenArgs(attack, targets, output), 'ignore', process.env);
      // Its account: requests, connections, errors, its own CPU per request, and why requests went out late.
      for (const line of report.trim().split('\n')) if (line) console.log(`[${line.replace(/^loadgen: /, 'loadgen] ')}`);
      results = await readLoadgenResults(output);
    } else {
      const output = path.join(dir, 'results.bin');
      const stdin = openSync(targets, 'r');
      try {
        await runGenerator(attack.bin, attackArgs(attack, output), stdin, { ...process.env, GOGC: VEGETA_GOGC });
      } finally {
        closeSync(stdin);
      }
      results = await readResults(attack.bin, output);
    }
    const summary = summarizeVegeta(results, attack);
    if (summary.unsent > 0) {
      const due = Math.round(attack.rate * attack.durationS);
      console.warn(`[${generator}] at ${attack.rate}/s it never sent ${summary.unsent} of the ${due} requests due in the measured window: the generator, not the server, could not keep the rate (they count in its lag)`);
    }
    return { results, summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
