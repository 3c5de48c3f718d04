import type { DiscoveredHost } from '../registry/types.js';
import type { Host, HostStats } from './types.js';

function newHostStats(): HostStats {
  return {
    cx_total: 0,
    cx_active: 0,
    cx_connect_fail: 0,
    rq_total: 0,
    rq_active: 0,
    rq_error: 0,
    rq_success: 0,
    rq_timeout: 0,
    rq_pending_active: 0,
  };
}

/** A discovered endpoint plus the per-host counters `/clusters` shows. */
export function createHost(discovered: DiscoveredHost, previous?: Host): Host {
  // A host that survives a DNS refresh keeps its counters, as in Envoy.
  return { ...discovered, stats: previous?.stats ?? newHostStats() };
}

/** Healthy for load balancing: Envoy routes to HEALTHY and UNKNOWN (no health checker) hosts. */
export function isHealthy(host: Host): boolean {
  return host.health === 'HEALTHY' || host.health === 'UNKNOWN';
}
