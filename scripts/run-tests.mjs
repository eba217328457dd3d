// npm test [-- <jest args>]: the workspace suites (jest.config.js, two workers), then the
// end-to-end suites (jest.e2e.config.js, one at a time). Arguments go to both runs; a path that
// selects suites of only one of them leaves the other with nothing to run, which is not a failure
// then. Exits non-zero when either run fails.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
let failed = false;
for (const config of ['jest.config.js', 'jest.e2e.config.js']) {
  const run = spawnSync(
    process.execPath,
    ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', jest, '--config', config, ...(args.length > 0 ? ['--passWithNoTests'] : []), ...args],
    { cwd: root, stdio: 'inherit' },
  );
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
