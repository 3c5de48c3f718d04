import { schema, type ClusterConfig, type MessageValue } from '@nodevoy/core';

const { message, uint64, bool } = schema;

export const MAGLEV_TYPE_URL = 'type.googleapis.com/envoy.extensions.load_balancing_policies.maglev.v3.Maglev';
export const DEFAULT_TABLE_SIZE = 65537;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

export const maglevSchema = message(
  'envoy.extensions.load_balancing_policies.maglev.v3.Maglev',
  {
    table_size: uint64({ lte: 5000011 }),
    consistent_hashing_lb_config: message(
      'envoy.extensions.load_balancing_policies.common.v3.ConsistentHashingLbConfig',
      { use_hostname_for_hashing: bool() },
      { unsupported: { hash_balance_factor: 'bounded loads are not implemented by nodevoy yet', hash_policy: 'use the route’s hash_policy' } },
    ),
  },
  {
    unsupported: { locality_weighted_lb_config: 'locality weighted balancing is not implemented by nodevoy yet' },
    check: (config, report) => checkTableSize(config, report),
  },
);
export type MaglevConfig = MessageValue<typeof maglevSchema.fields>;

/** Envoy's check when it builds the balancer, on the extension's config or the cluster's `maglev_lb_config`. */
function checkTableSize(config: { readonly table_size?: number }, report: (field: string, message: string) => void): void {
  if (config.table_size !== undefined && !isPrime(config.table_size)) report('table_size', 'The table size of maglev must be prime number');
}

/** `lb_policy: MAGLEV`: the cluster's `maglev_lb_config` and consistent-hashing options. */
export function maglevFromCluster(cluster: ClusterConfig, report: (target: object, field: string, message: string) => void): MaglevConfig {
  const legacy = cluster.maglev_lb_config;
  if (legacy) checkTableSize(legacy, (field, message) => report(legacy, field, message));
  const tableSize = legacy?.table_size;
  const hostname = cluster.common_lb_config?.consistent_hashing_lb_config?.use_hostname_for_hashing;
  return {
    ...(tableSize !== undefined ? { table_size: tableSize } : {}),
    ...(hostname ? { consistent_hashing_lb_config: { use_hostname_for_hashing: true } } : {}),
  };
}
