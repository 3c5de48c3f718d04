import type { UpstreamCluster } from '@nodevoy/core';

/**
 * Envoy's `chargeResponseStat`: an upstream answer (or a local one in its place) counted in the
 * cluster's `upstream_rq_<code>`, `upstream_rq_<class>xx` and `upstream_rq_completed`.
 */
export function countUpstreamResponse(cluster: UpstreamCluster, status: number): void {
  const scope = cluster.info.statsScope;
  scope.counter(`upstream_rq_${status}`).inc();
  scope.counter(`upstream_rq_${Math.floor(status / 100)}xx`).inc();
  cluster.info.stats.upstream_rq_completed.inc();
}
