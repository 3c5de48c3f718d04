import { Category, endpointEntries, extensionPackage, schema, type ClusterTypeFactory, type NodevoyExtension } from '@nodevoy/core';
import { DnsHostDiscovery } from './dns-discovery.js';

/** `envoy.cluster.strict_dns` (`type: STRICT_DNS`): every resolved address is a host. */
export const strictDnsCluster: ClusterTypeFactory = {
  name: 'envoy.cluster.strict_dns',
  category: Category.clusterType,
  typeUrls: [],
  configSchema: schema.empty('envoy.cluster.strict_dns'),
  discoveryTypes: ['STRICT_DNS'],
  validate() {},
  createHostDiscovery: (config, context) => new DnsHostDiscovery(config, context, false),
};

/** `envoy.cluster.logical_dns` (`type: LOGICAL_DNS`): one host, the first resolved address. */
export const logicalDnsCluster: ClusterTypeFactory = {
  name: 'envoy.cluster.logical_dns',
  category: Category.clusterType,
  typeUrls: [],
  configSchema: schema.empty('envoy.cluster.logical_dns'),
  discoveryTypes: ['LOGICAL_DNS'],
  validate(config, context) {
    const localities = config.load_assignment?.endpoints ?? [];
    if (localities.length !== 1 || endpointEntries(config).length !== 1) {
      context.configIssue(
        config,
        'load_assignment',
        'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint',
      );
    }
  },
  createHostDiscovery: (config, context) => new DnsHostDiscovery(config, context, true),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(strictDnsCluster).add(logicalDnsCluster);
  },
};
