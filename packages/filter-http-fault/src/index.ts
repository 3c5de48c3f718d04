import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, perFilterConfig, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { httpFaultSchema, type HttpFaultConfig } from './fault-config.js';
import { FaultFilter, FaultSettings, FaultStats } from './fault-filter.js';

const NAME = 'envoy.filters.http.fault';
const TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** `envoy.filters.http.fault`. */
export const httpFault: HttpFilterFactory<HttpFaultConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema: httpFaultSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope, filterConfigName) {
    const settings = new FaultSettings(config);
    const stats = new FaultStats(statsScope);
    const routeSettings = (callbacks: Parameters<typeof perFilterConfig>[0]) => perFilterConfig<FaultSettings>(callbacks, filterConfigName);
    return (addFilter) => addFilter(new FaultFilter(settings, stats, context.server.runtime, routeSettings));
  },
};

/** The same message in typed_per_filter_config: the route's faults replace the filter's. */
export const httpFaultRouteConfig: HttpFilterRouteConfigFactory<HttpFaultConfig, FaultSettings> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema: httpFaultSchema,
  createRouteSpecificFilterConfig: (config) => new FaultSettings(config),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpFault).add(httpFaultRouteConfig);
  },
};
