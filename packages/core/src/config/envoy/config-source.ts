import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, string, repeated, required, bool, enumOf, duration } = schema;

const watchedDirectorySchema = message('envoy.config.core.v3.WatchedDirectory', {
  path: required(string({ minLen: 1 })),
});

/** `envoy.config.core.v3.PathConfigSource`: resources from a file, read again when it changes. */
const pathConfigSourceSchema = message('envoy.config.core.v3.PathConfigSource', {
  path: required(string({ minLen: 1 })),
  /** Watch this directory instead of the file (Kubernetes swaps a symlink in it). */
  watched_directory: watchedDirectorySchema,
});

const apiVersionSchema = enumOf('envoy.config.core.v3.ApiVersion', ['AUTO', 'V2', 'V3'] as const, {
  V2: 'the v2 xDS API was removed from Envoy; use V3',
});

/** `envoy.config.core.v3.GrpcService`: how a gRPC client reaches its server. */
export const grpcServiceSchema = message(
  'envoy.config.core.v3.GrpcService',
  {
    envoy_grpc: message('envoy.config.core.v3.GrpcService.EnvoyGrpc', {
      cluster_name: required(string({ minLen: 1 })),
      authority: string(),
    }, { ignored: ['retry_policy', 'max_receive_message_length', 'skip_envoy_headers'] }),
    google_grpc: message(
      'envoy.config.core.v3.GrpcService.GoogleGrpc',
      { target_uri: required(string({ minLen: 1 })), stat_prefix: string() },
      { unsupported: { channel_credentials: 'nodevoy connects to a google_grpc target in plaintext; use envoy_grpc for TLS', call_credentials: 'not implemented by nodevoy yet' }, ignored: ['channel_args', 'config', 'credentials_factory_name', 'per_stream_buffer_limit_bytes'] },
    ),
    timeout: duration(),
    initial_metadata: repeated(message('envoy.config.core.v3.HeaderValue', { key: required(string({ minLen: 1 })), value: string() }, { ignored: ['raw_value'] })),
  },
  { oneofs: [{ fields: ['envoy_grpc', 'google_grpc'], required: true }], ignored: ['retry_policy'] },
);
export type GrpcServiceConfig = MessageValue<typeof grpcServiceSchema.fields>;

export const API_TYPES = ['DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE', 'REST', 'GRPC', 'DELTA_GRPC', 'AGGREGATED_GRPC', 'AGGREGATED_DELTA_GRPC'] as const;
export type ApiType = (typeof API_TYPES)[number];

/** `envoy.config.core.v3.ApiConfigSource`: a management server, and the protocol spoken to it. */
export const apiConfigSourceSchema = message(
  'envoy.config.core.v3.ApiConfigSource',
  {
    api_type: enumOf('envoy.config.core.v3.ApiConfigSource.ApiType', API_TYPES, {
      DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE: 'use GRPC',
      REST: 'nodevoy speaks xDS over gRPC only; use GRPC or DELTA_GRPC',
    }),
    transport_api_version: apiVersionSchema,
    grpc_services: repeated(grpcServiceSchema),
    cluster_names: repeated(string()),
    set_node_on_first_message_only: bool(),
    refresh_delay: duration(),
    request_timeout: duration(),
  },
  { ignored: ['rate_limit_settings', 'config_validators'] },
);
export type ApiConfigSourceConfig = MessageValue<typeof apiConfigSourceSchema.fields>;

const configSourceFields = {
  path_config_source: pathConfigSourceSchema,
  path: string({ minLen: 1 }),
  resource_api_version: apiVersionSchema,
  initial_fetch_timeout: duration(),
};

/**
 * `envoy.config.core.v3.ConfigSource` where nodevoy reads only files (SDS): `path_config_source`,
 * or the deprecated `path`.
 */
export const configSourceSchema = message('envoy.config.core.v3.ConfigSource', configSourceFields, {
  oneofs: [{ fields: ['path_config_source', 'path'], required: true }],
  unsupported: {
    api_config_source: 'nodevoy reads secrets from files only (SDS over a management server is not implemented yet)',
    ads: 'nodevoy reads secrets from files only (SDS over a management server is not implemented yet)',
    self: 'not implemented by nodevoy yet',
  },
  ignored: ['authorities'],
});
export type ConfigSourceConfig = MessageValue<typeof configSourceSchema.fields>;

/** `ConfigSource` for listeners, clusters, endpoints and routes: files, ADS or a management server. */
export const xdsConfigSourceSchema = message(
  'envoy.config.core.v3.ConfigSource',
  {
    ...configSourceFields,
    ads: schema.empty('envoy.config.core.v3.AggregatedConfigSource'),
    api_config_source: apiConfigSourceSchema,
  },
  {
    oneofs: [{ fields: ['path_config_source', 'path', 'ads', 'api_config_source'], required: true }],
    unsupported: { self: 'not implemented by nodevoy yet' },
    ignored: ['authorities'],
  },
);
export type XdsConfigSourceConfig = MessageValue<typeof xdsConfigSourceSchema.fields>;

/** The file a file-based config source reads, and the directory whose changes mean it changed. */
export function configSourceFile(source: ConfigSourceConfig | XdsConfigSourceConfig): { readonly path: string; readonly watchedDirectory?: string } {
  const pathSource = source.path_config_source;
  if (pathSource) return { path: pathSource.path, ...(pathSource.watched_directory ? { watchedDirectory: pathSource.watched_directory.path } : {}) };
  return { path: source.path as string };
}
