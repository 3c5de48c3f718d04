import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { grpcStatsConfigSchema, type GrpcStatsConfig } from './config.js';
import { GrpcStatsFilter, type MethodStats } from './grpc-stats-filter.js';

/** `envoy.filters.http.grpc_stats`. */
export const httpGrpcStats: HttpFilterFactory<GrpcStatsConfig> = {
  name: 'envoy.filters.http.grpc_stats',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig'],
  configSchema: grpcStatsConfigSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const methodStats: MethodStats = {
      all: config.stats_for_all_methods ?? false,
      allowed: new Map((config.individual_method_stats_allowlist?.services ?? []).map((service) => [service.name, new Set(service.method_names)])),
    };
    const replaceDots = config.replace_dots_in_grpc_service_name ?? false;
    return (addFilter) => addFilter(new GrpcStatsFilter(context.server, methodStats, replaceDots));
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpGrpcStats);
  },
};
