import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseProxyList } from '@shop/service-kit';
import { repoRoot, runDir } from './paths.ts';
import { aliveAs, endProcess } from './processes.ts';

/** Everything the template (nginx/nginx.conf.template) needs filled in. */
export interface NginxProfile {
  /** `listen` argument: `8080`, `127.0.0.1:8080`, `80`. */
  listen: string;
  upstreams: { catalog: string; order: string; search: string };
  staticRoot: string;
  /** Where security-headers.conf is. */
  confDir: string;
  logDir: string;
  pidFile: string;
  tempDir: string;
  /** The `access_log` arguments (path and format). */
  accessLog: string;
  mimeTypes: string;
  workerProcesses: string;
  /** Per client address, e.g. `100r/s`. */
  rateLimit: string;
  rateBurst: number;
  connLimit: number;
  /** Extra networks allowed to scrape /metrics (Prometheus in docker-compose). */
  allowMetrics: string[];
  /** Path of ngx_http_brotli_filter_module.so, or null to serve gzip only. */
  brotliModule: string | null;
  /** Path of ngx_http_brotli_static_module.so (serves the storefront's prebuilt .br files), or null. */
  brotliStaticModule: string | null;
  /** The include file of the real-IP directives (renderRealIpConf: TRUSTED_PROXIES, decision 0017). */
  realIpConf: string;
  /**
   * The edge cache (decision 0018): where nginx keeps its entries, or null to render without it
   * (nginx lacks the modules it needs; the services then answer every request themselves).
   */
  edgeCache: EdgeCache | null;
  /** Networks besides loopback whose services may purge the edge cache (the services' network in docker-compose). */
  allowPurge: string[];
}

/** Where the edge cache keeps its files (proxy_cache_path); nginx's workers write there. */
export interface EdgeCache {
  path: string;
}

export const templatePath = path.join(repoRoot, 'nginx', 'nginx.conf.template');
export const dockerConfigPath = path.join(repoRoot, 'nginx', 'docker.conf');
/** The container writes its real-IP include here at start (nginx/docker-entrypoint.sh). */
export const DOCKER_REAL_IP_CONF = '/etc/nginx/shop/real-ip.conf';

/**
 * The real-IP include for the front load balancers of TRUSTED_PROXIES: nginx takes the client
 * address from their X-Forwarded-For, walking right to left past every trusted entry, so a value
 * a client wrote left of what its load balancer appended is never used. With none, the client is
 * the TCP peer. nginx/docker-entrypoint.sh writes the same text byte for byte (a test compares).
 */
export function renderRealIpConf(trustedProxies: readonly string[]): string {
  const lines = ['# Front load balancers trusted to name the client (TRUSTED_PROXIES, decision 0017).'];
  if (trustedProxies.length === 0) {
    lines.push('# None: the client is the TCP peer; an X-Forwarded-For it sends is ignored.');
  } else {
    for (const entry of trustedProxies) lines.push(`set_real_ip_from ${entry};`);
    lines.push('real_ip_header X-Forwarded-For;', 'real_ip_recursive on;');
  }
  return `${lines.join('\n')}\n`;
}

const BROTLI_MODULE = '/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so';
const BROTLI_STATIC_MODULE = '/usr/lib/nginx/modules/ngx_http_brotli_static_module.so';
const BROTLI_DIRECTIVES = `  brotli on;
  brotli_comp_level 5;
  brotli_min_length 1024;
  brotli_types application/json application/javascript text/css text/plain image/svg+xml application/manifest+json;`;

/**
 * What the edge cache needs besides nginx (Debian: libnginx-mod-http-cache-purge,
 * libnginx-mod-http-lua, which brings libnginx-mod-http-ndk), in load order.
 */
export const EDGE_CACHE_MODULES = [
  '/usr/lib/nginx/modules/ndk_http_module.so',
  '/usr/lib/nginx/modules/ngx_http_lua_module.so',
  '/usr/lib/nginx/modules/ngx_http_cache_purge_module.so',
] as const;
export const EDGE_CACHE_PACKAGES = 'libnginx-mod-http-cache-purge libnginx-mod-http-lua';
/** True when this machine's nginx can load every module the edge cache needs. */
export const hasEdgeCacheModules = (): boolean => EDGE_CACHE_MODULES.every((module) => existsSync(module));

/** `allow` lines of a location, one per network. */
const allowLines = (networks: readonly string[]): string => networks.map((cidr) => `      allow ${cidr};`).join('\n');

/** The template with every placeholder filled; throws on one it does not know. */
export function renderNginxConfig(profile: NginxProfile, template = readFileSync(templatePath, 'utf8')): string {
  const values: Record<string, string> = {
    LOAD_MODULES: [
      profile.brotliModule ? `load_module ${profile.brotliModule};` : '# (no brotli filter module installed: gzip only)',
      profile.brotliStaticModule ? `load_module ${profile.brotliStaticModule};` : '# (no brotli static module installed: prebuilt .gz only)',
      ...(profile.edgeCache ? EDGE_CACHE_MODULES.map((module) => `load_module ${module};`) : ['# (no edge cache: the services answer every request)']),
    ].join('\n'),
    WORKER_PROCESSES: profile.workerProcesses,
    PID_FILE: profile.pidFile,
    LOG_DIR: profile.logDir,
    ACCESS_LOG: profile.accessLog,
    MIME_TYPES: profile.mimeTypes,
    TEMP_DIR: profile.tempDir,
    BROTLI: profile.brotliModule ? BROTLI_DIRECTIVES : '',
    BROTLI_STATIC: profile.brotliStaticModule ? '      brotli_static on;' : '',
    RATE_LIMIT: profile.rateLimit,
    RATE_BURST: String(profile.rateBurst),
    CONN_LIMIT: String(profile.connLimit),
    CATALOG_UPSTREAM: profile.upstreams.catalog,
    ORDER_UPSTREAM: profile.upstreams.order,
    SEARCH_UPSTREAM: profile.upstreams.search,
    LISTEN: profile.listen,
    STATIC_ROOT: profile.staticRoot,
    CONF_DIR: profile.confDir,
    ALLOW_METRICS: allowLines(profile.allowMetrics),
    REAL_IP_CONF: profile.realIpConf,
    EDGE_CACHE_PATH: profile.edgeCache?.path ?? '',
    ALLOW_PURGE: allowLines(profile.allowPurge),
  };
  const rendered = template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template: unknown placeholder {{${name}}}`);
    return value;
  });
  return profile.edgeCache ? rendered : withoutEdgeCache(rendered);
}

const EDGE_REGION = /\n([ \t]*)# edge-cache:begin[\s\S]*?# edge-cache:end\n/g;

/** The rendering without its edge-cache regions (each between `# edge-cache:begin` and `# edge-cache:end`). */
function withoutEdgeCache(config: string): string {
  let found = 0;
  const stripped = config.replace(EDGE_REGION, (_, indent: string) => {
    found++;
    return `\n${indent}# (edge cache off here: the template has it between edge-cache:begin and edge-cache:end)\n`;
  });
  if (found !== 2) throw new Error(`nginx template: expected two edge-cache regions, found ${found}`);
  return stripped;
}

export function findNginx(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

/** The storefront's build when there is one, otherwise the landing page in nginx/html. */
export function staticRoot(): string {
  const built = path.join(repoRoot, 'storefront', 'dist');
  return existsSync(path.join(built, 'index.html')) ? built : path.join(repoRoot, 'nginx', 'html');
}

export interface LocalNginxOptions {
  /** Where the rendered config, pid, logs and temp files go. Default .run/nginx. */
  dir?: string;
  listen?: string;
  ports?: { catalog: number; order: number; search: number };
  rateLimit?: string;
  rateBurst?: number;
  connLimit?: number;
  /** What `location /` serves. Default: staticRoot(). */
  staticRoot?: string;
  /**
   * Front load balancers (TRUSTED_PROXIES: a comma-separated IP/CIDR list, or its entries).
   * Default: the TRUSTED_PROXIES environment variable; none when it is unset.
   */
  trustedProxies?: string | readonly string[];
  /**
   * The edge cache, its files in edgeCacheDir(dir). Default: on when nginx has the modules it
   * needs (hasEdgeCacheModules); `true` throws when it has not.
   */
  edgeCache?: boolean;
}

/** Memory-backed files (tmpfs) on Linux. */
const MEMORY_FS = '/dev/shm';
/** Room the edge cache needs there: its max_size (256m) and the temporary files of entries being written. */
const MEMORY_CACHE_BYTES = 320 * 1024 * 1024;

/** The in-memory directory of the edge cache of a local nginx of `dir`: one per nginx directory. */
function memoryCacheDir(dir: string): string {
  const id = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 16);
  return path.join(MEMORY_FS, `shop-edge-${id}`);
}

/** True when /dev/shm has room for a whole edge cache (a container's default 64 MB has not). */
export function edgeCacheInMemory(): boolean {
  try {
    const fs = statfsSync(MEMORY_FS);
    return fs.bavail * fs.bsize >= MEMORY_CACHE_BYTES;
  } catch {
    return false;
  }
}

/**
 * Where a local nginx of `dir` keeps its edge cache: in memory (memoryCacheDir) when /dev/shm has
 * room for it, else under `dir`. Its entries live 10 s, are rewritten as often, and are
 * unreachable after a restart (a new generation; decision 0018): on a disk they only cost writes,
 * and on this project's VMs an ext4 journal commit stalled nginx's workers behind them for
 * hundreds of ms (the bench's product p99 runs, decision 0018). nginx creates it at start;
 * testConfig and stopNginx remove one in memory that no running nginx uses.
 */
export function edgeCacheDir(dir: string): string {
  return edgeCacheInMemory() ? memoryCacheDir(dir) : path.join(dir, 'edge-cache');
}

/** The profile `npm start` and the end-to-end tests run: everything under `dir` (the edge cache in memory), services on loopback. */
export function localProfile(options: LocalNginxOptions = {}): NginxProfile {
  const dir = options.dir ?? path.join(runDir, 'nginx');
  const ports = options.ports ?? { catalog: 3001, order: 3002, search: 3003 };
  const listen = options.listen ?? process.env.NGINX_LISTEN ?? '8080';
  return {
    listen,
    upstreams: { catalog: `127.0.0.1:${ports.catalog}`, order: `127.0.0.1:${ports.order}`, search: `127.0.0.1:${ports.search}` },
    staticRoot: options.staticRoot ?? staticRoot(),
    confDir: path.join(repoRoot, 'nginx'),
    logDir: dir,
    pidFile: path.join(dir, 'nginx.pid'),
    tempDir: path.join(dir, 'tmp'),
    accessLog: `${path.join(dir, 'nginx-access.log')} edge buffer=32k flush=1s`,
    mimeTypes: '/etc/nginx/mime.types',
    workerProcesses: 'auto',
    rateLimit: options.rateLimit ?? process.env.NGINX_RATE_LIMIT ?? '100r/s',
    rateBurst: options.rateBurst ?? Number(process.env.NGINX_RATE_BURST ?? 200),
    connLimit: options.connLimit ?? Number(process.env.NGINX_CONN_LIMIT ?? 200),
    allowMetrics: [],
    brotliModule: existsSync(BROTLI_MODULE) ? BROTLI_MODULE : null,
    brotliStaticModule: existsSync(BROTLI_STATIC_MODULE) ? BROTLI_STATIC_MODULE : null,
    realIpConf: path.join(dir, 'real-ip.conf'),
    edgeCache: wantsEdgeCache(options.edgeCache) ? { path: edgeCacheDir(dir) } : null,
    allowPurge: purgeSources(listen),
  };
}

/**
 * Besides loopback, where the services' purges come from: nginx's own listen address when it is
 * one address of this machine (a service reaching it there connects from it).
 */
function purgeSources(listen: string): string[] {
  const host = new URL(listenUrl(listen)).hostname.replace(/^\[|\]$/g, '');
  // A name (`localhost:8080`) is no `allow` argument; its services reach nginx over loopback.
  return isIP(host) === 0 || host === '127.0.0.1' || host === '::1' ? [] : [host];
}

function wantsEdgeCache(asked: boolean | undefined): boolean {
  if (asked === false) return false;
  if (hasEdgeCacheModules()) return true;
  if (asked) throw new Error(`the edge cache needs nginx modules this machine lacks: ${EDGE_CACHE_MODULES.filter((m) => !existsSync(m)).join(', ')} (Debian: apt-get install ${EDGE_CACHE_PACKAGES})`);
  return false;
}

/** The front load balancers of a local rendering: the option, else TRUSTED_PROXIES; a bad entry throws. */
export function localTrustedProxies(options: LocalNginxOptions = {}): string[] {
  const value = options.trustedProxies ?? process.env.TRUSTED_PROXIES;
  return typeof value === 'string' || value === undefined ? parseProxyList(value) : parseProxyList(value.join(','));
}

/** The profile of nginx/docker.conf: the image of nginx/Dockerfile, services by compose name. */
export function dockerProfile(): NginxProfile {
  return {
    listen: '80',
    upstreams: { catalog: 'catalog:3001', order: 'order:3002', search: 'search:3003' },
    staticRoot: '/usr/share/shop/storefront',
    confDir: '/etc/nginx/shop',
    logDir: '/var/log/nginx',
    pidFile: '/run/nginx.pid',
    tempDir: '/var/cache/nginx',
    accessLog: '/dev/stdout edge',
    mimeTypes: '/etc/nginx/mime.types',
    workerProcesses: 'auto',
    rateLimit: '100r/s',
    rateBurst: 200,
    connLimit: 200,
    // Prometheus' fixed address on the compose network (docker-compose.yml), and nothing else: the
    // bridge's gateway, which published-port clients can appear as, is not in it.
    allowMetrics: ['172.28.0.10'],
    brotliModule: BROTLI_MODULE,
    brotliStaticModule: BROTLI_STATIC_MODULE,
    // Rendered from the container's TRUSTED_PROXIES when it starts (nginx/docker-entrypoint.sh).
    realIpConf: DOCKER_REAL_IP_CONF,
    edgeCache: { path: '/var/cache/nginx/edge' },
    // The services' network (docker-compose.yml `app`: internal, nginx and the services only).
    allowPurge: ['172.28.1.0/24'],
  };
}

export interface LocalNginx {
  conf: string;
  prefix: string;
  pidFile: string;
  accessLog: string;
  url: string;
  /** Whether this nginx runs the edge cache (the services must then purge it: EDGE_PURGE_URLS). */
  edgeCache: boolean;
  /** Where its edge cache's files are (edgeCacheDir), or null without it. */
  edgeCachePath: string | null;
}

/**
 * Where this machine reaches a `listen` argument: `8080` and `0.0.0.0:8080` through 127.0.0.1,
 * `[::]:8080` through [::1]; `192.0.2.5:8080` and `[::1]:8080` at that address.
 */
export function listenUrl(listen: string): string {
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(listen.trim().split(/\s+/)[0] ?? '');
  if (!match) throw new Error(`NGINX_LISTEN: "${listen}" is not [address:]port`);
  const [, host, port] = match;
  // nginx's `[::]` listens on IPv6 only (ipv6only=on), so it is reached at [::1].
  const reach = host === undefined || host === '*' || host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `http://${reach}:${port}`;
}

/** Renders the local profile into its directory (temp dirs open to nginx's unprivileged workers). */
export function writeLocalConfig(options: LocalNginxOptions = {}): LocalNginx {
  const profile = localProfile(options);
  const realIp = renderRealIpConf(localTrustedProxies(options));
  const dir = path.dirname(profile.pidFile);
  mkdirSync(profile.tempDir, { recursive: true });
  // Workers run as `nobody` when the master is root: they write request/response temp files here.
  chmodSync(profile.tempDir, 0o1777);
  // One in memory is created by nginx itself when it starts (owned by its workers' user), so that
  // writing a config leaves nothing behind there.
  if (profile.edgeCache && !profile.edgeCache.path.startsWith(`${MEMORY_FS}/`)) {
    mkdirSync(profile.edgeCache.path, { recursive: true });
    chmodSync(profile.edgeCache.path, 0o1777);
  }
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(profile.realIpConf, realIp);
  writeFileSync(conf, renderNginxConfig(profile));
  return { conf, prefix: dir, pidFile: profile.pidFile, accessLog: path.join(dir, 'nginx-access.log'), url: listenUrl(profile.listen), edgeCache: profile.edgeCache !== null, edgeCachePath: profile.edgeCache?.path ?? null };
}

/** `nginx -t` on a config; returns nginx's own output when it fails. */
export function testConfig(nginx: string, conf: string, prefix: string): { ok: boolean; output: string } {
  const existed = existsSync(memoryCacheDir(prefix));
  const run = spawnSync(nginx, ['-t', '-q', '-p', prefix, '-e', path.join(prefix, 'nginx-error.log'), '-c', conf], { encoding: 'utf8' });
  // `nginx -t` creates the edge cache's directory: one in memory that this check created is not
  // left behind (one that existed may belong to an nginx starting or running).
  if (!existed) removeIdleMemoryCache(prefix);
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/** Removes the in-memory edge cache of the local nginx of `dir` unless that nginx runs; warns when it cannot. */
function removeIdleMemoryCache(dir: string): void {
  const memoryCache = memoryCacheDir(dir);
  if (!existsSync(memoryCache) || runningNginxPid(path.join(dir, 'nginx.pid')) !== null) return;
  try {
    rmSync(memoryCache, { recursive: true, force: true });
  } catch (error) {
    console.warn(`[nginx] could not remove its edge cache ${memoryCache}: ${(error as Error).message}`);
  }
}

export function startNginx(nginx: string, local: LocalNginx): void {
  const run = spawnSync(nginx, ['-p', local.prefix, '-e', path.join(local.prefix, 'nginx-error.log'), '-c', local.conf], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`nginx did not start: ${`${run.stdout}${run.stderr}`.trim()}`);
}

const NGINX_MASTER = 'nginx: master';

/** The master's pid from its pid file, when that process is alive and is an nginx master. */
export function runningNginxPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  // A stale pid file (reboot, crash) may name an unrelated process by now.
  return aliveAs(pid, NGINX_MASTER) ? pid : null;
}

/** Graceful stop (SIGQUIT: workers finish their requests), SIGKILL after `timeoutMs`. */
export async function stopNginx(pidFile: string, timeoutMs = 10_000): Promise<boolean> {
  const stopped = await endProcess(runningNginxPid(pidFile) ?? undefined, NGINX_MASTER, 'SIGQUIT', timeoutMs);
  // A local nginx's edge cache in memory goes with it: nothing in it is reachable after a start.
  removeIdleMemoryCache(path.dirname(pidFile));
  return stopped;
}
