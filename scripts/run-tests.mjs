// npm test [-- <jest args>]: the workspace suites (jest.config.js, two workers), then the
// end-to-end suites (jest.e2e.config.js, one at a time), then the reliability suite
// (jest.resilience.config.js, one at a time, with the 5-minute memory soak unless RESILIENCE_SOAK_S
// says otherwise). `--resilience` (npm run test:resilience) runs only the last, with the full
// 10-minute soak. Arguments go to every run; a path that selects suites of only some of them
// leaves the others with nothing to run, which is not a failure then. Exits non-zero when any
// run fails.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const resilienceOnly = process.argv[2] === '--resilience';
const args = process.argv.slice(resilienceOnly ? 3 : 2);
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const configs = resilienceOnly ? ['jest.resilience.config.js'] : ['jest.config.js', 'jest.e2e.config.js', 'jest.resilience.config.js'];
const env = { ...process.env, RESILIENCE_SOAK_S: process.env.RESILIENCE_SOAK_S ?? (resilienceOnly ? '600' : '300') };
let failed = false;
for (const config of configs) {
  const run = spawnSync(
    process.execPath,
    ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', jest, '--config', config, ...(args.length > 0 ? ['--passWithNoTests'] : []), ...args],
    { cwd: root, stdio: 'inherit', env },
  );
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
