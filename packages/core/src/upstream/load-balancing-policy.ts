import type { ClusterConfig } from '../config/envoy/cluster.js';
import type { Category } from '../registry/categories.js';
import type { ExtensionFactory } from '../registry/types.js';
import type { StatsScope } from '../stats/store.js';
import { randomHash64 } from '../hashing/random-hash.js';
import type { Host, LoadBalancerContext } from './types.js';

/** Picks one host from a non-empty candidate list (the cluster's load-balancing set). */
export interface LoadBalancer {
  pick(hosts: readonly Host[], context?: LoadBalancerContext): Host;
}

export interface LoadBalancerFactoryContext {
  readonly cluster: ClusterConfig;
  /** `cluster.<name>.`: where a balancer puts its stats (`ring_hash_lb.size`...). */
  readonly clusterStats: StatsScope;
}

/**
 * A load-balancing policy extension (`envoy.load_balancing_policies.*`), chosen by a cluster's
 * `load_balancing_policy` (by `@type`) or by the `lb_policy` enum value it stands for.
 */
export interface LoadBalancingPolicyFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.loadBalancingPolicy;
  /** The `lb_policy` value that means this policy (`RING_HASH`), if one does. */
  readonly lbPolicy?: string;
  /**
   * Its config as the cluster's own fields give it (`ring_hash_lb_config`, `common_lb_config`),
   * for the `lb_policy` form; problems go to `report`, against the object they are in.
   */
  configFromCluster?(cluster: ClusterConfig, report: (target: object, field: string, message: string) => void): C;
  createLoadBalancer(config: C, context: LoadBalancerFactoryContext): LoadBalancer;
}

/** Each host's share of the total weight, and the smallest and largest share (Envoy's normalized weights). */
export function normalizedWeights(hosts: readonly Host[]): { readonly weights: readonly number[]; readonly min: number; readonly max: number } {
  let total = 0;
  for (const host of hosts) total += host.weight;
  const weights = hosts.map((host) => host.weight / total);
  return { weights, min: Math.min(...weights), max: Math.max(...weights) };
}

/**
 * What consistent hashing hashes a host by: its hostname when asked, else the `hash_key` in its
 * `envoy.lb` metadata, else its address (`127.0.0.1:8080`), as Envoy's `hashKey`.
 */
export function hostHashKey(host: Host, useHostname: boolean): string {
  if (useHostname) return host.hostname;
  const key = host.metadata['envoy.lb']?.['hash_key'];
  return typeof key === 'string' ? key : host.address.asString;
}

/** What a hashing balancer builds from a host set: a ring, a table. */
export interface HashedHostSet {
  choose(hash: bigint): Host | undefined;
}

/**
 * A balancer that builds a structure once per host set and picks by the request's hash (a
 * random one when it has none). The cluster hands the same array, one per priority level,
 * until its hosts or their health change, so each set is built once; `onBuilt` reports it.
 */
export function hashingBalancer<T extends HashedHostSet>(build: (hosts: readonly Host[]) => T, onBuilt: (built: T) => void): LoadBalancer {
  const built = new WeakMap<readonly Host[], T>();
  return {
    pick(hosts, context) {
      let set = built.get(hosts);
      if (!set) {
        set = build(hosts);
        built.set(hosts, set);
        onBuilt(set);
      }
      return set.choose(context?.hashKey?.() ?? randomHash64()) ?? (hosts[0] as Host);
    },
  };
}
