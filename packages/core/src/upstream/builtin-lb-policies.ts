import { schema } from '../config/schema/index.js';
import type { FieldType, MessageValue } from '../config/schema/types.js';
import type { MessageType } from '../config/schema/message.js';
import { Category } from '../registry/categories.js';
import { LeastRequestLoadBalancer, RandomLoadBalancer, RoundRobinLoadBalancer } from './load-balancer.js';
import type { LoadBalancingPolicyFactory } from './load-balancing-policy.js';

const { message, uint32 } = schema;
const T = 'type.googleapis.com/envoy.extensions.load_balancing_policies.';
/** Tuning Envoy's balancers take that changes no host choice nodevoy makes: accepted, documented as no-ops. */
const IGNORED = ['locality_lb_config', 'slow_start_config', 'active_request_bias', 'selection_method', 'enable_full_scan'];

const roundRobinSchema = message('envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin', {}, { ignored: IGNORED });
const randomSchema = message('envoy.extensions.load_balancing_policies.random.v3.Random', {}, { ignored: IGNORED });
const leastRequestSchema = message('envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest', { choice_count: uint32({ gte: 2 }) }, { ignored: IGNORED });

/** One of core's balancers as a policy extension: `envoy.load_balancing_policies.<kind>`, its `@type` and `lb_policy` value. */
function builtinPolicy<F extends Record<string, FieldType<unknown>>>(
  kind: string,
  typeName: string,
  lbPolicy: string,
  configSchema: MessageType<F>,
  createLoadBalancer: LoadBalancingPolicyFactory<MessageValue<F>>['createLoadBalancer'],
  configFromCluster?: LoadBalancingPolicyFactory<MessageValue<F>>['configFromCluster'],
): LoadBalancingPolicyFactory<MessageValue<F>> {
  return {
    name: `envoy.load_balancing_policies.${kind}`,
    category: Category.loadBalancingPolicy,
    typeUrls: [`${T}${kind}.v3.${typeName}`],
    configSchema,
    lbPolicy,
    createLoadBalancer,
    ...(configFromCluster ? { configFromCluster } : {}),
  };
}

/** `lb_policy: ROUND_ROBIN` (the default). */
export const roundRobinPolicy = builtinPolicy('round_robin', 'RoundRobin', 'ROUND_ROBIN', roundRobinSchema, () => new RoundRobinLoadBalancer());

/** `lb_policy: LEAST_REQUEST`, with `least_request_lb_config.choice_count`. */
export const leastRequestPolicy = builtinPolicy(
  'least_request',
  'LeastRequest',
  'LEAST_REQUEST',
  leastRequestSchema,
  (config) => new LeastRequestLoadBalancer(config.choice_count ?? 2),
  (cluster) => {
    const choiceCount = cluster.least_request_lb_config?.choice_count;
    return choiceCount !== undefined ? { choice_count: choiceCount } : {};
  },
);

/** `lb_policy: RANDOM`. */
export const randomPolicy = builtinPolicy('random', 'Random', 'RANDOM', randomSchema, () => new RandomLoadBalancer());

/** The balancers every registry has: core's own, the ones a cluster falls back to. */
export const BUILTIN_LB_POLICIES: readonly LoadBalancingPolicyFactory[] = [roundRobinPolicy, leastRequestPolicy, randomPolicy] as LoadBalancingPolicyFactory[];
