import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { commaList } from './comma-list.ts';

/**
 * Who may name the client in `X-Forwarded-For` (decision 0017). Both lists hold IP addresses and
 * CIDR ranges; the service config reads them from EDGE_PROXIES and TRUSTED_PROXIES.
 */
export interface ProxySettings {
  /** Where nginx connects to the services from. Default loopback: nginx on the same host. */
  EDGE_PROXIES: readonly string[];
  /** Front load balancers in front of nginx. Default none. */
  TRUSTED_PROXIES: readonly string[];
}

/** EDGE_PROXIES' default: the loopback ranges, where the local stack's nginx connects from. */
export const LOOPBACK_PROXIES = '127.0.0.0/8,::1/128';

/** Why `entry` is not an IP address or CIDR range a proxy list may hold; undefined when it is one. */
export function proxyEntryProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  // isIP accepts an IPv6 zone (fe80::1%eth0); nginx's set_real_ip_from does not.
  const version = address.includes('%') ? 0 : isIP(address);
  if (version === 0) return `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/16, 2001:db8::/48)`;
  if (slash === -1) return undefined;
  const bits = entry.slice(slash + 1);
  const max = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}": the prefix length must be a number from 1 to ${max}`;
  if (Number(bits) === 0) return `"${entry}" would let every client choose its own address: list the proxies themselves`;
  return undefined;
}

/** A comma-separated list split into its entries (blanks dropped) and the problems of the bad ones. */
export function splitProxyList(value: string | undefined): { entries: string[]; problems: string[] } {
  const entries = commaList(value);
  const problems = entries.map(proxyEntryProblem).filter((problem): problem is string => problem !== undefined);
  return { entries, problems };
}

/** The entries of a comma-separated IP/CIDR list; throws one error naming every bad entry. */
export function parseProxyList(value: string | undefined, name = 'TRUSTED_PROXIES'): string[] {
  const { entries, problems } = splitProxyList(value);
  if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')}`);
  return entries;
}

/** A config field: a comma-separated IP/CIDR list (default `fallback`) parsed into its entries. */
export const proxyListSetting = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const { entries, problems } = splitProxyList(value);
      for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem });
      return entries;
    });

/**
 * Express' `trust proxy` value: every listed hop. An empty list trusts none (like `false`); the
 * fast lane reads the compiled function Express makes of it, so both see the same client.
 */
export function trustProxySetting(settings: ProxySettings): string[] {
  return [...settings.EDGE_PROXIES, ...settings.TRUSTED_PROXIES];
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms (::ffff:127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const version = isIP(address);
  return version !== 0 && loopback.check(address, version === 4 ? 'ipv4' : 'ipv6');
}
