import { schema, type ClusterConfig, type MessageValue } from '@nodevoy/core';

const { message, uint64, enumOf, bool } = schema;

export const RING_HASH_TYPE_URL = 'type.googleapis.com/envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash';

const MAX_RING_SIZE = 8 * 1024 * 1024;

export const consistentHashingSchema = message(
  'envoy.extensions.load_balancing_policies.common.v3.ConsistentHashingLbConfig',
  { use_hostname_for_hashing: bool() },
  { unsupported: { hash_balance_factor: 'bounded loads are not implemented by nodevoy yet', hash_policy: 'use the route’s hash_policy' } },
);

export const ringHashSchema = message(
  'envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash',
  {
    hash_function: enumOf('envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash.HashFunction', ['DEFAULT_HASH', 'XX_HASH', 'MURMUR_HASH_2'] as const, {
      MURMUR_HASH_2: 'nodevoy hashes with XX_HASH only',
    }),
    minimum_ring_size: uint64({ lte: MAX_RING_SIZE }),
    maximum_ring_size: uint64({ lte: MAX_RING_SIZE }),
    use_hostname_for_hashing: bool(),
    consistent_hashing_lb_config: consistentHashingSchema,
  },
  {
    unsupported: {
      hash_balance_factor: 'bounded loads are not implemented by nodevoy yet',
      locality_weighted_lb_config: 'locality weighted balancing is not implemented by nodevoy yet',
    },
    check: (config, report) => checkRingSizes(config, report),
  },
);
export type RingHashConfig = MessageValue<typeof ringHashSchema.fields>;

/** Envoy's check when it builds the balancer, on the extension's config or the cluster's `ring_hash_lb_config`. */
function checkRingSizes(sizes: { readonly minimum_ring_size?: number; readonly maximum_ring_size?: number }, report: (field: string, message: string) => void): void {
  const min = sizes.minimum_ring_size ?? 1024;
  const max = sizes.maximum_ring_size ?? MAX_RING_SIZE;
  if (min > max) report('minimum_ring_size', `ring hash: minimum_ring_size (${min}) > maximum_ring_size (${max})`);
}

/** `lb_policy: RING_HASH`: the cluster's `ring_hash_lb_config` and consistent-hashing options, as Envoy converts them. */
export function ringHashFromCluster(cluster: ClusterConfig, report: (target: object, field: string, message: string) => void): RingHashConfig {
  const legacy = cluster.ring_hash_lb_config;
  if (legacy) checkRingSizes(legacy, (field, message) => report(legacy, field, message));
  const hostname = cluster.common_lb_config?.consistent_hashing_lb_config?.use_hostname_for_hashing;
  return {
    ...(legacy?.minimum_ring_size !== undefined ? { minimum_ring_size: legacy.minimum_ring_size } : {}),
    ...(legacy?.maximum_ring_size !== undefined ? { maximum_ring_size: legacy.maximum_ring_size } : {}),
    ...(hostname ? { consistent_hashing_lb_config: { use_hostname_for_hashing: true } } : {}),
  };
}

