import { accessLogSchema, cidrRangeSchema, schema, xdsConfigSourceSchema, type MessageValue } from '@nodevoy/core';
import { commonHttpProtocolOptionsSchema, http1ProtocolOptionsSchema, http2ProtocolOptionsSchema } from '@nodevoy/http';
import { HTTP_FILTER_CATEGORY } from '../http-filter.js';
import { routeConfigurationSchema } from './route-config.js';
import { hcmTracingSchema } from '../tracing/tracing-config.js';

const { message, string, bool, repeated, required, uint32, enumOf, duration } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const httpFilterEntrySchema = schema.extensionEntry(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  HTTP_FILTER_CATEGORY,
  {
    config_discovery: 'extension config discovery (ECDS) is not supported by nodevoy',
    is_optional: NOT_YET,
  },
  // Off unless a route's typed_per_filter_config turns it on.
  { disabled: bool() },
);

export const hcmUpgradeConfigSchema = message(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.UpgradeConfig',
  { upgrade_type: required(string({ minLen: 1 })), enabled: bool() },
  { unsupported: { filters: 'per-upgrade filter chains are not implemented by nodevoy yet' } },
);
export type HcmUpgradeConfig = MessageValue<typeof hcmUpgradeConfigSchema.fields>;

export const httpConnectionManagerSchema = message(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  {
    codec_type: enumOf('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType', ['AUTO', 'HTTP1', 'HTTP2', 'HTTP3'] as const, {
      HTTP3: 'HTTP/3 is not supported by nodevoy',
    }),
    stat_prefix: required(string({ minLen: 1 })),
    route_config: routeConfigurationSchema,
    rds: message('envoy.extensions.filters.network.http_connection_manager.v3.Rds', {
      config_source: required(xdsConfigSourceSchema),
      route_config_name: string(),
    }),
    access_log: repeated(accessLogSchema),
    http_filters: repeated(httpFilterEntrySchema),
    common_http_protocol_options: commonHttpProtocolOptionsSchema,
    http_protocol_options: http1ProtocolOptionsSchema,
    http2_protocol_options: http2ProtocolOptionsSchema,
    server_name: string(),
    server_header_transformation: enumOf('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.ServerHeaderTransformation', [
      'OVERWRITE',
      'APPEND_IF_ABSENT',
      'PASS_THROUGH',
    ] as const),
    max_request_headers_kb: uint32({ gt: 0, lte: 8192 }),
    stream_idle_timeout: duration(),
    request_timeout: duration(),
    use_remote_address: bool(),
    skip_xff_append: bool(),
    xff_num_trusted_hops: uint32(),
    internal_address_config: message(
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.InternalAddressConfig',
      { unix_sockets: bool(), cidr_ranges: repeated(cidrRangeSchema) },
    ),
    via: string(),
    generate_request_id: bool(),
    preserve_external_request_id: bool(),
    always_set_request_id_in_response: bool(),
    upgrade_configs: repeated(hcmUpgradeConfigSchema),
    normalize_path: bool(),
    merge_slashes: bool(),
    strip_any_host_port: bool(),
    strip_matching_host_port: bool(),
    proxy_100_continue: bool(),
    forward_client_cert_details: enumOf('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.ForwardClientCertDetails', [
      'SANITIZE',
      'FORWARD_ONLY',
      'APPEND_FORWARD',
      'SANITIZE_SET',
      'ALWAYS_FORWARD_ONLY',
    ] as const),
    tracing: hcmTracingSchema,
    set_current_client_cert_details: message('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.SetCurrentClientCertDetails', {
      subject: bool(),
      cert: bool(),
      chain: bool(),
      dns: bool(),
      uri: bool(),
    }),
  },
  {
    oneofs: [{ fields: ['strip_any_host_port', 'strip_matching_host_port'] }],
    // Accepted and without effect in nodevoy, as the README lists: no user agent cluster;
    // drains and closes are immediate.
    ignored: [
      'path_with_escaped_slashes_action',
      'stream_error_on_invalid_http_message',
      'proxy_status_config',
      'add_user_agent',
      'drain_timeout',
      'delayed_close_timeout',
    ],
    unsupported: {
      scoped_routes: 'scoped routes are not implemented by nodevoy yet: use route_config or rds',
      http3_protocol_options: 'HTTP/3 is not supported by nodevoy',
      access_log_options: NOT_YET,
      local_reply_config: NOT_YET,
      original_ip_detection_extensions: NOT_YET,
      early_header_mutation_extensions: NOT_YET,
      request_id_extension: NOT_YET,
      http_filters_config: NOT_YET,
      max_requests_per_io_cycle: NOT_YET,
      typed_header_validation_config: NOT_YET,
      append_x_forwarded_port: NOT_YET,
      append_local_overload: NOT_YET,
      add_proxy_protocol_connection_state: NOT_YET,
      represent_ipv4_remote_address_as_ipv4_mapped_ipv6: NOT_YET,
      request_headers_timeout: NOT_YET,
    },
    check(value, report) {
      if (!value.route_config && !value.rds) report(undefined, 'one of route_config, rds, scoped_routes is required', 'add an inline route_config');
      if (value.route_config && value.rds) report('rds', 'only one of route_config, rds, scoped_routes may be set');
    },
  },
);

export type HttpConnectionManagerConfig = MessageValue<typeof httpConnectionManagerSchema.fields>;

/** Envoy's defaults for the fields nodevoy reads. */
export const HCM_DEFAULTS = {
  maxRequestHeadersKb: 60,
  streamIdleTimeoutMs: 5 * 60_000,
  connectionIdleTimeoutMs: 60 * 60_000,
  serverName: 'envoy',
  routeTimeoutMs: 15_000,
  // What Envoy 1.40 advertises to downstream HTTP/2 clients when the config says nothing.
  maxConcurrentStreams: 1024,
  maxHeadersCount: 100,
} as const;
