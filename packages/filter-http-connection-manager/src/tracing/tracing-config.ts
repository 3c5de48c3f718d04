import { Category, fractionalPercentSchema, percentSchema, schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, repeated, required, uint32 } = schema;

const metadataKindSchema = message(
  'envoy.type.metadata.v3.MetadataKind',
  { request: schema.empty('envoy.type.metadata.v3.MetadataKind.Request'), route: schema.empty('envoy.type.metadata.v3.MetadataKind.Route') },
  {
    oneofs: [{ fields: ['request', 'route'], required: true }],
    unsupported: { cluster: 'metadata custom tags of the cluster are not implemented by nodevoy yet', host: 'metadata custom tags of the host are not implemented by nodevoy yet' },
  },
);

/** `envoy.type.tracing.v3.CustomTag`: a tag every span of the connection manager (or route) gets. */
export const customTagSchema = message(
  'envoy.type.tracing.v3.CustomTag',
  {
    tag: required(string({ minLen: 1 })),
    literal: message('envoy.type.tracing.v3.CustomTag.Literal', { value: required(string({ minLen: 1 })) }),
    environment: message('envoy.type.tracing.v3.CustomTag.Environment', { name: required(string({ minLen: 1 })), default_value: string() }),
    request_header: message('envoy.type.tracing.v3.CustomTag.Header', { name: required(string({ minLen: 1 })), default_value: string() }),
    metadata: message('envoy.type.tracing.v3.CustomTag.Metadata', {
      kind: required(metadataKindSchema),
      metadata_key: required(
        message('envoy.type.metadata.v3.MetadataKey', {
          key: required(string({ minLen: 1 })),
          path: repeated(message('envoy.type.metadata.v3.MetadataKey.PathSegment', { key: required(string({ minLen: 1 })) })),
        }),
      ),
      default_value: string(),
    }),
  },
  { oneofs: [{ fields: ['literal', 'environment', 'request_header', 'metadata'], required: true }], unsupported: { value: 'not implemented by nodevoy yet: use literal, environment, request_header or metadata' } },
);
export type CustomTagConfig = MessageValue<typeof customTagSchema.fields>;

/** `HttpConnectionManager.Tracing`. */
export const hcmTracingSchema = message('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing', {
  client_sampling: percentSchema,
  random_sampling: percentSchema,
  overall_sampling: percentSchema,
  verbose: bool(),
  max_path_tag_length: uint32(),
  custom_tags: repeated(customTagSchema),
  provider: schema.extensionEntry('envoy.config.trace.v3.Tracing.Http', Category.tracer),
  spawn_upstream_span: bool(),
}, { unsupported: { operation: 'not implemented by nodevoy yet', upstream_operation: 'not implemented by nodevoy yet' } });
export type HcmTracingConfig = MessageValue<typeof hcmTracingSchema.fields>;

/** `envoy.config.route.v3.Tracing`: a route's own sampling and tags. */
export const routeTracingSchema = message('envoy.config.route.v3.Tracing', {
  client_sampling: fractionalPercentSchema,
  random_sampling: fractionalPercentSchema,
  overall_sampling: fractionalPercentSchema,
  custom_tags: repeated(customTagSchema),
}, { unsupported: { operation: 'not implemented by nodevoy yet', upstream_operation: 'not implemented by nodevoy yet' } });
export type RouteTracingConfig = MessageValue<typeof routeTracingSchema.fields>;
