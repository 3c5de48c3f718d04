import { Category, schema, type MessageValue } from '@nodevoy/core';

const metadataKindSchema = schema.message(
  'envoy.type.metadata.v3.MetadataKind',
  {
    request: schema.empty('envoy.type.metadata.v3.MetadataKind.Request'),
    route: schema.empty('envoy.type.metadata.v3.MetadataKind.Route'),
    cluster: schema.empty('envoy.type.metadata.v3.MetadataKind.Cluster'),
    host: schema.empty('envoy.type.metadata.v3.MetadataKind.Host'),
  },
  { oneofs: [{ fields: ['request', 'route', 'cluster', 'host'], required: true }] },
);

const metadataValueSourceSchema = schema.message('envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport.MetadataValueSource', {
  kind: schema.required(metadataKindSchema),
  /** The `filter_metadata` namespace passed on whole. */
  name: schema.required(schema.string({ minLen: 1 })),
});

export const internalUpstreamSchema = schema.message('envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport', {
  passthrough_metadata: schema.repeated(metadataValueSourceSchema),
  transport_socket: schema.required(schema.extensionEntry('envoy.config.core.v3.TransportSocket', Category.transportSocket)),
});

export type InternalUpstreamConfig = MessageValue<typeof internalUpstreamSchema.fields>;

export type MetadataSourceKind = 'host' | 'cluster' | 'request' | 'route';

export interface MetadataSource {
  readonly kind: MetadataSourceKind;
  readonly name: string;
}

export function metadataSources(config: InternalUpstreamConfig): MetadataSource[] {
  return (config.passthrough_metadata ?? []).map(({ kind, name }) => ({
    kind: kind.host ? 'host' : kind.cluster ? 'cluster' : kind.request ? 'request' : 'route',
    name,
  }));
}
