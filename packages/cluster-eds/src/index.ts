import { Category, extensionPackage, schema, XDS_SUBSCRIPTIONS, type ClusterTypeFactory, type NodevoyExtension } from '@nodevoy/core';
import { EdsHostDiscovery } from './eds-host-discovery.js';

/** `envoy.cluster.eds` (`type: EDS`): endpoints from a management server, by `eds_cluster_config`. */
export const edsCluster: ClusterTypeFactory = {
  name: 'envoy.cluster.eds',
  category: Category.clusterType,
  typeUrls: [],
  configSchema: schema.empty('envoy.cluster.eds'),
  discoveryTypes: ['EDS'],
  validate(config, context) {
    const source = config.eds_cluster_config?.eds_config;
    if (!source) {
      context.configIssue(config, 'eds_cluster_config', 'cannot create an EDS cluster without an EDS config', 'add eds_cluster_config.eds_config (ads: {} with an ads_config)');
    } else {
      // The clusters are still being read: whether an envoy_grpc cluster exists is not known yet.
      context.services.get(XDS_SUBSCRIPTIONS)?.checkSource(source, false);
    }
    if (config.load_assignment) {
      context.configIssue(config, 'load_assignment', 'an EDS cluster takes its endpoints from EDS, not load_assignment');
    }
  },
  createHostDiscovery(config, context) {
    const eds = config.eds_cluster_config;
    return new EdsHostDiscovery(eds?.service_name || config.name, eds?.eds_config ?? { ads: {} }, context);
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(edsCluster);
  },
};
