import { schema, type MessageValue } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilterFactory } from '../http-filter.js';
import { createHcmStats } from '../stats.js';
import { RouterFilter } from './router-filter.js';

const NOT_YET = 'not implemented by nodevoy yet';

const routerSchema = schema.message(
  'envoy.extensions.filters.http.router.v3.Router',
  {
    dynamic_stats: schema.bool(),
    start_child_span: schema.bool(),
    suppress_envoy_headers: schema.bool(),
    strict_check_headers: schema.repeated(schema.string()),
    respect_expected_rq_timeout: schema.bool(),
    suppress_grpc_request_failure_code_stats: schema.bool(),
    reject_connect_request_early_data: schema.bool(),
  },
  { unsupported: { upstream_log: NOT_YET, upstream_log_options: NOT_YET, upstream_http_filters: NOT_YET } },
);

export type RouterConfig = MessageValue<typeof routerSchema.fields>;

/** `envoy.filters.http.router`: the terminal HTTP filter that forwards to the route's cluster. */
export const routerFilter: HttpFilterFactory<RouterConfig> = {
  name: 'envoy.filters.http.router',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'],
  configSchema: routerSchema,
  isTerminalFilter: true,
  createFilterFactory(_config, factory, statsScope) {
    const context = { factory, stats: createHcmStats(statsScope) };
    return (addFilter) => addFilter(new RouterFilter(context));
  },
};
