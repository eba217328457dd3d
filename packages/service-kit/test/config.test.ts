import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseConfigFields, DEV_JWT_SECRET, loadConfig, parseProxyList, portSetting, withSecrets } from '../src/index.ts';

const schema = z.object({ ...baseConfigFields, PORT: portSetting(3001) }).transform(withSecrets);

/** The thrown message, so a test can assert on every variable it names. */
function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('when the environment is empty, then every default is applied', () => {
    const config = loadConfig(schema, {});
    expect(config).toEqual({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MONGODB_DB: 'shop',
      MONGODB_POOL_SIZE: 10,
      MONGODB_SOCKET_TIMEOUT_MS: 5_000,
      REQUEST_DEADLINE_MS: 8_000,
      SHUTDOWN_DRAIN_MS: 0,
      CACHE_FAST_LANE: 'on',
      ACCESS_LOG_HIT_SAMPLE: 100,
      CACHE_PREFIX: 'cache:',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_COMMAND_TIMEOUT_MS: 250,
      JWT_SECRET: DEV_JWT_SECRET,
      RATE_LIMIT_WINDOW_MS: 60_000,
      RATE_LIMIT_MAX: 1_200,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      TRUSTED_PROXIES: [],
      EDGE_PROXIES: ['127.0.0.0/8', '::1/128'],
      EDGE_PURGE_URLS: [],
      PORT: 3001,
    });
    expect(config.MONGODB_URI).toBeUndefined();
  });

  it('when numbers come as strings, then they are coerced to numbers', () => {
    const config = loadConfig(schema, { PORT: '8080', MONGODB_POOL_SIZE: '25', RATE_LIMIT_MAX: '5' });
    expect(config.PORT).toBe(8080);
    expect(config.MONGODB_POOL_SIZE).toBe(25);
    expect(config.RATE_LIMIT_MAX).toBe(5);
  });

  it('when several variables are bad, then one Error names every one of them', () => {
    const message = configError({
      MONGODB_POOL_SIZE: 'abc',
      REDIS_URL: 'http://x',
      PORT: '70000',
      LOG_LEVEL: 'loud',
      MONGODB_URI: 'postgres://db',
    });
    expect(message).toMatch(/^Invalid configuration:/);
    for (const name of ['MONGODB_POOL_SIZE', 'REDIS_URL', 'PORT', 'LOG_LEVEL', 'MONGODB_URI']) {
      expect(message).toContain(`${name}:`);
    }
    expect(message).toContain('must start with redis:// or rediss://');
    expect(message).not.toContain('JWT_SECRET');
  });

  it('when a pool size is out of range, then it is refused rather than clamped', () => {
    expect(configError({ MONGODB_POOL_SIZE: '0' })).toContain('MONGODB_POOL_SIZE:');
    expect(configError({ MONGODB_POOL_SIZE: '201' })).toContain('MONGODB_POOL_SIZE:');
  });

  it('when NODE_ENV=production has no JWT_SECRET, then loading throws naming JWT_SECRET', () => {
    const message = configError({ NODE_ENV: 'production' });
    expect(message).toContain('JWT_SECRET: is required when NODE_ENV=production');
  });

  it('when the JWT_SECRET is shorter than 32 characters, then loading throws naming JWT_SECRET', () => {
    expect(configError({ NODE_ENV: 'production', JWT_SECRET: 'short-secret' })).toContain(
      'JWT_SECRET: must be at least 32 characters',
    );
  });

  it('when NODE_ENV=production has a 32+ character secret, then that secret is used', () => {
    const secret = 'p'.repeat(32);
    const config = loadConfig(schema, { NODE_ENV: 'production', JWT_SECRET: secret });
    expect(config.NODE_ENV).toBe('production');
    expect(config.JWT_SECRET).toBe(secret);
  });

  it('when not in production and no secret is set, then the dev default secret is used', () => {
    expect(loadConfig(schema, { NODE_ENV: 'test' }).JWT_SECRET).toBe(DEV_JWT_SECRET);
    expect(loadConfig(schema, { NODE_ENV: 'development' }).JWT_SECRET).toBe(DEV_JWT_SECRET);
  });

  it('when NODE_ENV is not a known value, then loading throws naming NODE_ENV', () => {
    expect(configError({ NODE_ENV: 'staging' })).toContain('NODE_ENV:');
  });

  it('when a port is empty or not a number, then loading throws naming it instead of picking a random port', () => {
    expect(configError({ PORT: '' })).toContain('PORT:');
    expect(configError({ PORT: 'http' })).toContain('PORT:');
    expect(configError({ PORT: '70000' })).toContain('PORT:');
    expect(loadConfig(schema, { PORT: '0' }).PORT).toBe(0);
  });

  it('when the host is not loopback and no JWT_SECRET is set, then loading throws (the dev secret is public)', () => {
    expect(configError({ HOST: '0.0.0.0' })).toContain('JWT_SECRET:');
    expect(loadConfig(schema, { HOST: '0.0.0.0', JWT_SECRET: 'x'.repeat(32) }).HOST).toBe('0.0.0.0');
    expect(loadConfig(schema, { HOST: 'localhost' }).JWT_SECRET).toBe(DEV_JWT_SECRET);
  });
});

describe('EDGE_PURGE_URLS', () => {
  it('when it lists nginx base URLs with spaces and blanks, then the config holds each trimmed', () => {
    expect(loadConfig(schema, { EDGE_PURGE_URLS: ' http://127.0.0.1:8080 ,, https://edge-2.internal/ ' }).EDGE_PURGE_URLS).toEqual(['http://127.0.0.1:8080', 'https://edge-2.internal/']);
  });

  it('when an entry is not a bare http(s) base URL, then loading throws naming the variable', () => {
    for (const bad of ['127.0.0.1:8080', 'ftp://x', 'http://x/purge', 'http://x?y=1']) {
      expect(configError({ EDGE_PURGE_URLS: bad })).toContain('EDGE_PURGE_URLS');
    }
  });
});

describe('TRUSTED_PROXIES and EDGE_PROXIES', () => {
  it('when TRUSTED_PROXIES lists addresses and ranges with spaces and blanks, then the config holds each entry once trimmed', () => {
    const config = loadConfig(schema, { TRUSTED_PROXIES: ' 10.0.0.0/8, 192.0.2.7 ,, 2001:db8::/48 ', EDGE_PROXIES: '172.28.0.11' });
    expect(config.TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.0.2.7', '2001:db8::/48']);
    expect(config.EDGE_PROXIES).toEqual(['172.28.0.11']);
  });

  it('when EDGE_PROXIES is set empty, then no hop is trusted (not the loopback default)', () => {
    expect(loadConfig(schema, { EDGE_PROXIES: '' }).EDGE_PROXIES).toEqual([]);
    expect(loadConfig(schema, { TRUSTED_PROXIES: '' }).TRUSTED_PROXIES).toEqual([]);
  });

  it('when an entry is not an IP address or CIDR range, then loading throws naming the variable and every bad entry', () => {
    const message = configError({ TRUSTED_PROXIES: 'lb.example.com,10.0.0.0/33,10.1.0.0/16,fe80::1%eth0', EDGE_PROXIES: 'nginx' });
    expect(message).toContain('TRUSTED_PROXIES: "lb.example.com" is not an IP address or CIDR range');
    expect(message).toContain('TRUSTED_PROXIES: "10.0.0.0/33": the prefix length must be a number from 1 to 32');
    expect(message).toContain('TRUSTED_PROXIES: "fe80::1%eth0" is not an IP address or CIDR range');
    expect(message).toContain('EDGE_PROXIES: "nginx" is not an IP address or CIDR range');
    expect(message).not.toContain('10.1.0.0/16');
  });

  it('when a range would cover every address (/0), then loading throws instead of letting every client choose its address', () => {
    expect(configError({ TRUSTED_PROXIES: '0.0.0.0/0' })).toContain('TRUSTED_PROXIES: "0.0.0.0/0" would let every client choose its own address');
    expect(configError({ TRUSTED_PROXIES: '::/0' })).toContain('TRUSTED_PROXIES: "::/0" would let every client choose its own address');
  });

  it('when parseProxyList meets a bad entry, then it throws naming the variable (the nginx renderer uses it)', () => {
    expect(parseProxyList(' 10.0.0.5 , ::1/128')).toEqual(['10.0.0.5', '::1/128']);
    expect(parseProxyList(undefined)).toEqual([]);
    expect(() => parseProxyList('10.0.0.5,not-an-ip')).toThrow('TRUSTED_PROXIES: "not-an-ip" is not an IP address or CIDR range');
  });
});
