import { Category, extensionPackage, hashingBalancer, type LoadBalancingPolicyFactory, type NodevoyExtension } from '@nodevoy/core';
import { Ring } from './ring.js';
import { RING_HASH_TYPE_URL, ringHashFromCluster, ringHashSchema, type RingHashConfig } from './ring-hash-config.js';

export { Ring } from './ring.js';
export { ringHashSchema, type RingHashConfig } from './ring-hash-config.js';

const DEFAULT_MIN_RING_SIZE = 1024;
const DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;

/** `envoy.load_balancing_policies.ring_hash` (`lb_policy: RING_HASH`). */
export const ringHashPolicy: LoadBalancingPolicyFactory<RingHashConfig> = {
  name: 'envoy.load_balancing_policies.ring_hash',
  category: Category.loadBalancingPolicy,
  typeUrls: [RING_HASH_TYPE_URL],
  configSchema: ringHashSchema,
  lbPolicy: 'RING_HASH',
  configFromCluster: ringHashFromCluster,
  createLoadBalancer(config, context) {
    const stats = context.clusterStats.scope('ring_hash_lb');
    const [size, minHashes, maxHashes] = [stats.gauge('size'), stats.gauge('min_hashes_per_host'), stats.gauge('max_hashes_per_host')];
    const minSize = config.minimum_ring_size ?? DEFAULT_MIN_RING_SIZE;
    const maxSize = config.maximum_ring_size ?? DEFAULT_MAX_RING_SIZE;
    const useHostname = config.consistent_hashing_lb_config?.use_hostname_for_hashing ?? config.use_hostname_for_hashing ?? false;
    return hashingBalancer(
      (hosts) => new Ring(hosts, minSize, maxSize, useHostname),
      (ring) => {
        size.set(ring.size);
        minHashes.set(ring.minHashesPerHost);
        maxHashes.set(ring.maxHashesPerHost);
      },
    );
  },
};

/** Registers `envoy.load_balancing_policies.ring_hash`. */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(ringHashPolicy);
  },
};
