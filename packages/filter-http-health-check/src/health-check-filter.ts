import type { Counter, ServerContext } from '@nodevoy/core';
import type { DecoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';

/** Envoy's response code details of the filter's answers. */
const DETAILS = {
  ok: 'health_check_ok',
  failed: 'health_check_failed',
  cached: 'health_check_cached',
  noCluster: 'health_check_failed_no_cluster_found',
  clusterEmpty: 'health_check_failed_cluster_empty',
  clusterHealthy: 'health_check_ok_cluster_healthy',
  clusterUnhealthy: 'health_check_failed_cluster_unhealthy',
} as const;

export interface HealthCheckStats {
  readonly request_total: Counter;
  readonly ok: Counter;
  readonly failed: Counter;
  readonly cached_response: Counter;
  readonly degraded: Counter;
  readonly failed_cluster_not_found: Counter;
  readonly failed_cluster_empty: Counter;
  readonly failed_cluster_unhealthy: Counter;
}

/** The last answer to a health check that went through (pass-through mode with `cache_time`), kept for `cache_time`. */
export class HealthCheckCache {
  private cached: { readonly status: number; readonly degraded: boolean; readonly expiresAt: number } | undefined;

  constructor(private readonly cacheTimeMs: number) {}

  get current(): { readonly status: number; readonly degraded: boolean } | undefined {
    return this.cached !== undefined && performance.now() < this.cached.expiresAt ? this.cached : undefined;
  }

  remember(status: number, degraded: boolean): void {
    this.cached = { status, degraded, expiresAt: performance.now() + this.cacheTimeMs };
  }
}

/** One HealthCheck config, shared by its requests. */
export interface HealthCheckSettings {
  readonly passThrough: boolean;
  readonly matches: (headers: HeaderMap) => boolean;
  readonly cache: HealthCheckCache | undefined;
  /** Cluster name to the percentage of its hosts that must be available. */
  readonly clusterMinHealthyPercentages: readonly (readonly [string, number])[];
  readonly stats: HealthCheckStats;
  readonly server: ServerContext;
  /** The node's cluster, told in `x-envoy-upstream-healthchecked-cluster`. */
  readonly localCluster: string;
}

/**
 * `envoy.filters.http.health_check` on one request (Envoy's HealthCheckFilter): a request its
 * headers match is a health check (access logs' `not_health_check_filter` leaves it out). The
 * filter answers it itself, unless in pass-through mode where only a server that is
 * health-check-failed or a cached answer does: 200 with no body, 503 while the server is
 * failed (`/healthcheck/fail`) or a listed cluster has too few available hosts (LH). Every
 * answer to a health check names the node's cluster; every answer, while the server is failed,
 * carries `x-envoy-immediate-health-check-fail`.
 */
export class HealthCheckFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private isHealthCheck = false;
  private handling = false;

  constructor(private readonly settings: HealthCheckSettings) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterStatus {
    const settings = this.settings;
    if (settings.matches(headers)) {
      this.isHealthCheck = true;
      this.callbacks.requestInfo.healthCheck = true;
      this.handling = !settings.passThrough || settings.server.lifecycle.healthCheckFailed || settings.cache?.current !== undefined;
    }
    if (endStream && this.handling) this.answer();
    return this.handling ? 'stop' : 'continue';
  }

  decodeData(_data: Buffer, endStream: boolean): HttpFilterStatus {
    if (endStream && this.handling) this.answer();
    return this.handling ? 'stop' : 'continue';
  }

  decodeTrailers(): HttpFilterStatus {
    if (this.handling) this.answer();
    return this.handling ? 'stop' : 'continue';
  }

  encodeHeaders(headers: HeaderMap): HttpFilterStatus {
    if (this.isHealthCheck) {
      this.settings.cache?.remember(Number(headers.get(':status') ?? 0), headers.has('x-envoy-degraded'));
      headers.set('x-envoy-upstream-healthchecked-cluster', this.settings.localCluster);
    }
    // Envoy 1.40 marks every answer while the server is failed, health checks' too.
    if (this.settings.server.lifecycle.healthCheckFailed) headers.set('x-envoy-immediate-health-check-fail', 'true');
    return 'continue';
  }

  /** Envoy's onComplete: the answer, from the server's state, the cache or the clusters. */
  private answer(): void {
    const { stats, server, cache } = this.settings;
    stats.request_total.inc();
    let status = 200;
    let details: string = DETAILS.ok;
    let degraded = false;
    const cached = cache?.current;
    if (server.lifecycle.healthCheckFailed) {
      status = 503;
      details = DETAILS.failed;
    } else if (cache && cached) {
      status = cached.status;
      degraded = cached.degraded;
      details = DETAILS.cached;
      stats.cached_response.inc();
    } else {
      [status, details] = this.clusterVerdict();
    }
    if (status >= 200 && status < 300) stats.ok.inc();
    else {
      stats.failed.inc();
      this.callbacks.requestInfo.responseFlags.set('LH');
    }
    if (degraded) stats.degraded.inc();
    this.callbacks.sendLocalReply({
      status,
      details,
      ...(degraded ? { mutateHeaders: (headers: HeaderMap) => headers.set('x-envoy-degraded', '') } : {}),
    });
  }

  /** 503 when a listed cluster is missing, empty, or has fewer available (healthy or degraded) hosts than its percentage. */
  private clusterVerdict(): [number, string] {
    const { clusterMinHealthyPercentages, server, stats } = this.settings;
    let details: string = DETAILS.ok;
    for (const [name, minPercent] of clusterMinHealthyPercentages) {
      details = DETAILS.clusterHealthy;
      const cluster = server.clusterManager.getCluster(name);
      if (!cluster) {
        stats.failed_cluster_not_found.inc();
        return [503, DETAILS.noCluster];
      }
      const membership = cluster.info.stats;
      const total = membership.membership_total.value;
      if (total === 0) {
        if (Math.trunc(minPercent) === 0) continue;
        stats.failed_cluster_empty.inc();
        return [503, DETAILS.clusterEmpty];
      }
      if (100 * (membership.membership_healthy.value + membership.membership_degraded.value) < total * Math.trunc(minPercent)) {
        stats.failed_cluster_unhealthy.inc();
        return [503, DETAILS.clusterUnhealthy];
      }
    }
    return [200, details];
  }
}
