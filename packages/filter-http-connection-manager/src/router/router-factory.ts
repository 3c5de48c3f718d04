import { requestPassthrough, schema, type MessageValue } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilterFactory } from '../http-filter.js';
import { createHcmStats } from '../stats.js';
import { RouterFilter } from './router-filter.js';

const NOT_YET = 'not implemented by nodevoy yet';

const routerSchema = schema.message(
  'envoy.extensions.filters.http.router.v3.Router',
  {
    suppress_envoy_headers: schema.bool(),
    start_child_span: schema.bool(),
  },
  {
    // No gRPC stats, and nodevoy reads no x-envoy-* request headers: no-ops here.
    ignored: ['dynamic_stats', 'strict_check_headers', 'respect_expected_rq_timeout', 'suppress_grpc_request_failure_code_stats'],
    unsupported: {
      upstream_log: NOT_YET,
      upstream_log_options: NOT_YET,
      upstream_http_filters: NOT_YET,
      reject_connect_request_early_data: NOT_YET,
    },
  },
);

export type RouterConfig = MessageValue<typeof routerSchema.fields>;

/** `envoy.filters.http.router`: the terminal HTTP filter that forwards to the route's cluster. */
export const routerFilter: HttpFilterFactory<RouterConfig> = {
  name: 'envoy.filters.http.router',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'],
  configSchema: routerSchema,
  isTerminalFilter: true,
  createFilterFactory(config, factory, statsScope) {
    const context = {
      factory,
      stats: createHcmStats(statsScope),
      suppressEnvoyHeaders: config.suppress_envoy_headers ?? false,
      startChildSpan: config.start_child_span ?? false,
      passthrough: requestPassthrough(factory.server.services),
    };
    return (addFilter) => addFilter(new RouterFilter(context));
  },
};
