import type { ClusterConfig } from '../config/envoy/cluster.js';
import { Category } from '../registry/categories.js';
import { knownExtensionByName } from '../registry/known-extensions.js';
import type { ExtensionRegistry } from '../registry/registry.js';
import type { ConfigIssueReporter } from '../server/context.js';
import type { StatsScope } from '../stats/store.js';
import type { LoadBalancer, LoadBalancingPolicyFactory } from './load-balancing-policy.js';

/** The extension each `lb_policy` value stands for. */
const LB_POLICY_EXTENSIONS: Readonly<Record<string, string>> = {
  ROUND_ROBIN: 'envoy.load_balancing_policies.round_robin',
  LEAST_REQUEST: 'envoy.load_balancing_policies.least_request',
  RANDOM: 'envoy.load_balancing_policies.random',
  RING_HASH: 'envoy.load_balancing_policies.ring_hash',
  MAGLEV: 'envoy.load_balancing_policies.maglev',
};

/**
 * The balancer a cluster asks for: the first of `load_balancing_policy.policies`, else the
 * extension its `lb_policy` value stands for (round robin by default), configured from the
 * cluster's own fields. Undefined for `CLUSTER_PROVIDED` (the cluster type picks) or when the
 * config has problems, which go to `issues`.
 */
export function createClusterLoadBalancer(config: ClusterConfig, registry: ExtensionRegistry, clusterStats: StatsScope, issues: ConfigIssueReporter): LoadBalancer | undefined {
  const context = { cluster: config, clusterStats };
  const typed = config.load_balancing_policy?.policies?.[0]?.typed_extension_config?.typed;
  if (typed) return (typed.target as LoadBalancingPolicyFactory).createLoadBalancer(typed.config, context);
  const policy = config.lb_policy ?? 'ROUND_ROBIN';
  if (policy === 'CLUSTER_PROVIDED') return undefined;
  const name = LB_POLICY_EXTENSIONS[policy] ?? policy;
  const factory = registry.getByName<LoadBalancingPolicyFactory>(Category.loadBalancingPolicy, name);
  if (!factory) {
    const nodevoyPackage = knownExtensionByName(name)?.nodevoyPackage;
    issues.configIssue(config, 'lb_policy', `lb_policy ${policy} needs the ${name} extension, which is not loaded`, nodevoyPackage ? `load ${nodevoyPackage}` : 'nodevoy does not ship it');
    return undefined;
  }
  let valid = true;
  const report = (target: object, field: string, message: string) => {
    valid = false;
    issues.configIssue(target, field, message);
  };
  const policyConfig = factory.configFromCluster ? factory.configFromCluster(config, report) : {};
  return valid ? factory.createLoadBalancer(policyConfig, context) : undefined;
}
