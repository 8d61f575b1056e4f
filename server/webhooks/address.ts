/**
 * Where webhooks may be sent: not to private, loopback, link-local or other
 * internal addresses (a subscription must not make the server reach inside
 * its own network), unless the host is listed in LEADFLOW_WEBHOOK_ALLOW_HOSTS
 * (comma-separated host names or addresses).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

/** Hosts allowed despite an internal address, from LEADFLOW_WEBHOOK_ALLOW_HOSTS. */
export function allowedHosts(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    (env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] ?? '')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Whether an IP address is internal (private, loopback, link-local, reserved). */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return internal.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host as written (brackets of an IPv6 literal removed), lower-case. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Why a URL may not receive webhooks, or null when it may: it must be http(s),
 * and every address its host resolves to must be public unless the host is
 * allowed. Checked when a subscription is made and again before each send (a
 * name may resolve elsewhere later).
 */
export async function refusalOf(target: string, allowed: ReadonlySet<string>): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = hostOf(url);
  if (allowed.has(host)) return null;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    return `host "${host}" does not resolve`;
  }
  const blocked = addresses.find(isInternalAddress);
  return blocked === undefined
    ? null
    : `host "${host}" is a private or loopback address (${blocked}); allow it with LEADFLOW_WEBHOOK_ALLOW_HOSTS`;
}
