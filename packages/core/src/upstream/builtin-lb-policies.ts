import { schema } from '../config/schema/index.js';
import type { MessageValue } from '../config/schema/types.js';
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

/** `envoy.load_balancing_policies.round_robin` (`lb_policy: ROUND_ROBIN`, the default). */
export const roundRobinPolicy: LoadBalancingPolicyFactory<MessageValue<typeof roundRobinSchema.fields>> = {
  name: 'envoy.load_balancing_policies.round_robin',
  category: Category.loadBalancingPolicy,
  typeUrls: [`${T}round_robin.v3.RoundRobin`],
  configSchema: roundRobinSchema,
  lbPolicy: 'ROUND_ROBIN',
  createLoadBalancer: () => new RoundRobinLoadBalancer(),
};

/** `envoy.load_balancing_policies.least_request` (`lb_policy: LEAST_REQUEST`, `least_request_lb_config.choice_count`). */
export const leastRequestPolicy: LoadBalancingPolicyFactory<MessageValue<typeof leastRequestSchema.fields>> = {
  name: 'envoy.load_balancing_policies.least_request',
  category: Category.loadBalancingPolicy,
  typeUrls: [`${T}least_request.v3.LeastRequest`],
  configSchema: leastRequestSchema,
  lbPolicy: 'LEAST_REQUEST',
  configFromCluster: (cluster) => {
    const choiceCount = cluster.least_request_lb_config?.choice_count;
    return choiceCount !== undefined ? { choice_count: choiceCount } : {};
  },
  createLoadBalancer: (config) => new LeastRequestLoadBalancer(config.choice_count ?? 2),
};

/** `envoy.load_balancing_policies.random` (`lb_policy: RANDOM`). */
export const randomPolicy: LoadBalancingPolicyFactory<MessageValue<typeof randomSchema.fields>> = {
  name: 'envoy.load_balancing_policies.random',
  category: Category.loadBalancingPolicy,
  typeUrls: [`${T}random.v3.Random`],
  configSchema: randomSchema,
  lbPolicy: 'RANDOM',
  createLoadBalancer: () => new RandomLoadBalancer(),
};

/** The balancers every registry has: core's own, the ones a cluster falls back to. */
export const BUILTIN_LB_POLICIES: readonly LoadBalancingPolicyFactory[] = [roundRobinPolicy, leastRequestPolicy, randomPolicy] as LoadBalancingPolicyFactory[];
