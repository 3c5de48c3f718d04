import { Category, extensionPackage, hashingBalancer, type LoadBalancingPolicyFactory, type NodevoyExtension } from '@nodevoy/core';
import { DEFAULT_TABLE_SIZE, MAGLEV_TYPE_URL, maglevFromCluster, maglevSchema, type MaglevConfig } from './maglev-config.js';
import { MaglevTable } from './maglev-table.js';

export { MaglevTable } from './maglev-table.js';
export { maglevSchema, type MaglevConfig } from './maglev-config.js';

/** `envoy.load_balancing_policies.maglev` (`lb_policy: MAGLEV`). */
export const maglevPolicy: LoadBalancingPolicyFactory<MaglevConfig> = {
  name: 'envoy.load_balancing_policies.maglev',
  category: Category.loadBalancingPolicy,
  typeUrls: [MAGLEV_TYPE_URL],
  configSchema: maglevSchema,
  lbPolicy: 'MAGLEV',
  configFromCluster: maglevFromCluster,
  createLoadBalancer(config, context) {
    const stats = context.clusterStats.scope('maglev_lb');
    const [minEntries, maxEntries] = [stats.gauge('min_entries_per_host'), stats.gauge('max_entries_per_host')];
    const tableSize = config.table_size ?? DEFAULT_TABLE_SIZE;
    const useHostname = config.consistent_hashing_lb_config?.use_hostname_for_hashing ?? false;
    return hashingBalancer(
      (hosts) => new MaglevTable(hosts, tableSize, useHostname),
      (table) => {
        minEntries.set(table.minEntriesPerHost);
        maxEntries.set(table.maxEntriesPerHost);
      },
    );
  },
};

/** Registers `envoy.load_balancing_policies.maglev`. */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(maglevPolicy);
  },
};
