import {
  Category,
  extensionPackage,
  parseIpAndPort,
  schema,
  type FilterStatus,
  type ListenerFilter,
  type ListenerFilterCallbacks,
  type ListenerFilterFactory,
  type NodevoyExtension,
} from '@nodevoy/core';

/** The filter state object Envoy's internal connections carry their original destination in. */
export const ORIGINAL_DST_FILTER_STATE_KEY = 'envoy.network.transport_socket.original_dst_address';

const originalDstSchema = schema.message(
  'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  { traffic_direction: schema.enumOf('envoy.config.core.v3.TrafficDirection', ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'] as const) },
);

/**
 * `envoy.filters.listener.original_dst` on an internal listener, as Envoy runs it there: the
 * connection's original destination is the `envoy.network.transport_socket.original_dst_address`
 * filter state object (`ip:port`) that came across the hop (set upstream, shared with it), and
 * becomes the connection's local address: what filter chains match and an ORIGINAL_DST cluster
 * connects to. Without one the connection goes on unchanged.
 */
class OriginalDstFilter implements ListenerFilter {
  onAccept(callbacks: ListenerFilterCallbacks): FilterStatus {
    const value = callbacks.info.filterState.get(ORIGINAL_DST_FILTER_STATE_KEY);
    const address = typeof value === 'string' ? parseIpAndPort(value) : undefined;
    if (address) callbacks.restoreLocalAddress(address);
    return 'continue';
  }
}

export const originalDstFilter: ListenerFilterFactory = {
  name: 'envoy.filters.listener.original_dst',
  category: Category.listenerFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst'],
  configSchema: originalDstSchema,
  createListenerFilterFactory(config, context) {
    if (!context.listener.isInternal) {
      context.server.configIssue(
        config as object,
        undefined,
        'envoy.filters.listener.original_dst reads a kernel socket\'s original destination (SO_ORIGINAL_DST), which node:net cannot; nodevoy runs it on internal listeners only',
        'use it on an internal listener (the destination comes in filter state), or send the destination in a header to an ORIGINAL_DST cluster',
      );
    }
    return () => new OriginalDstFilter();
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(originalDstFilter);
  },
};
