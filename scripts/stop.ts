// npm stop: stops what `npm start` started, in reverse order: nginx, the PM2 services (graceful:
// each worker drains and finishes its requests), Redis, the MongoDB stand-in. Servers that
// `npm start` found already running are left alone. Safe to run when nothing is running.
import { stopNginx } from './lib/nginx.ts';
import { ecosystemFile, pm2, pm2List } from './lib/pm2.ts';
import { alive, clearStack, readStack } from './lib/stack-state.ts';

const log = (scope: string, line: string): void => console.log(`[${scope}] ${line}`);

async function stopPid(name: string, pid: number | undefined): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  log(name, `stopped (pid ${pid})`);
}

const state = readStack();
if (state.nginxPidFile && (await stopNginx(state.nginxPidFile))) log('nginx', 'stopped');

const apps = ['catalog', 'order', 'search'];
if (pm2List().some((p) => apps.includes(p.name))) {
  pm2(['delete', ecosystemFile], { inherit: false });
  log('pm2', 'catalog, order and search stopped');
}
// The daemon goes too when nothing else of anyone's runs under it (modules such as pm2-logrotate aside).
const rest = pm2List().filter((p) => !p.pm2_env.pmx_module && p.name !== 'pm2-logrotate');
if (rest.length === 0) pm2(['kill']);

await stopPid('redis', state.redisPid);
await stopPid('mongo', state.standinPid);
clearStack();
log('stop', 'done');
