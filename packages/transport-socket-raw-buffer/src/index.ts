import { Category, extensionPackage, schema, type NodevoyExtension, type TransportSocketFactory } from '@nodevoy/core';

const rawBufferSchema = schema.empty('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer');

/**
 * `envoy.transport_sockets.raw_buffer`: bytes pass through unchanged, upstream and downstream.
 * It is also what a connection uses when no transport socket is configured.
 */
export const rawBufferTransportSocket: TransportSocketFactory = {
  name: 'envoy.transport_sockets.raw_buffer',
  category: Category.transportSocket,
  typeUrls: ['type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer'],
  configSchema: rawBufferSchema,
  createUpstream: () => ({ wrap: (io) => io }),
  createDownstream: () => ({ wrap: (io) => io }),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(rawBufferTransportSocket);
  },
};
