import type { HealthCheckConfig } from '../../config/envoy/health-check.js';
import type { Runtime } from '../../runtime/runtime.js';
import { createStatsSet, type StatsScope } from '../../stats/store.js';
import type { HealthTransition } from './host-check-loop.js';

/** `cluster.<name>.health_check.*`, shared by every `health_checks` entry of a cluster as in Envoy. */
export function createHealthCheckStats(clusterScope: StatsScope) {
  return createStatsSet(clusterScope.scope('health_check'), {
    counters: ['attempt', 'success', 'failure', 'passive_failure', 'network_failure', 'verify_cluster'] as const,
    gauges: ['healthy', 'degraded'] as const,
  });
}
export type HealthCheckStats = ReturnType<typeof createHealthCheckStats>;

const DEFAULT_NO_TRAFFIC_INTERVAL_MS = 60_000;

/**
 * A `HealthCheck`'s thresholds and timing, with Envoy's defaults and interval choice: until the
 * cluster has carried traffic, `no_traffic_interval` (60 s); after that `interval`, or
 * `unhealthy_interval` for a failed host, or an edge interval while a transition is pending.
 */
export class HealthCheckPolicy {
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly initialJitterMs: number;
  private readonly intervalMs: number;
  private readonly noTrafficMs: number;
  private readonly noTrafficHealthyMs: number;
  private readonly unhealthyMs: number;
  private readonly unhealthyEdgeMs: number;
  private readonly healthyEdgeMs: number;

  constructor(
    config: HealthCheckConfig,
    readonly stats: HealthCheckStats,
    private readonly runtime: Runtime,
    /** Whether the cluster ever carried traffic (Envoy: `upstream_cx_total` or bytes used). */
    private readonly hadTraffic: () => boolean,
  ) {
    this.timeoutMs = config.timeout;
    this.intervalMs = config.interval;
    this.healthyThreshold = Math.max(1, config.healthy_threshold);
    this.unhealthyThreshold = Math.max(1, config.unhealthy_threshold);
    this.initialJitterMs = config.initial_jitter ?? 0;
    this.noTrafficMs = config.no_traffic_interval ?? DEFAULT_NO_TRAFFIC_INTERVAL_MS;
    this.noTrafficHealthyMs = config.no_traffic_healthy_interval ?? this.noTrafficMs;
    this.unhealthyMs = config.unhealthy_interval ?? this.intervalMs;
    this.unhealthyEdgeMs = config.unhealthy_edge_interval ?? this.unhealthyMs;
    this.healthyEdgeMs = config.healthy_edge_interval ?? this.intervalMs;
    this.jitterMs = config.interval_jitter ?? 0;
    this.jitterPercent = config.interval_jitter_percent ?? 0;
  }

  private readonly jitterMs: number;
  private readonly jitterPercent: number;

  /** The wait before the next check of a host in `state` after a check with `transition`. */
  interval(state: 'healthy' | 'unhealthy', transition: HealthTransition): number {
    const pending = transition === 'ChangePending';
    let base: number;
    if (this.hadTraffic()) {
      if (state === 'unhealthy') base = pending ? this.unhealthyEdgeMs : this.unhealthyMs;
      else base = pending ? this.healthyEdgeMs : this.intervalMs;
    } else {
      base = state === 'healthy' && !pending ? this.noTrafficHealthyMs : this.noTrafficMs;
    }
    return this.withJitter(base, this.jitterMs);
  }

  /** `base` plus `interval_jitter_percent` of it and up to `jitter` ms, clamped by the runtime's `health_check.min_interval`/`max_interval`. */
  withJitter(base: number, jitter: number): number {
    let ms = base;
    const percentSpan = Math.floor((this.jitterPercent * base) / 100);
    if (percentSpan > 0) ms += Math.floor(Math.random() * percentSpan);
    if (jitter > 0) ms += Math.floor(Math.random() * jitter);
    const min = this.runtime.getInteger('health_check.min_interval', 0);
    const max = this.runtime.getInteger('health_check.max_interval', Number.MAX_SAFE_INTEGER);
    return Math.max(1, min, Math.min(ms, max));
  }
}
