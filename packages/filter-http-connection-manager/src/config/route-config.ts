import { metadataSchema, regexMatcherSchema, schema, type MessageValue } from '@nodevoy/core';
import { headersToAdd, headersToRemove } from '@nodevoy/http';
import { HTTP_FILTER_ROUTE_CONFIG_CATEGORY } from '../routing/per-filter-configs.js';
import { routeCorsPolicySchema } from './cors-policy.js';
import { headerMatcherSchema } from './matchers.js';
import { retryPolicySchema } from './retry-policy.js';
import { hashPolicySchema } from './hash-policy.js';
import { requestMirrorPolicySchema } from './mirror-policy.js';
import { routeTracingSchema } from '../tracing/tracing-config.js';

const { message, string, bool, repeated, required, uint32, enumOf, duration } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

/** `typed_per_filter_config`: per HTTP filter name, its config here (see PerFilterConfigs). */
const typedPerFilterConfig = () => schema.mapOf(schema.typedConfig(HTTP_FILTER_ROUTE_CONFIG_CATEGORY));

export const connectConfigSchema = message(
  'envoy.config.route.v3.RouteAction.UpgradeConfig.ConnectConfig',
  { allow_post: bool() },
  { unsupported: { proxy_protocol_config: NOT_YET } },
);

export const upgradeConfigSchema = message(
  'envoy.config.route.v3.RouteAction.UpgradeConfig',
  {
    upgrade_type: required(string({ minLen: 1 })),
    enabled: bool(),
    connect_config: connectConfigSchema,
  },
);
export type RouteUpgradeConfig = MessageValue<typeof upgradeConfigSchema.fields>;

export const routeMatchSchema = message(
  'envoy.config.route.v3.RouteMatch',
  {
    prefix: string(),
    path: string(),
    safe_regex: regexMatcherSchema,
    connect_matcher: schema.empty('envoy.config.route.v3.RouteMatch.ConnectMatcher'),
    path_separated_prefix: string({ pattern: /^[^?#]+[^?#/]$/ }),
    case_sensitive: bool(),
    headers: repeated(headerMatcherSchema),
    grpc: schema.empty('envoy.config.route.v3.RouteMatch.GrpcRouteMatchOptions'),
  },
  {
    oneofs: [{ fields: ['prefix', 'path', 'safe_regex', 'connect_matcher', 'path_separated_prefix'], required: true }],
    unsupported: {
      query_parameters: NOT_YET,
      runtime_fraction: NOT_YET,
      tls_context: NOT_YET,
      dynamic_metadata: NOT_YET,
      path_match_policy: NOT_YET,
      filter_state: NOT_YET,
    },
  },
);
export type RouteMatchConfig = MessageValue<typeof routeMatchSchema.fields>;

export const weightedClustersSchema = message(
  'envoy.config.route.v3.WeightedCluster',
  {
    clusters: required(
      repeated(
        message(
          'envoy.config.route.v3.WeightedCluster.ClusterWeight',
          {
            name: required(string({ minLen: 1 })),
            weight: uint32(),
            request_headers_to_add: headersToAdd(),
            request_headers_to_remove: headersToRemove(),
            response_headers_to_add: headersToAdd(),
            response_headers_to_remove: headersToRemove(),
            typed_per_filter_config: typedPerFilterConfig(),
          },
          { unsupported: { cluster_header: NOT_YET, metadata_match: NOT_YET, host_rewrite_literal: NOT_YET } },
        ),
        { minItems: 1 },
      ),
    ),
    total_weight: uint32({ gte: 1 }),
    runtime_key_prefix: string(),
  },
  { unsupported: { header_name: NOT_YET, random_value_specifier: NOT_YET } },
);
export type WeightedClustersConfig = MessageValue<typeof weightedClustersSchema.fields>;

export const routeActionSchema = message(
  'envoy.config.route.v3.RouteAction',
  {
    cluster: string({ minLen: 1 }),
    cluster_header: string({ minLen: 1 }),
    weighted_clusters: weightedClustersSchema,
    cluster_not_found_response_code: enumOf('envoy.config.route.v3.RouteAction.ClusterNotFoundResponseCode', [
      'SERVICE_UNAVAILABLE',
      'NOT_FOUND',
      'INTERNAL_SERVER_ERROR',
    ] as const),
    prefix_rewrite: string(),
    host_rewrite_literal: string(),
    auto_host_rewrite: bool(),
    timeout: duration(),
    idle_timeout: duration(),
    upgrade_configs: repeated(upgradeConfigSchema),
    priority: enumOf('envoy.config.core.v3.RoutingPriority', ['DEFAULT', 'HIGH'] as const),
    cors: routeCorsPolicySchema,
    retry_policy: retryPolicySchema,
    hash_policy: repeated(hashPolicySchema),
    request_mirror_policies: repeated(requestMirrorPolicySchema),
    max_stream_duration: message(
      'envoy.config.route.v3.RouteAction.MaxStreamDuration',
      { max_stream_duration: duration() },
      { unsupported: { grpc_timeout_header_max: NOT_YET, grpc_timeout_header_offset: NOT_YET } },
    ),
  },
  {
    oneofs: [{ fields: ['cluster', 'cluster_header', 'weighted_clusters'], required: true }],
    unsupported: {
      regex_rewrite: NOT_YET,
      metadata_match: NOT_YET,
      host_rewrite_header: NOT_YET,
      host_rewrite_path_regex: NOT_YET,
      rate_limits: NOT_YET,
      internal_redirect_policy: NOT_YET,
      cluster_specifier_plugin: NOT_YET,
      inline_cluster_specifier_plugin: NOT_YET,
    },
  },
);
export type RouteActionConfig = MessageValue<typeof routeActionSchema.fields>;

export const redirectActionSchema = message('envoy.config.route.v3.RedirectAction', {
  scheme_redirect: string(),
  https_redirect: bool(),
  host_redirect: string(),
  port_redirect: uint32({ lte: 65535 }),
  path_redirect: string(),
  prefix_rewrite: string(),
  response_code: enumOf('envoy.config.route.v3.RedirectAction.RedirectResponseCode', [
    'MOVED_PERMANENTLY',
    'FOUND',
    'SEE_OTHER',
    'TEMPORARY_REDIRECT',
    'PERMANENT_REDIRECT',
  ] as const),
  strip_query: bool(),
});
export type RedirectActionConfig = MessageValue<typeof redirectActionSchema.fields>;

export const directResponseSchema = message('envoy.config.route.v3.DirectResponseAction', {
  status: required(uint32({ gte: 200, lt: 600 })),
  body: message(
    'envoy.config.core.v3.DataSource',
    { inline_string: string(), inline_bytes: string(), filename: string({ minLen: 1 }), environment_variable: string({ minLen: 1 }) },
    { oneofs: [{ fields: ['inline_string', 'inline_bytes', 'filename', 'environment_variable'] }] },
  ),
});
export type DirectResponseConfig = MessageValue<typeof directResponseSchema.fields>;

export const routeSchema = message(
  'envoy.config.route.v3.Route',
  {
    name: string(),
    match: required(routeMatchSchema),
    route: routeActionSchema,
    redirect: redirectActionSchema,
    direct_response: directResponseSchema,
    metadata: metadataSchema,
    decorator: message('envoy.config.route.v3.Decorator', { operation: required(string({ minLen: 1 })), propagate: bool() }),
    tracing: routeTracingSchema,
    request_headers_to_add: headersToAdd(),
    request_headers_to_remove: headersToRemove(),
    response_headers_to_add: headersToAdd(),
    response_headers_to_remove: headersToRemove(),
    typed_per_filter_config: typedPerFilterConfig(),
  },
  {
    oneofs: [{ fields: ['route', 'redirect', 'direct_response'], required: true }],
    unsupported: {
      per_request_buffer_limit_bytes: NOT_YET,
      filter_action: NOT_YET,
      non_forwarding_action: NOT_YET,
    },
  },
);
export type RouteConfig = MessageValue<typeof routeSchema.fields>;

export const virtualHostSchema = message(
  'envoy.config.route.v3.VirtualHost',
  {
    name: required(string({ minLen: 1 })),
    domains: required(repeated(string({ minLen: 1 }), { minItems: 1 })),
    routes: repeated(routeSchema),
    request_headers_to_add: headersToAdd(),
    request_headers_to_remove: headersToRemove(),
    response_headers_to_add: headersToAdd(),
    response_headers_to_remove: headersToRemove(),
    require_tls: enumOf('envoy.config.route.v3.VirtualHost.TlsRequirementType', ['NONE', 'EXTERNAL_ONLY', 'ALL'] as const, {
      EXTERNAL_ONLY: NOT_YET,
      ALL: NOT_YET,
    }),
    cors: routeCorsPolicySchema,
    typed_per_filter_config: typedPerFilterConfig(),
    retry_policy: retryPolicySchema,
  },
  {
    unsupported: {
      matcher: 'use routes',
      virtual_clusters: NOT_YET,
      rate_limits: NOT_YET,
      hedge_policy: NOT_YET,
    },
  },
);
export type VirtualHostConfig = MessageValue<typeof virtualHostSchema.fields>;

export const routeConfigurationSchema = message(
  'envoy.config.route.v3.RouteConfiguration',
  {
    name: string(),
    virtual_hosts: repeated(virtualHostSchema),
    internal_only_headers: repeated(string()),
    request_headers_to_add: headersToAdd(),
    request_headers_to_remove: headersToRemove(),
    response_headers_to_add: headersToAdd(),
    response_headers_to_remove: headersToRemove(),
    most_specific_header_mutations_wins: bool(),
    validate_clusters: bool(),
    max_direct_response_body_size_bytes: uint32(),
    ignore_port_in_host_matching: bool(),
    typed_per_filter_config: typedPerFilterConfig(),
  },
  { unsupported: { vhds: 'VHDS needs xDS, which nodevoy does not implement', cluster_specifier_plugins: NOT_YET } },
);
export type RouteConfigurationConfig = MessageValue<typeof routeConfigurationSchema.fields>;
