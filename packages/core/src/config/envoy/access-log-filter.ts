import { RESPONSE_FLAG_CODES } from '../../network/response-flags.js';
import { schema } from '../schema/index.js';
import type { FieldType } from '../schema/types.js';
import { fractionalPercentSchema } from './fractional-percent.js';

const { message, string, uint32, enumOf, bool, repeated, required } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const ACCESS_LOG_TYPES = [
  'NotSet', 'TcpUpstreamConnected', 'TcpPeriodic', 'TcpConnectionEnd', 'DownstreamStart', 'DownstreamPeriodic', 'DownstreamEnd',
  'UpstreamPoolReady', 'UpstreamPeriodic', 'UpstreamEnd', 'DownstreamTunnelSuccessfullyEstablished', 'UdpTunnelUpstreamConnected',
  'UdpPeriodic', 'UdpSessionEnd',
] as const;

const comparisonSchema = message('envoy.config.accesslog.v3.ComparisonFilter', {
  op: enumOf('envoy.config.accesslog.v3.ComparisonFilter.Op', ['EQ', 'GE', 'LE', 'NE'] as const),
  value: required(message('envoy.config.core.v3.RuntimeUInt32', { default_value: uint32(), runtime_key: required(string({ minLen: 1 })) })),
});


export interface ComparisonConfig {
  readonly op?: 'EQ' | 'GE' | 'LE' | 'NE';
  readonly value: { readonly default_value?: number; readonly runtime_key: string };
}

/** One `envoy.config.accesslog.v3.AccessLogFilter`: exactly one of these is set. */
export interface AccessLogFilterConfig {
  readonly status_code_filter?: { readonly comparison: ComparisonConfig };
  readonly duration_filter?: { readonly comparison: ComparisonConfig };
  readonly not_health_check_filter?: Record<string, never>;
  readonly traceable_filter?: Record<string, never>;
  readonly runtime_filter?: {
    readonly runtime_key: string;
    readonly percent_sampled?: { readonly numerator?: number; readonly denominator?: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION' };
    readonly use_independent_randomness?: boolean;
  };
  readonly and_filter?: { readonly filters: readonly AccessLogFilterConfig[] };
  readonly or_filter?: { readonly filters: readonly AccessLogFilterConfig[] };
  readonly response_flag_filter?: { readonly flags?: readonly string[] };
  readonly log_type_filter?: { readonly types?: readonly (typeof ACCESS_LOG_TYPES)[number][]; readonly exclude?: boolean };
}

/** The filter inside and/or filters: the same message, defined once it exists. */
const nested: FieldType<AccessLogFilterConfig> = {
  description: 'envoy.config.accesslog.v3.AccessLogFilter',
  parse: (value, path, ctx) => accessLogFilterSchema.parse(value, path, ctx),
};

/** An access log entry's `filter`: which entries a logger writes. */
export const accessLogFilterSchema: FieldType<AccessLogFilterConfig> = message(
  'envoy.config.accesslog.v3.AccessLogFilter',
  {
    status_code_filter: message('envoy.config.accesslog.v3.StatusCodeFilter', { comparison: required(comparisonSchema) }),
    duration_filter: message('envoy.config.accesslog.v3.DurationFilter', { comparison: required(comparisonSchema) }),
    not_health_check_filter: schema.empty('envoy.config.accesslog.v3.NotHealthCheckFilter'),
    traceable_filter: schema.empty('envoy.config.accesslog.v3.TraceableFilter'),
    runtime_filter: message('envoy.config.accesslog.v3.RuntimeFilter', {
      runtime_key: required(string({ minLen: 1 })),
      percent_sampled: fractionalPercentSchema,
      use_independent_randomness: bool(),
    }),
    and_filter: message('envoy.config.accesslog.v3.AndFilter', { filters: required(repeated(nested, { minItems: 2 })) }),
    or_filter: message('envoy.config.accesslog.v3.OrFilter', { filters: required(repeated(nested, { minItems: 2 })) }),
    response_flag_filter: message(
      'envoy.config.accesslog.v3.ResponseFlagFilter',
      { flags: repeated(string()) },
      {
        check(value, report) {
          for (const flag of value.flags ?? []) {
            if (!(RESPONSE_FLAG_CODES as readonly string[]).includes(flag)) report('flags', `unknown response flag '${flag}'`, `one of ${RESPONSE_FLAG_CODES.join(', ')}`);
          }
        },
      },
    ),
    log_type_filter: message('envoy.config.accesslog.v3.LogTypeFilter', {
      types: repeated(enumOf('envoy.data.accesslog.v3.AccessLogType', ACCESS_LOG_TYPES)),
      exclude: bool(),
    }),
  },
  {
    oneofs: [
      {
        fields: ['status_code_filter', 'duration_filter', 'not_health_check_filter', 'traceable_filter', 'runtime_filter', 'and_filter', 'or_filter', 'response_flag_filter', 'log_type_filter'],
        required: true,
      },
    ],
    unsupported: { header_filter: NOT_YET, grpc_status_filter: NOT_YET, metadata_filter: NOT_YET, extension_filter: NOT_YET },
  },
) as FieldType<AccessLogFilterConfig>;
