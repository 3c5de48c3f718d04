import { Category, extensionPackage, schema, type NetworkFilterFactory, type NodevoyExtension } from '@nodevoy/core';

/**
 * `envoy.filters.network.echo`: writes back what it reads, half-close included. A terminal
 * filter that makes a config self-contained (nodevoy's bundled default config ends in one).
 * Unlike Envoy's, it stops reading while the client is not reading the echo, so a client that
 * never reads cannot grow the write buffer past the connection's limit.
 */
export const echoFilter: NetworkFilterFactory = {
  name: 'envoy.filters.network.echo',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo'],
  configSchema: schema.empty('envoy.extensions.filters.network.echo.v3.Echo'),
  isTerminalFilter: true,
  createFilterFactory: () => (filterManager) => {
    const connection = filterManager.connection;
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks({
      onEvent() {},
      onAboveWriteBufferHighWatermark: () => connection.readDisable(true),
      onBelowWriteBufferLowWatermark: () => connection.readDisable(false),
    });
    filterManager.addReadFilter({
      onData(data, endStream) {
        connection.write(data, endStream);
        return 'stop';
      },
    });
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(echoFilter);
  },
};
