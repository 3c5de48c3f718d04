import type { DiscoveredHost } from '../registry/types.js';
import type { Host, HostHealthFlag, HostStats } from './types.js';

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

/**
 * A discovered endpoint plus the per-host counters `/clusters` shows. A host that survives a
 * discovery refresh (DNS, EDS) keeps its counters and its health flags, as in Envoy.
 */
export function createHost(discovered: DiscoveredHost, previous?: Host): Host {
  return { ...discovered, stats: previous?.stats ?? newHostStats(), healthFlags: previous?.healthFlags ?? new Set<HostHealthFlag>() };
}

/** Flags that take a host out of load balancing (Envoy's coarse health "unhealthy"). */
const UNHEALTHY_FLAGS: readonly HostHealthFlag[] = ['failed_active_hc', 'failed_outlier_check'];

/**
 * Healthy for load balancing: EDS says HEALTHY or UNKNOWN (no opinion), and neither an active
 * health check nor outlier detection failed it.
 */
export function isHealthy(host: Host): boolean {
  if (host.health !== 'HEALTHY' && host.health !== 'UNKNOWN') return false;
  if (host.healthFlags.size === 0) return true;
  return !UNHEALTHY_FLAGS.some((flag) => host.healthFlags.has(flag));
}

/** `/clusters`' `health_flags`: `healthy`, or each flag as `/name`, in Envoy's `healthFlagsToString` order. */
export function healthFlagsText(host: Host): string {
  const flags = host.healthFlags;
  const parts: string[] = [];
  const add = (set: boolean, name: string) => set && parts.push(name);
  add(flags.has('failed_active_hc'), 'failed_active_hc');
  add(flags.has('failed_outlier_check'), 'failed_outlier_check');
  add(host.health === 'UNHEALTHY', 'failed_eds_health');
  add(flags.has('degraded_active_hc'), 'degraded_active_hc');
  add(host.health === 'DEGRADED', 'degraded_eds_health');
  add(host.health === 'DRAINING', 'pending_dynamic_removal');
  add(flags.has('excluded_via_immediate_hc_fail'), 'excluded_via_immediate_hc_fail');
  add(flags.has('active_hc_timeout'), 'active_hc_timeout');
  add(host.health === 'TIMEOUT', 'eds_health_timeout');
  return parts.length === 0 ? 'healthy' : parts.map((p) => `/${p}`).join('');
}
