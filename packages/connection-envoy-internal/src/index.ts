import { Category, extensionPackage, schema, type ClientConnectionFactoryDefinition, type NodevoyExtension } from '@nodevoy/core';
import { EnvoyInternalClientConnectionFactory } from './client-connection-factory.js';

/** The factory definition: one `EnvoyInternalClientConnectionFactory` per server. */
export const envoyInternalClientConnection: ClientConnectionFactoryDefinition = {
  name: 'network.connection.client.envoy_internal',
  category: Category.clientConnection,
  typeUrls: [],
  configSchema: schema.empty('network.connection.client.envoy_internal'),
  addressKind: 'envoy_internal',
  createFactory: (server) => new EnvoyInternalClientConnectionFactory(server),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(envoyInternalClientConnection);
  },
};

export { EnvoyInternalClientConnectionFactory } from './client-connection-factory.js';
export { ChunkQueue } from './chunk-queue.js';
export { createSocketPair } from './socket-pair.js';
export { UserSpaceIoHandle } from './user-space-io-handle.js';
export { DEFAULT_BUFFER_SIZE_BYTES, INTERNAL_CONNECTION_SETTINGS, type InternalConnectionSettings } from './settings.js';
