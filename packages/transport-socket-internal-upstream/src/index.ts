import { Category, createStatsSet, extensionPackage, type NodevoyExtension, type TransportSocketFactory } from '@nodevoy/core';
import { internalUpstreamSchema, metadataSources, type InternalUpstreamConfig } from './config.js';
import { InternalUpstreamSocket } from './internal-upstream-socket.js';

export { InternalUpstreamSocket } from './internal-upstream-socket.js';

/**
 * `envoy.transport_sockets.internal_upstream`: on a cluster whose endpoints are internal
 * listeners, passes metadata and filter state to the listener's side of each connection (and,
 * in nodevoy, of each request), around the inner transport socket it wraps. Its counter is
 * Envoy's: `cluster.<name>.internal_upstream.no_metadata`.
 */
export const internalUpstreamTransportSocket: TransportSocketFactory<InternalUpstreamConfig> = {
  name: 'envoy.transport_sockets.internal_upstream',
  category: Category.transportSocket,
  typeUrls: ['type.googleapis.com/envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport'],
  configSchema: internalUpstreamSchema,
  createUpstream(config, context) {
    const entry = config.transport_socket;
    const innerFactory = entry.typed.target as TransportSocketFactory;
    if (!innerFactory.createUpstream) {
      context.server.configIssue(entry, 'typed_config', `${innerFactory.name} cannot be used as an upstream transport socket`);
    }
    const inner = innerFactory.createUpstream?.(entry.typed.config, context) ?? { wrap: (io) => io };
    const stats = createStatsSet(context.clusterStats.scope('internal_upstream.'), { counters: ['no_metadata'] as const });
    return new InternalUpstreamSocket(inner, metadataSources(config), stats.no_metadata);
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(internalUpstreamTransportSocket);
  },
};
