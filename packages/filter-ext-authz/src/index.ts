import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { extAuthzPerRouteSchema, httpExtAuthzSchema, type ExtAuthzPerRouteConfig, type HttpExtAuthzConfig } from './config.js';
import { GrpcAuthzClient } from './grpc-authz-client.js';
import { HttpAuthzClient } from './http-authz-client.js';
import { HttpExtAuthzFilter } from './http-ext-authz.js';
import { listMatcher } from './list-matcher.js';
import { networkExtAuthz } from './network-ext-authz.js';
import { ExtAuthzStats } from './stats.js';

const NAME = 'envoy.filters.http.ext_authz';

/** What an HTTP service always gets, whatever `allowed_headers` says (Envoy's defaults). */
const HTTP_SERVICE_HEADERS = ['authorization', ':method', ':path', ':authority'];

/**
 * Which request headers go to the service: for a gRPC service every header (or those
 * `allowed_headers` lists); for an HTTP service the method, path, host and `authorization`
 * plus those it lists; never those `disallowed_headers` lists.
 */
function headersSent(config: HttpExtAuthzConfig): (name: string) => boolean {
  const allowed = config.allowed_headers ?? config.http_service?.authorization_request?.allowed_headers;
  const allows = config.http_service ? listMatcher(allowed, HTTP_SERVICE_HEADERS) : allowed ? listMatcher(allowed) : () => true;
  const disallows = listMatcher(config.disallowed_headers);
  return (name) => allows(name) && !disallows(name);
}

/** `envoy.filters.http.ext_authz`. */
export const httpExtAuthz: HttpFilterFactory<HttpExtAuthzConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'],
  configSchema: httpExtAuthzSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope, filterConfigName) {
    const server = context.server;
    const client = config.http_service ? new HttpAuthzClient(config.http_service) : new GrpcAuthzClient(config.grpc_service!, server);
    const settings = { config, client, server, runtime: server.runtime, stats: new ExtAuthzStats(statsScope, config.stat_prefix), sendsHeader: headersSent(config), filterConfigName };
    return (addFilter) => addFilter(new HttpExtAuthzFilter(settings));
  },
};

/** `ExtAuthzPerRoute`: the filter off for a route, or the context extensions and body settings of its checks. */
export const httpExtAuthzRouteConfig: HttpFilterRouteConfigFactory<ExtAuthzPerRouteConfig, ExtAuthzPerRouteConfig> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute'],
  configSchema: extAuthzPerRouteSchema,
  createRouteSpecificFilterConfig: (config) => config,
};

export { networkExtAuthz };

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpExtAuthz).add(httpExtAuthzRouteConfig).add(networkExtAuthz);
  },
};
