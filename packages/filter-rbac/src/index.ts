import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, perFilterConfig, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { httpRbacPerRouteSchema, httpRbacSchema, type HttpRbacConfig, type HttpRbacPerRouteConfig } from './config.js';
import { HttpRbacFilter, HttpRbacRules } from './http-rbac.js';
import { networkRbac } from './network-rbac.js';
import { RbacStats } from './stats.js';

const NAME = 'envoy.filters.http.rbac';

/** `envoy.filters.http.rbac`. */
export const httpRbac: HttpFilterFactory<HttpRbacConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC'],
  configSchema: httpRbacSchema,
  isTerminalFilter: false,
  createFilterFactory(config, _context, statsScope, filterConfigName) {
    const rules = new HttpRbacRules(config);
    const stats = new RbacStats(statsScope, '', rules.rulesPrefix, rules.shadowRulesPrefix);
    const routeRules = (callbacks: Parameters<typeof perFilterConfig>[0]) => perFilterConfig<HttpRbacRules>(callbacks, filterConfigName);
    return (addFilter) => addFilter(new HttpRbacFilter(rules, stats, routeRules));
  },
};

/** `RBACPerRoute` in typed_per_filter_config: the route's own rules (none: the filter is off there). */
export const httpRbacRouteConfig: HttpFilterRouteConfigFactory<HttpRbacPerRouteConfig, HttpRbacRules> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute'],
  configSchema: httpRbacPerRouteSchema,
  createRouteSpecificFilterConfig: (config) => new HttpRbacRules(config.rbac),
};

export { networkRbac };

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpRbac).add(httpRbacRouteConfig).add(networkRbac);
  },
};
