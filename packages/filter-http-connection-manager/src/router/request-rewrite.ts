import type { FormatContext, Host } from '@nodevoy/core';
import { stripHopByHopKeepingUpgrade, type HeaderMap, type RequestHead } from '@nodevoy/http';
import type { HeaderMutation } from '@nodevoy/http';
import type { ResolvedRoute } from '../routing/route-table.js';

/** How the router forwards one request. */
export interface ForwardingOptions {
  /** The route timeout; 0 is none. */
  readonly timeoutMs: number;
  /** The retry policy's `per_try_idle_timeout`: an attempt that moves no byte for this long ends; 0 is none. */
  readonly perTryIdleTimeoutMs?: number;
  /** False with the router's `suppress_envoy_headers`. */
  readonly envoyHeaders: boolean;
  readonly formatContext: FormatContext;
}

/**
 * The request as it goes upstream: pseudo-headers out, hop-by-hop headers out (an upgrade's
 * own kept: the connection manager let only allowed ones this far), prefix and host
 * rewrites, `x-envoy-expected-rq-timeout-ms`, and the route's header mutations.
 */
export function upstreamRequestHead(
  headers: HeaderMap,
  route: ResolvedRoute,
  host: Host,
  clusterMutation: HeaderMutation | undefined,
  { timeoutMs, envoyHeaders, formatContext: context }: ForwardingOptions,
): RequestHead {
  const action = route.action;
  const upstream = headers.clone();
  for (const [name] of [...upstream]) if (name.startsWith(':')) upstream.remove(name);
  stripHopByHopKeepingUpgrade(upstream);
  let path = headers.get(':path') ?? '/';
  const prefix = route.config.match.prefix;
  if (action?.prefix_rewrite !== undefined && prefix !== undefined && path.startsWith(prefix)) {
    if (envoyHeaders) upstream.set('x-envoy-original-path', path);
    path = action.prefix_rewrite + path.slice(prefix.length);
  }
  if (timeoutMs > 0 && envoyHeaders) upstream.set('x-envoy-expected-rq-timeout-ms', String(timeoutMs));
  clusterMutation?.apply(upstream, context);
  for (const mutation of route.requestMutations) mutation.apply(upstream, context);
  const original = headers.get(':authority') ?? '';
  const authority = rewrittenAuthority(headers, route, host);
  if (authority !== original && envoyHeaders) upstream.set('x-envoy-original-host', original);
  return {
    method: headers.get(':method') ?? 'GET',
    path,
    authority,
    scheme: headers.get(':scheme') ?? 'http',
    headers: upstream,
  };
}

/** `host_rewrite_literal`, or `auto_host_rewrite` (the chosen host's hostname, if it has one). */
function rewrittenAuthority(headers: HeaderMap, route: ResolvedRoute, host: Host): string {
  const action = route.action;
  if (action?.host_rewrite_literal !== undefined) return action.host_rewrite_literal;
  if (action?.auto_host_rewrite && host.hostname) return host.hostname;
  return headers.get(':authority') ?? '';
}
