import { Category, extensionPackage, randomHash64, type LoadBalancer, type LoadBalancingPolicyFactory, type NodevoyExtension, type Host } from '@nodevoy/core';
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
    let built: { hosts: readonly Host[]; ring: Ring } | undefined;
    const balancer: LoadBalancer = {
      pick(hosts, context) {
        // The cluster hands the same array until its hosts or their health change: one ring per set.
        if (built?.hosts !== hosts) {
          built = { hosts, ring: new Ring(hosts, minSize, maxSize, useHostname) };
          size.set(built.ring.size);
          minHashes.set(built.ring.minHashesPerHost);
          maxHashes.set(built.ring.maxHashesPerHost);
        }
        return built.ring.choose(context?.hashKey?.() ?? randomHash64()) ?? (hosts[0] as Host);
      },
    };
    return balancer;
  },
};

/** Registers `envoy.load_balancing_policies.ring_hash`. */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(ringHashPolicy);
  },
};
