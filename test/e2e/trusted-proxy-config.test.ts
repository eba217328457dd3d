// TRUSTED_PROXIES in the deployment files (decision 0017), checked by the tools that read them:
// the template and docker.conf include the real-IP directives, the local rendering passes
// `nginx -t` with and without load balancers, the container's entrypoint writes what the local
// renderer writes, the image runs that entrypoint, and docker-compose passes the variable to nginx.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  DOCKER_REAL_IP_CONF,
  dockerConfigPath,
  dockerProfile,
  findNginx,
  localProfile,
  renderNginxConfig,
  renderRealIpConf,
  templatePath,
  testConfig,
  writeLocalConfig,
} from '../../scripts/lib/nginx.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-trusted-proxy-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entrypoint = path.join(repoRoot, 'nginx', 'docker-entrypoint.sh');

/** The container's entrypoint with TRUSTED_PROXIES = `value`, writing its include to `out`, then running a command that says "started". */
function runEntrypoint(value: string | undefined, out: string) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, REAL_IP_CONF: out };
  if (value !== undefined) env.TRUSTED_PROXIES = value;
  return spawnSync('sh', [entrypoint, 'sh', '-c', 'echo started'], { encoding: 'utf8', env });
}

describe('the real-IP include of the nginx configuration', () => {
  it('when the template and the committed docker.conf are read, then both include the real-IP file (docker.conf: the one the entrypoint writes)', () => {
    expect(readFileSync(templatePath, 'utf8')).toMatch(/^ {2}include \{\{REAL_IP_CONF\}\};$/m);
    const docker = readFileSync(dockerConfigPath, 'utf8');
    expect(docker).toContain(`\n  include ${DOCKER_REAL_IP_CONF};\n`);
    expect(docker).toBe(renderNginxConfig(dockerProfile()));
    // The include comes before the limits keyed on $binary_remote_addr, in the http block.
    expect(docker.indexOf(`include ${DOCKER_REAL_IP_CONF};`)).toBeLessThan(docker.indexOf('limit_req_zone $binary_remote_addr'));
    // Whatever the client address resolves to is what the services get, never the client's own header.
    expect(docker).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });

  it('when TRUSTED_PROXIES is empty, then the include trusts no one; with load balancers, it names each and reads X-Forwarded-For recursively', () => {
    const none = renderRealIpConf([]);
    expect(none).not.toMatch(/set_real_ip_from|real_ip_header/);
    expect(renderRealIpConf(['10.0.0.0/8', '2001:db8::/48'])).toBe(
      [
        '# Front load balancers trusted to name the client (TRUSTED_PROXIES, decision 0017).',
        'set_real_ip_from 10.0.0.0/8;',
        'set_real_ip_from 2001:db8::/48;',
        'real_ip_header X-Forwarded-For;',
        'real_ip_recursive on;',
        '',
      ].join('\n'),
    );
  });

  it('when the local stack is rendered with and without TRUSTED_PROXIES, then nginx -t accepts both and the include holds the list', () => {
    const nginx = findNginx();
    expect(nginx).not.toBeNull();
    for (const [name, trustedProxies] of [
      ['none', ''],
      ['some', ' 10.0.0.0/8, 192.0.2.7 ,2001:db8::/48'],
    ] as const) {
      const local = writeLocalConfig({ dir: path.join(dir, name), listen: '127.0.0.1:18081', trustedProxies });
      const result = testConfig(nginx!, local.conf, local.prefix);
      expect(result.ok ? 'ok' : result.output).toBe('ok');
      const include = localProfile({ dir: path.join(dir, name) }).realIpConf;
      expect(readFileSync(local.conf, 'utf8')).toContain(`include ${include};`);
      expect(readFileSync(include, 'utf8')).toBe(renderRealIpConf(name === 'none' ? [] : ['10.0.0.0/8', '192.0.2.7', '2001:db8::/48']));
    }
  });

  it('when TRUSTED_PROXIES holds a bad entry, then rendering the local stack fails naming it, before nginx sees anything', () => {
    expect(() => writeLocalConfig({ dir: path.join(dir, 'bad'), trustedProxies: '10.0.0.0/8,lb.example.com' })).toThrow(
      'TRUSTED_PROXIES: "lb.example.com" is not an IP address or CIDR range',
    );
  });
});

describe('the nginx container (nginx/docker-entrypoint.sh, nginx/Dockerfile)', () => {
  it('when the entrypoint runs with TRUSTED_PROXIES unset, empty or a list, then it writes byte for byte what the local renderer writes, then runs the command', () => {
    for (const [value, entries] of [
      [undefined, []],
      ['', []],
      [' , ', []],
      ['10.0.0.0/8', ['10.0.0.0/8']],
      [' 10.0.0.0/8, 192.0.2.7 ,,2001:db8::/48,::1', ['10.0.0.0/8', '192.0.2.7', '2001:db8::/48', '::1']],
    ] as const) {
      const out = path.join(dir, `entrypoint-${entries.length}-${String(value).length}.conf`);
      const run = runEntrypoint(value, out);
      expect({ value, status: run.status, stderr: run.stderr, stdout: run.stdout }).toEqual({ value, status: 0, stderr: '', stdout: 'started\n' });
      expect(readFileSync(out, 'utf8')).toBe(renderRealIpConf(entries));
    }
  });

  it('when TRUSTED_PROXIES holds a bad entry, then the entrypoint refuses to start nginx and names the entry', () => {
    // The newline cases: grep -x matches per line, so a second line once slipped past it.
    for (const bad of ['lb.example.com', '10.0.0.0/33', '0.0.0.0/0', '10.0.0.1;', '*', '10.0.0.0 /8', '10.0.0.1\n0.0.0.0/0;#', '10.0.0.1\n10.0.0.2']) {
      const out = path.join(dir, 'refused.conf');
      writeFileSync(out, 'untouched\n');
      const run = runEntrypoint(`192.0.2.7,${bad}`, out);
      expect({ bad, status: run.status, started: run.stdout.includes('started') }).toEqual({ bad, status: 64, started: false });
      expect(run.stderr).toContain(`TRUSTED_PROXIES: "${bad}"`);
      expect(readFileSync(out, 'utf8')).toBe('untouched\n');
    }
  });

  it('when the image is built, then the entrypoint is installed, renders the default at build time and runs before nginx', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'nginx', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY nginx/docker-entrypoint.sh /usr/local/bin/shop-nginx-entrypoint');
    expect(dockerfile).toMatch(/^RUN .*TRUSTED_PROXIES= \/usr\/local\/bin\/shop-nginx-entrypoint true$/m);
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/local/bin/shop-nginx-entrypoint"]');
    expect(dockerfile).toContain('CMD ["nginx", "-g", "daemon off;"]');
    expect(readFileSync(entrypoint, 'utf8')).toContain(`conf="\${REAL_IP_CONF:-${DOCKER_REAL_IP_CONF}}"`);
  });
});

describe('docker-compose.yml', () => {
  const emptyEnv = path.join(dir, 'empty.env');
  writeFileSync(emptyEnv, '');

  /** The nginx service's environment in `docker-compose config` (the file as docker-compose resolves it). */
  function nginxEnvironment(trustedProxies: string | undefined): Record<string, string> {
    const env: NodeJS.ProcessEnv = { ...process.env, JWT_SECRET: 'compose-check-'.padEnd(40, '0') };
    delete env.TRUSTED_PROXIES;
    if (trustedProxies !== undefined) env.TRUSTED_PROXIES = trustedProxies;
    const run = spawnSync('docker-compose', ['--env-file', emptyEnv, '-f', path.join(repoRoot, 'docker-compose.yml'), 'config'], { encoding: 'utf8', env });
    expect(run.error).toBeUndefined();
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 0, stderr: '' });
    const service = /^ {2}nginx:\n((?: {4}.*\n|\n)*)/m.exec(run.stdout)?.[1] ?? '';
    const environment = /^ {4}environment:\n((?: {6}.*\n)*)/m.exec(service)?.[1] ?? '';
    return Object.fromEntries(
      environment
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const [key, ...rest] = line.trim().split(': ');
          return [key!, rest.join(': ').replace(/^'(.*)'$/, '$1')];
        }),
    );
  }

  it('when TRUSTED_PROXIES is set, then the nginx service passes it to the container', () => {
    expect(nginxEnvironment('10.0.0.0/8,192.0.2.7')).toEqual({ TRUSTED_PROXIES: '10.0.0.0/8,192.0.2.7' });
  });

  it('when TRUSTED_PROXIES is not set, then the nginx service passes it empty (no load balancer trusted)', () => {
    expect(nginxEnvironment(undefined)).toEqual({ TRUSTED_PROXIES: '' });
  });
});
