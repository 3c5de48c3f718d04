import type { HeaderMap } from '@nodevoy/http';
import type { RedirectActionConfig } from '../config/route-config.js';
import { stripPort } from '../routing/virtual-hosts.js';

const CODES = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const;

/** The status and `location` of a route's redirect, computed as Envoy does from the request. */
export function redirectFor(config: RedirectActionConfig, headers: HeaderMap, matchedPrefix: string | undefined): { status: number; location: string } {
  const originalScheme = headers.get(':scheme') ?? 'http';
  const scheme = config.https_redirect ? 'https' : (config.scheme_redirect ?? originalScheme);
  const fullPath = headers.get(':path') ?? '/';
  const queryAt = fullPath.indexOf('?');
  let path = queryAt < 0 ? fullPath : fullPath.slice(0, queryAt);
  const query = queryAt < 0 || config.strip_query ? '' : fullPath.slice(queryAt);
  if (config.path_redirect !== undefined) path = config.path_redirect;
  else if (config.prefix_rewrite !== undefined && matchedPrefix !== undefined) path = config.prefix_rewrite + path.slice(matchedPrefix.length);
  const host = redirectHost(config, headers.get(':authority') ?? '', originalScheme, scheme);
  return { status: CODES[config.response_code ?? 'MOVED_PERMANENTLY'], location: `${scheme}://${host}${path}${query}` };
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * Envoy's host rules (checked against Envoy 1.40): `host_redirect` replaces host and port; a
 * scheme change drops the port only when it was the old scheme's default; `port_redirect`
 * replaces the port; otherwise the authority stays as sent, port included.
 */
function redirectHost(config: RedirectActionConfig, authority: string, originalScheme: string, scheme: string): string {
  let host = config.host_redirect ?? authority;
  if (config.host_redirect === undefined && scheme !== originalScheme) {
    const bare = stripPort(authority);
    if (authority.slice(bare.length + 1) === DEFAULT_PORTS[originalScheme]) host = bare;
  }
  if (config.port_redirect !== undefined) {
    const bare = stripPort(host);
    host = String(config.port_redirect) === DEFAULT_PORTS[scheme] ? bare : `${bare}:${config.port_redirect}`;
  }
  return host;
}
