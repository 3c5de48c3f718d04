import { Category, schema, type ClusterInfo, type ConfigOnlyFactory, type MessageValue } from '@nodevoy/core';

const { message, bool, uint32, duration, struct } = schema;

/** `envoy.config.core.v3.Http1ProtocolOptions`: fields nodevoy reads, the rest accepted. */
export const http1ProtocolOptionsSchema = message(
  'envoy.config.core.v3.Http1ProtocolOptions',
  {
    accept_http_10: bool(),
    default_host_for_http_10: schema.string(),
    enable_trailers: bool(),
    allow_absolute_url: bool(),
    allow_chunked_length: bool(),
  },
  {
    check(value, report) {
      if (value.allow_absolute_url === false) report('allow_absolute_url', 'nodevoy always accepts absolute URLs', 'remove it (true is the default)');
    },
    ignored: ['header_key_format', 'override_stream_error_on_invalid_http_message', 'send_fully_qualified_url', 'use_balsa_parser', 'allow_custom_methods', 'ignore_http_11_upgrade'] },
);

/** `envoy.config.core.v3.Http2ProtocolOptions`. */
export const http2ProtocolOptionsSchema = message(
  'envoy.config.core.v3.Http2ProtocolOptions',
  {
    hpack_table_size: uint32(),
    max_concurrent_streams: uint32({ gte: 1, lte: 2147483647 }),
    initial_stream_window_size: uint32({ gte: 65535, lte: 2147483647 }),
    allow_connect: bool(),
  },
  {
    unsupported: {
      initial_connection_window_size: 'not implemented by nodevoy yet',
      allow_metadata: 'HTTP/2 METADATA frames are not supported by nodevoy',
    },
    ignored: [
      'max_outbound_frames',
      'max_outbound_control_frames',
      'max_consecutive_inbound_frames_with_empty_payload',
      'max_inbound_priority_frames_per_stream',
      'max_inbound_window_update_frames_per_data_frame_sent',
      'stream_error_on_invalid_http_messaging',
      'override_stream_error_on_invalid_http_message',
      'custom_settings_parameters',
      'connection_keepalive',
      'use_oghttp2_codec',
      'max_metadata_size',
    ],
  },
);

/**
 * `envoy.config.core.v3.HttpProtocolOptions`, for a connection manager (downstream) or a
 * cluster (upstream): idle timeout and requests per connection on both sides; the underscore
 * rule applies to downstream requests.
 */
export const commonHttpProtocolOptionsSchema = message(
  'envoy.config.core.v3.HttpProtocolOptions',
  {
    idle_timeout: duration(),
    max_connection_duration: duration(),
    max_stream_duration: duration(),
    max_requests_per_connection: uint32(),
    max_headers_count: uint32({ gte: 1 }),
    headers_with_underscores_action: schema.enumOf('envoy.config.core.v3.HttpProtocolOptions.HeadersWithUnderscoresAction', [
      'ALLOW',
      'REJECT_REQUEST',
      'DROP_HEADER',
    ] as const),
  },
  {
    unsupported: {
      max_response_headers_kb: 'not implemented by nodevoy yet',
    },
  },
);

const explicitHttpConfigSchema = message(
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig',
  { http_protocol_options: http1ProtocolOptionsSchema, http2_protocol_options: http2ProtocolOptionsSchema },
  {
    oneofs: [{ fields: ['http_protocol_options', 'http2_protocol_options'], required: true }],
    unsupported: { http3_protocol_options: 'HTTP/3 is not supported by nodevoy' },
  },
);

/** `auto_config`: ALPN chooses HTTP/2 or HTTP/1.1 per connection, each with its options. */
const autoHttpConfigSchema = message(
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.AutoHttpConfig',
  { http_protocol_options: http1ProtocolOptionsSchema, http2_protocol_options: http2ProtocolOptionsSchema },
  {
    unsupported: {
      http3_protocol_options: 'HTTP/3 is not supported by nodevoy',
      alternate_protocols_cache_options: 'HTTP/3 is not supported by nodevoy',
    },
  },
);

export const httpProtocolOptionsSchema = message(
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  {
    common_http_protocol_options: commonHttpProtocolOptionsSchema,
    upstream_http_protocol_options: struct(),
    explicit_http_config: explicitHttpConfigSchema,
    auto_config: autoHttpConfigSchema,
  },
  {
    oneofs: [{ fields: ['explicit_http_config', 'auto_config'] }],
    check(value, report) {
      // Downstream, the connection manager counts request headers; upstream responses are not counted yet.
      if (value.common_http_protocol_options?.max_headers_count !== undefined) {
        report('common_http_protocol_options', 'max_headers_count is not implemented by nodevoy for upstream responses yet', 'remove max_headers_count from the cluster');
      }
      // The connection manager's stream clock exists; the router's upstream one does not yet.
      if (value.common_http_protocol_options?.max_stream_duration !== undefined) {
        report('common_http_protocol_options', 'max_stream_duration is not implemented by nodevoy for upstream streams yet', 'set it on the connection manager or the route');
      }
    },
    unsupported: {
      use_downstream_protocol_config: 'use explicit_http_config',
      http_filters: 'upstream HTTP filters are not implemented by nodevoy yet',
      header_validation_config: 'not implemented by nodevoy yet',
    },
  },
);

export type HttpProtocolOptions = MessageValue<typeof httpProtocolOptionsSchema.fields>;

export const HTTP_PROTOCOL_OPTIONS_NAME = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const TYPE_URL = `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS_NAME}`;

/** The config-only extension: clusters carry it in `typed_extension_protocol_options`. */
export const httpProtocolOptions: ConfigOnlyFactory<HttpProtocolOptions> = {
  name: 'envoy.upstreams.http.http_protocol_options',
  category: Category.upstreamProtocolOptions,
  typeUrls: [TYPE_URL],
  configSchema: httpProtocolOptionsSchema,
  checkCluster(config, cluster, issue) {
    // Envoy's check, and its words: only a transport socket that negotiates ALPN can choose.
    if (config.auto_config && !cluster.transportSocket?.supportsAlpn) issue(`ALPN configured for cluster ${cluster.name} which has a non-ALPN transport socket`);
  },
};

export type UpstreamCodec = 'http1' | 'http2';

/**
 * The codec for HTTP to a cluster, as Envoy decides it: HTTP/2 when the cluster's protocol
 * options (or the legacy `http2_protocol_options` field) ask for it; `alpn` with `auto_config`
 * (each connection's ALPN chooses, HTTP/1.1 when it chose nothing); else HTTP/1.1.
 */
export function upstreamCodec(cluster: ClusterInfo): UpstreamCodec | 'alpn' {
  const typed = cluster.protocolOptions(HTTP_PROTOCOL_OPTIONS_NAME) ?? cluster.protocolOptions(TYPE_URL);
  const options = typed?.config as HttpProtocolOptions | undefined;
  if (options?.auto_config) return 'alpn';
  if (options?.explicit_http_config?.http2_protocol_options) return 'http2';
  if (options?.explicit_http_config?.http_protocol_options) return 'http1';
  return cluster.config.http2_protocol_options ? 'http2' : 'http1';
}

/** The cluster's HTTP/1.1 options (`explicit_http_config` or `auto_config`), if it set any. */
export function http1Options(cluster: ClusterInfo): MessageValue<typeof http1ProtocolOptionsSchema.fields> | undefined {
  const typed = cluster.protocolOptions(HTTP_PROTOCOL_OPTIONS_NAME) ?? cluster.protocolOptions(TYPE_URL);
  const options = typed?.config as HttpProtocolOptions | undefined;
  return options?.explicit_http_config?.http_protocol_options ?? options?.auto_config?.http_protocol_options;
}

/** The cluster's common HTTP options (idle timeout, max requests per connection...). */
export function commonHttpOptions(cluster: ClusterInfo): MessageValue<typeof commonHttpProtocolOptionsSchema.fields> | undefined {
  const typed = cluster.protocolOptions(HTTP_PROTOCOL_OPTIONS_NAME) ?? cluster.protocolOptions(TYPE_URL);
  return (typed?.config as HttpProtocolOptions | undefined)?.common_http_protocol_options;
}
