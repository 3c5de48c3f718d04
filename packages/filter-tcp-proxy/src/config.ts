import { accessLogSchema, schema, type MessageValue, percentSchema } from '@nodevoy/core';
import { headersToAdd } from '@nodevoy/http';
import { tcpHashPolicySchema } from './hash-policy.js';

const { message, string, uint32, duration, repeated, required, struct, enumOf } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const clusterWeightSchema = message(
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight',
  { name: required(string({ minLen: 1 })), weight: required(uint32({ gte: 1 })) },
  { unsupported: { metadata_match: 'subset load balancing is not implemented by nodevoy' } },
);

export const weightedClusterSchema = message('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster', {
  clusters: required(repeated(clusterWeightSchema, { minItems: 1 })),
});

export const tunnelingConfigSchema = message(
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.TunnelingConfig',
  {
    hostname: required(string({ minLen: 1 })),
    use_post: schema.bool(),
    headers_to_add: headersToAdd(),
    propagate_response_headers: schema.bool(),
    post_path: string(),
    propagate_response_trailers: schema.bool(),
  },
  {
    unsupported: { request_id_extension: NOT_YET, request_id_header: NOT_YET, request_id_metadata_key: NOT_YET },
    check(value, report) {
      if (value.post_path !== undefined && !value.use_post) report('post_path', "Can't set a post path when POST method isn't used");
    },
  },
);
export type TunnelingConfig = MessageValue<typeof tunnelingConfigSchema.fields>;

const accessLogOptionsSchema = message('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.TcpAccessLogOptions', {
  access_log_flush_interval: duration({ gteMs: 1 }),
  flush_access_log_on_connected: schema.bool(),
});

export const tcpProxySchema = message(
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  {
    stat_prefix: required(string({ minLen: 1 })),
    cluster: string(),
    weighted_clusters: weightedClusterSchema,
    idle_timeout: duration({ gteMs: 0 }),
    max_connect_attempts: uint32({ gte: 1 }),
    max_downstream_connection_duration: duration({ gteMs: 1 }),
    max_downstream_connection_duration_jitter_percentage: percentSchema,
    backoff_options: message(
      'envoy.config.core.v3.BackoffStrategy',
      { base_interval: required(duration({ gteMs: 1 })), max_interval: duration({ gtMs: 0 }) },
      {
        check(value, report) {
          if (value.max_interval !== undefined && value.max_interval < value.base_interval) {
            report('max_interval', 'max_interval must be greater than or equal to base_interval');
          }
        },
      },
    ),
    upstream_connect_mode: enumOf(
      'envoy.extensions.filters.network.tcp_proxy.v3.UpstreamConnectMode',
      ['IMMEDIATE', 'ON_DOWNSTREAM_DATA', 'ON_DOWNSTREAM_TLS_HANDSHAKE'] as const,
      { ON_DOWNSTREAM_DATA: NOT_YET, ON_DOWNSTREAM_TLS_HANDSHAKE: NOT_YET },
    ),
    metadata_match: struct(),
    hash_policy: repeated(tcpHashPolicySchema, { maxItems: 1 }),
    tunneling_config: tunnelingConfigSchema,
    access_log: repeated(accessLogSchema),
    access_log_options: accessLogOptionsSchema,
    // Deprecated in Envoy for access_log_options, still accepted.
    access_log_flush_interval: duration({ gteMs: 1 }),
    flush_access_log_on_connected: schema.bool(),
  },
  {
    oneofs: [{ fields: ['cluster', 'weighted_clusters'], required: true }],
    check(value, report) {
      if (!value.access_log_options) return;
      if (value.flush_access_log_on_connected) report('access_log_options', 'Only one of flush_access_log_on_connected or access_log_options can be specified.');
      if (value.access_log_flush_interval !== undefined) report('access_log_options', 'Only one of access_log_flush_interval or access_log_options can be specified.');
    },
    unsupported: {
      on_demand: 'on-demand cluster discovery (ODCDS) is not supported by nodevoy',
      downstream_idle_timeout: 'not implemented by Envoy either; use idle_timeout',
      upstream_idle_timeout: 'not implemented by Envoy either; use idle_timeout',
      proxy_protocol_tlvs: NOT_YET,
      max_early_data_bytes: NOT_YET,
    },
  },
);

export type TcpProxyConfig = MessageValue<typeof tcpProxySchema.fields>;

/** Envoy's default idle timeout when `idle_timeout` is unset: one hour. */
export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
