import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, headerMatcher, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { healthCheckSchema, type HealthCheckConfig } from './config.js';
import { HealthCheckCache, HealthCheckFilter, type HealthCheckStats } from './health-check-filter.js';

const STATS = ['request_total', 'ok', 'failed', 'cached_response', 'degraded', 'failed_cluster_not_found', 'failed_cluster_empty', 'failed_cluster_unhealthy'] as const;

/** `envoy.filters.http.health_check`, with `http.<prefix>.health_check.*` stats as Envoy's. */
export const httpHealthCheck: HttpFilterFactory<HealthCheckConfig> = {
  name: 'envoy.filters.http.health_check',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck'],
  configSchema: healthCheckSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope) {
    const server = context.server;
    const matchers = (config.headers ?? []).map(headerMatcher);
    const settings = {
      passThrough: config.pass_through_mode,
      matches: (headers: Parameters<(typeof matchers)[number]>[0]) => matchers.every((match) => match(headers)),
      // Envoy keeps answers only in pass-through mode, for a cache_time above zero.
      cache: config.pass_through_mode && (config.cache_time ?? 0) > 0 ? new HealthCheckCache(config.cache_time as number) : undefined,
      clusterMinHealthyPercentages: Object.entries(config.cluster_min_healthy_percentages ?? {}).map(([name, percent]) => [name, percent.value ?? 0] as const),
      stats: Object.fromEntries(STATS.map((name) => [name, statsScope.counter(`health_check.${name}`)])) as unknown as HealthCheckStats,
      server,
      localCluster: server.bootstrap.node?.cluster ?? '',
    };
    return (addFilter) => addFilter(new HealthCheckFilter(settings));
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpHealthCheck);
  },
};
