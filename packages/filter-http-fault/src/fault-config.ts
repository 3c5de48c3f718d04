import { fractionalPercentSchema, schema, type MessageValue } from '@nodevoy/core';
import { headerMatcherSchema } from '@nodevoy/filter-http-connection-manager';

const { message, string, uint32, bool, repeated, duration, empty, struct } = schema;
const NOT_YET = 'not implemented by nodevoy yet';

const delaySchema = message(
  'envoy.extensions.filters.common.fault.v3.FaultDelay',
  { fixed_delay: duration(), header_delay: empty('envoy.extensions.filters.common.fault.v3.FaultDelay.HeaderDelay'), percentage: fractionalPercentSchema },
  { oneofs: [{ fields: ['fixed_delay', 'header_delay'], required: true }] },
);

const abortSchema = message(
  'envoy.extensions.filters.http.fault.v3.FaultAbort',
  {
    http_status: uint32({ gte: 200, lt: 600 }),
    header_abort: empty('envoy.extensions.filters.http.fault.v3.FaultAbort.HeaderAbort'),
    percentage: fractionalPercentSchema,
  },
  { oneofs: [{ fields: ['http_status', 'header_abort'], required: true }], unsupported: { grpc_status: NOT_YET } },
);

/** `envoy.extensions.filters.http.fault.v3.HTTPFault`, in http_filters and typed_per_filter_config. */
export const httpFaultSchema = message(
  'envoy.extensions.filters.http.fault.v3.HTTPFault',
  {
    delay: delaySchema,
    abort: abortSchema,
    upstream_cluster: string(),
    headers: repeated(headerMatcherSchema),
    downstream_nodes: repeated(string()),
    max_active_faults: uint32(),
    delay_percent_runtime: string(),
    abort_percent_runtime: string(),
    delay_duration_runtime: string(),
    abort_http_status_runtime: string(),
    max_active_faults_runtime: string(),
    disable_downstream_cluster_stats: bool(),
    filter_metadata: struct(),
  },
  { unsupported: { response_rate_limit: NOT_YET, response_rate_limit_percent_runtime: NOT_YET, abort_grpc_status_runtime: NOT_YET } },
);
export type HttpFaultConfig = MessageValue<typeof httpFaultSchema.fields>;
