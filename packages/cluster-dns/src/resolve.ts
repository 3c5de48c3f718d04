import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DnsLookupFamily } from '@nodevoy/core';

/**
 * Resolves a host name to IP literals honouring Envoy's `dns_lookup_family`, through the
 * system resolver (so /etc/hosts and `localhost` work as they do for every other program).
 */
export async function resolveHost(host: string, family: DnsLookupFamily): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const all = await lookup(host, { all: true, verbatim: true });
  const v4 = all.filter((a) => a.family === 4).map((a) => a.address);
  const v6 = all.filter((a) => a.family === 6).map((a) => a.address);
  switch (family) {
    case 'V4_ONLY':
      return v4;
    case 'V6_ONLY':
      return v6;
    case 'V4_PREFERRED':
      return v4.length > 0 ? v4 : v6;
    case 'ALL':
      return [...v4, ...v6];
    case 'AUTO':
      return v6.length > 0 ? v6 : v4;
  }
}
