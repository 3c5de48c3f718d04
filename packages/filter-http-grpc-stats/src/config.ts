import { schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, repeated, required } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const grpcStatsConfigSchema = message(
  'envoy.extensions.filters.http.grpc_stats.v3.FilterConfig',
  {
    individual_method_stats_allowlist: message('envoy.config.core.v3.GrpcMethodList', {
      services: repeated(
        message('envoy.config.core.v3.GrpcMethodList.Service', {
          name: required(string({ minLen: 1 })),
          method_names: required(repeated(string({ minLen: 1 }), { minItems: 1 })),
        }),
      ),
    }),
    stats_for_all_methods: bool(),
    replace_dots_in_grpc_service_name: bool(),
  },
  {
    oneofs: [{ fields: ['individual_method_stats_allowlist', 'stats_for_all_methods'] }],
    unsupported: { emit_filter_state: NOT_YET, enable_upstream_stats: NOT_YET },
  },
);
export type GrpcStatsConfig = MessageValue<typeof grpcStatsConfigSchema.fields>;
