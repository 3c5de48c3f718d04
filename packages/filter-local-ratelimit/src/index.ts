import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, perFilterConfig, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { HttpLocalRateLimit, HttpLocalRateLimitFilter, httpLocalRateLimitRouteSchema, httpLocalRateLimitSchema, type HttpLocalRateLimitConfig } from './http-local-ratelimit.js';
import { networkLocalRateLimit } from './network-local-ratelimit.js';

const NAME = 'envoy.filters.http.local_ratelimit';
const TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';

/** `envoy.filters.http.local_ratelimit`. */
export const httpLocalRateLimit: HttpFilterFactory<HttpLocalRateLimitConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema: httpLocalRateLimitSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, _statsScope, filterConfigName) {
    const compiled = new HttpLocalRateLimit(config, context.server.runtime, context.server.stats.scope(''));
    const routeConfig = (callbacks: Parameters<typeof perFilterConfig>[0]) => perFilterConfig<HttpLocalRateLimit>(callbacks, filterConfigName);
    return (addFilter) => addFilter(new HttpLocalRateLimitFilter(compiled, routeConfig));
  },
};

/** The same message in typed_per_filter_config: a route's own limit, which needs its own token bucket. */
export const httpLocalRateLimitRouteConfig: HttpFilterRouteConfigFactory<HttpLocalRateLimitConfig, HttpLocalRateLimit> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema: httpLocalRateLimitRouteSchema,
  createRouteSpecificFilterConfig: (config, context) => new HttpLocalRateLimit(config, context.server.runtime, context.server.stats.scope('')),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpLocalRateLimit).add(httpLocalRateLimitRouteConfig).add(networkLocalRateLimit);
  },
};
