import type { HeaderMap } from '@nodevoy/http';
import type { RedirectActionConfig } from '../config/route-config.js';
import { stripPort } from '../routing/virtual-hosts.js';

const CODES = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const;

/** The status and `location` of a route's redirect, computed as Envoy does from the request. */
export function redirectFor(config: RedirectActionConfig, headers: HeaderMap, matchedPrefix: string | undefined): { status: number; location: string } {
  const scheme = config.https_redirect ? 'https' : (config.scheme_redirect ?? headers.get(':scheme') ?? 'http');
  const authority = headers.get(':authority') ?? '';
  let host = config.host_redirect ?? stripPort(authority);
  const originalPort = authority.slice(stripPort(authority).length + 1);
  const port = config.port_redirect ?? (config.https_redirect || config.scheme_redirect ? undefined : originalPort ? Number(originalPort) : undefined);
  if (port !== undefined && !((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443))) host = `${host}:${port}`;
  const fullPath = headers.get(':path') ?? '/';
  const queryAt = fullPath.indexOf('?');
  let path = queryAt < 0 ? fullPath : fullPath.slice(0, queryAt);
  const query = queryAt < 0 || config.strip_query ? '' : fullPath.slice(queryAt);
  if (config.path_redirect !== undefined) path = config.path_redirect;
  else if (config.prefix_rewrite !== undefined && matchedPrefix !== undefined) path = config.prefix_rewrite + path.slice(matchedPrefix.length);
  return { status: CODES[config.response_code ?? 'MOVED_PERMANENTLY'], location: `${scheme}://${host}${path}${query}` };
}
