// npm stop: stops what `npm start` started, in reverse order: nginx, the PM2 services (graceful:
// each worker drains and finishes its requests), Redis, the MongoDB stand-in. Servers that
// `npm start` found already running are left alone. Safe to run when nothing is running.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { stopNginx } from './lib/nginx.ts';
import { runDir } from './lib/paths.ts';
import { ecosystemFile, pm2, pm2DaemonRunning } from './lib/pm2.ts';
import { endProcess } from './lib/processes.ts';
import { clearStack, liveStack, readStack } from './lib/stack-state.ts';

const log = (scope: string, line: string): void => console.log(`[${scope}] ${line}`);

/** SIGTERM (the server's own clean stop), SIGKILL after 15 s; only while the pid is still that server. */
async function stopPid(name: string, pid: number | undefined, marker: string): Promise<void> {
  if (await endProcess(pid, marker, 'SIGTERM', 15_000)) log(name, `stopped (pid ${pid})`);
}

const state = liveStack(readStack());
if (state.nginxPidFile && (await stopNginx(state.nginxPidFile))) log('nginx', 'stopped');
// Its edge cache is gone with it: a later `pm2 start ecosystem.config.js` must not purge it.
rmSync(path.join(runDir, 'edge-purge-urls'), { force: true });

// The project's own PM2 daemon (.run/pm2): the services drain and stop, then the daemon ends.
if (pm2DaemonRunning()) {
  pm2(['delete', ecosystemFile]);
  pm2(['kill']);
  log('pm2', 'catalog, order and search stopped');
}

await stopPid('redis', state.redisPid, 'redis-server');
await stopPid('mongo', state.standinPid, 'mongo-standin');
clearStack();
log('stop', 'done');
