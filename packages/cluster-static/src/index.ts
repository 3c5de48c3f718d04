import { isIP } from 'node:net';
import {
  Category,
  discoveredHost,
  endpointEntries,
  extensionPackage,
  internalEndpointAddress,
  schema,
  socketAddress,
  type ClusterTypeFactory,
  type DiscoveredHost,
  type NodevoyExtension,
} from '@nodevoy/core';

/**
 * `envoy.cluster.static` (`type: STATIC`): the endpoints are IP addresses or internal
 * addresses, known at config time and never re-resolved.
 */
export const staticCluster: ClusterTypeFactory = {
  name: 'envoy.cluster.static',
  category: Category.clusterType,
  typeUrls: [],
  configSchema: schema.empty('envoy.cluster.static'),
  discoveryTypes: ['STATIC'],
  validate(config, context) {
    for (const entry of endpointEntries(config)) {
      const socket = entry.address.socket_address;
      if (socket && isIP(socket.address) === 0) {
        context.configIssue(
          socket,
          'address',
          `malformed IP address: ${socket.address}. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'`,
        );
      }
    }
  },
  createHostDiscovery(config) {
    const hosts: DiscoveredHost[] = endpointEntries(config).map((entry) => {
      const socket = entry.address.socket_address;
      const address = internalEndpointAddress(entry.address) ?? socketAddress(socket?.address ?? '0.0.0.0', socket?.port_value ?? 0);
      return discoveredHost(entry, address);
    });
    return {
      hosts,
      initialize: () => Promise.resolve(),
      onHostsChanged() {},
      stop() {},
    };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(staticCluster);
  },
};
