import type { ClusterReference } from '@nodevoy/core';
import type { HttpConnectionManagerConfig } from '../config/hcm-config.js';
import type { RouteMatchConfig } from '../config/route-config.js';

/** The clusters a connection manager's routes send to, labelled `route <host> <match>`. */
export function clusterReferences(config: HttpConnectionManagerConfig): ClusterReference[] {
  const out: ClusterReference[] = [];
  for (const vh of config.route_config?.virtual_hosts ?? []) {
    for (const route of vh.routes ?? []) {
      const action = route.route;
      if (!action) continue;
      const via = `route ${vh.domains.join(',')} ${describeMatch(route.match)}`;
      if (action.cluster !== undefined) out.push({ cluster: action.cluster, via });
      const weighted = action.weighted_clusters?.clusters ?? [];
      const total = weighted.reduce((sum, c) => sum + (c.weight ?? 0), 0);
      for (const c of weighted) out.push({ cluster: c.name, via: `${via}, weight ${c.weight ?? 0}/${total}` });
    }
  }
  return out;
}

function describeMatch(match: RouteMatchConfig): string {
  if (match.connect_matcher) return 'CONNECT';
  if (match.path !== undefined) return `path ${match.path}`;
  if (match.safe_regex) return `regex ${match.safe_regex.regex}`;
  if (match.path_separated_prefix !== undefined) return `prefix ${match.path_separated_prefix}/`;
  return `prefix ${match.prefix ?? '/'}`;
}
