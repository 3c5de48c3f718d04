import {
  Category,
  PROXY_PROTOCOL_V2_SIGNATURE,
  encodeProxyProtocol,
  extensionPackage,
  schema,
  type IoHandle,
  type MessageValue,
  type NodevoyExtension,
  type TransportSocketFactory,
  type UpstreamSocketContext,
  type UpstreamTransportSocket,
} from '@nodevoy/core';
import { ProxyProtocolIoHandle } from './proxy-protocol-io-handle.js';

const VERSIONS = ['V1', 'V2'] as const;

const proxyProtocolConfigSchema = schema.message(
  'envoy.config.core.v3.ProxyProtocolConfig',
  { version: schema.enumOf('envoy.config.core.v3.ProxyProtocolConfig.Version', VERSIONS) },
  { unsupported: { pass_through_tlvs: 'passing TLVs through is not implemented by nodevoy yet', added_tlvs: 'added TLVs are not implemented by nodevoy yet' } },
);

const upstreamProxyProtocolSchema = schema.message(
  'envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport',
  {
    config: proxyProtocolConfigSchema,
    transport_socket: schema.required(schema.extensionEntry('envoy.config.core.v3.TransportSocket', Category.transportSocket)),
  },
  {
    unsupported: { tlv_as_pool_key: 'not implemented by nodevoy yet' },
    // nodevoy always says "unknown" for addresses that are not IP (Envoy refuses them unless this is set).
    ignored: ['allow_unspecified_address'],
  },
);
type UpstreamProxyProtocolConfig = MessageValue<typeof upstreamProxyProtocolSchema.fields>;

/**
 * `envoy.transport_sockets.upstream_proxy_protocol`: each upstream connection starts with a
 * PROXY header (v1 by default, or v2) carrying the downstream connection's addresses, then is
 * the inner transport socket's (raw, or TLS after the header).
 */
export const upstreamProxyProtocolTransportSocket: TransportSocketFactory<UpstreamProxyProtocolConfig> = {
  name: 'envoy.transport_sockets.upstream_proxy_protocol',
  category: Category.transportSocket,
  typeUrls: ['type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport'],
  configSchema: upstreamProxyProtocolSchema,
  createUpstream(config, context): UpstreamTransportSocket {
    const entry = config.transport_socket;
    const innerFactory = entry.typed.target as TransportSocketFactory;
    if (!innerFactory.createUpstream) context.server.configIssue(entry, 'typed_config', `${innerFactory.name} cannot be used as an upstream transport socket`);
    const inner = innerFactory.createUpstream?.(entry.typed.config, context) ?? { wrap: (io: IoHandle) => io };
    const version = config.config?.version === 'V2' ? 2 : 1;
    return {
      wrap: (io: IoHandle, socketContext: UpstreamSocketContext) =>
        inner.wrap(new ProxyProtocolIoHandle(io, (connection) => header(version, socketContext, connection)), socketContext),
      ...(inner.requestPassthrough ? { requestPassthrough: inner.requestPassthrough.bind(inner) } : {}),
      ...(inner.supportsAlpn ? { supportsAlpn: true } : {}),
    };
  },
};

/**
 * The downstream connection's addresses (client as source), or, for a connection made for no
 * downstream one, the upstream connection's own (as Envoy); where they are not IP addresses (an
 * internal hop), a header that says so.
 */
function header(version: 1 | 2, context: UpstreamSocketContext, connection: IoHandle): Buffer {
  const source = context.downstreamAddresses?.remote ?? connection.localAddress;
  const destination = context.downstreamAddresses?.local ?? connection.remoteAddress;
  if (source.kind === 'socket' && destination.kind === 'socket') return encodeProxyProtocol(version, source, destination);
  return version === 1 ? Buffer.from('PROXY UNKNOWN\r\n') : Buffer.concat([PROXY_PROTOCOL_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
}

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(upstreamProxyProtocolTransportSocket);
  },
};
