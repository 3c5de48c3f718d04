import type { FormatContext } from '@nodevoy/core';
import { stripHopByHop, type HeaderMap, type RequestHead } from '@nodevoy/http';
import type { HeaderMutation } from '@nodevoy/http';
import type { ResolvedRoute } from '../routing/route-table.js';

/**
 * The request as it goes upstream: pseudo-headers out, hop-by-hop headers out, prefix and host
 * rewrites, `x-envoy-expected-rq-timeout-ms`, and the route's header mutations.
 */
export function upstreamRequestHead(
  headers: HeaderMap,
  route: ResolvedRoute,
  clusterMutation: HeaderMutation | undefined,
  timeoutMs: number,
  context: FormatContext,
): RequestHead {
  const action = route.action;
  const upstream = headers.clone();
  for (const [name] of [...upstream]) if (name.startsWith(':')) upstream.remove(name);
  stripHopByHop(upstream);
  let path = headers.get(':path') ?? '/';
  const prefix = route.config.match.prefix;
  if (action?.prefix_rewrite !== undefined && prefix !== undefined && path.startsWith(prefix)) {
    upstream.set('x-envoy-original-path', path);
    path = action.prefix_rewrite + path.slice(prefix.length);
  }
  if (timeoutMs > 0) upstream.set('x-envoy-expected-rq-timeout-ms', String(timeoutMs));
  clusterMutation?.apply(upstream, context);
  for (const mutation of route.requestMutations) mutation.apply(upstream, context);
  return {
    method: headers.get(':method') ?? 'GET',
    path,
    authority: action?.host_rewrite_literal ?? headers.get(':authority') ?? '',
    scheme: headers.get(':scheme') ?? 'http',
    headers: upstream,
  };
}
