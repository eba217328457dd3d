// npm run mongo:standin -- [--port 27017] [--memory] [--detach]
// Starts the mongo-java-server stand-in (docs/decisions/0002-mongodb-stand-in.md). Persists to
// .data/mongo-standin.mv unless --memory. --detach returns once it accepts connections.
import path from 'node:path';
import { startStandin } from '@shop/mongo-standin';
import { cliArgs, intFlag } from './lib/args.ts';
import { dataDir, ensureDirs, runDir } from './lib/paths.ts';

const args = cliArgs(
  { port: { type: 'string' }, memory: { type: 'boolean' }, detach: { type: 'boolean' } },
  'npm run mongo:standin -- [--port 27017] [--memory] [--detach]',
);
ensureDirs();
const port = intFlag('port', args.port, 27017, 1, 65_535);
const standin = await startStandin({
  port,
  file: args.memory ? undefined : path.join(dataDir, 'mongo-standin.mv'),
  detached: args.detach ?? false,
  logFile: path.join(runDir, 'mongo-standin.log'),
  log: console.log,
});
console.log(`MongoDB stand-in (mongo-java-server) listening at ${standin.uri}, pid ${standin.pid}`);
if (!args.detach) {
  const stop = (): void => {
    standin.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
}
