import { extensionPackage, schema, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import {
  HTTP_FILTER_CATEGORY,
  HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  corsPolicySchema,
  type CorsPolicyConfig,
  type HttpFilterFactory,
  type HttpFilterRouteConfigFactory,
} from '@nodevoy/filter-http-connection-manager';
import { CorsFilter } from './cors-filter.js';
import { compileCorsPolicy, type CorsPolicy } from './cors-policy.js';

const NAME = 'envoy.filters.http.cors';
const corsConfigSchema = schema.empty('envoy.extensions.filters.http.cors.v3.Cors');

/** `envoy.filters.http.cors`: its config is empty; the policies live on virtual hosts and routes. */
export const corsFilter: HttpFilterFactory<MessageValue<typeof corsConfigSchema.fields>> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors'],
  configSchema: corsConfigSchema,
  isTerminalFilter: false,
  createFilterFactory(_config, context, statsScope, filterConfigName) {
    const stats = { origin_valid: statsScope.counter('cors.origin_valid'), origin_invalid: statsScope.counter('cors.origin_invalid') };
    const runtime = context.server.runtime;
    return (addFilter) => addFilter(new CorsFilter(filterConfigName, stats, runtime));
  },
};

/** The cors filter's per-route config: `envoy.extensions.filters.http.cors.v3.CorsPolicy` in typed_per_filter_config. */
export const corsRouteConfig: HttpFilterRouteConfigFactory<CorsPolicyConfig, CorsPolicy> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy'],
  configSchema: corsPolicySchema('envoy.extensions.filters.http.cors.v3.CorsPolicy'),
  createRouteSpecificFilterConfig: compileCorsPolicy,
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(corsFilter).add(corsRouteConfig);
  },
};
