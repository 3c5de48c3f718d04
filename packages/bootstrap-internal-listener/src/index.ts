import {
  Category,
  INTERNAL_LISTENER_REGISTRY,
  extensionPackage,
  schema,
  type BootstrapExtensionFactory,
  type MessageValue,
  type NodevoyExtension,
} from '@nodevoy/core';
import {
  EnvoyInternalClientConnectionFactory,
  INTERNAL_CONNECTION_SETTINGS,
  extension as envoyInternalConnectionExtension,
} from '@nodevoy/connection-envoy-internal';
import { PerWorkerInternalListenerRegistry } from './per-worker-registry.js';

const internalListenerSchema = schema.message('envoy.extensions.bootstrap.internal_listener.v3.InternalListener', {
  buffer_size_kb: schema.uint32({ gte: 1, lte: 8192 }),
});

export type InternalListenerConfig = MessageValue<typeof internalListenerSchema.fields>;

/** Envoy's default `buffer_size_kb`. */
export const DEFAULT_BUFFER_SIZE_KB = 1024;

/**
 * `envoy.bootstrap.internal_listener`: gives the server its per-worker internal listener
 * registry and the buffer size of internal connections, and installs the
 * `network.connection.client.envoy_internal` factory into that server.
 */
export const internalListenerBootstrap: BootstrapExtensionFactory<InternalListenerConfig> = {
  name: 'envoy.bootstrap.internal_listener',
  category: Category.bootstrap,
  typeUrls: ['type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener'],
  configSchema: internalListenerSchema,
  createBootstrapExtension(config, server) {
    const registry = new PerWorkerInternalListenerRegistry();
    server.services.set(INTERNAL_LISTENER_REGISTRY, registry);
    server.services.set(INTERNAL_CONNECTION_SETTINGS, { bufferSizeBytes: (config.buffer_size_kb ?? DEFAULT_BUFFER_SIZE_KB) * 1024 });
    if (!server.clientConnections.has('envoy_internal')) {
      server.clientConnections.install(new EnvoyInternalClientConnectionFactory(server));
    }
    return { onShutdown: () => registry.clear() };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.use(envoyInternalConnectionExtension);
    registry.add(internalListenerBootstrap);
  },
};

export { PerWorkerInternalListenerRegistry } from './per-worker-registry.js';
