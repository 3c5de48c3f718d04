import { extensionPackage } from '@nodevoy/core';
import type { NodevoyExtension } from '@nodevoy/core';
import { extension as http } from '@nodevoy/http';
import { httpConnectionManagerFilter } from './hcm-factory.js';
import { routerFilter } from './router/router-factory.js';
import { filterConfigWrapper } from './routing/per-filter-configs.js';

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.use(http);
    registry.add(httpConnectionManagerFilter).add(routerFilter).add(filterConfigWrapper);
  },
};

export { httpConnectionManagerFilter } from './hcm-factory.js';
export { routerFilter, type RouterConfig } from './router/router-factory.js';
export {
  HTTP_FILTER_CATEGORY,
  type DecoderFilterCallbacks,
  type EncoderFilterCallbacks,
  type HttpFilter,
  type HttpFilterFactory,
  type HttpFilterFactoryCb,
  type HttpFilterResult,
  type HttpFilterStatus,
  type LocalReply,
  perFilterConfig,
  requestFormatContext,
} from './http-filter.js';
export { HTTP_FILTER_ROUTE_CONFIG_CATEGORY, type HttpFilterRouteConfigFactory } from './routing/per-filter-configs.js';
export { corsPolicySchema, type CorsPolicyConfig } from './config/cors-policy.js';
export { headerMatcherSchema, type HeaderMatcherConfig } from './config/matchers.js';
export { headerMatcher, routeMatcher } from './routing/route-matcher.js';
export { routeMatchSchema, type RouteMatchConfig } from './config/route-config.js';
export { NODE_ADDRESS } from './forwarded-for.js';
export type { ResolvedRoute } from './routing/route-table.js';
export type { RequestTracing } from './tracing/request-tracing.js';
export type { HttpConnectionManagerConfig } from './config/hcm-config.js';
