import { percentSchema } from './fractional-percent.js';
import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';
import { addressSchema, metadataSchema, transportSocketSchema } from './address.js';
import { xdsConfigSourceSchema } from './config-source.js';
import { endpointHealthCheckSchema, healthCheckSchema } from './health-check.js';
import { outlierDetectionSchema } from './outlier-detection.js';

const { message, string, uint32, uint64, enumOf, bool, repeated, duration, struct, required, mapOf, typedConfig, extensionEntry } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const endpointSchema = message(
  'envoy.config.endpoint.v3.Endpoint',
  {
    address: addressSchema,
    hostname: string(),
    health_check_config: endpointHealthCheckSchema,
  },
  { unsupported: { additional_addresses: NOT_YET } },
);

export const healthStatusSchema = enumOf('envoy.config.core.v3.HealthStatus', [
  'UNKNOWN',
  'HEALTHY',
  'UNHEALTHY',
  'DRAINING',
  'TIMEOUT',
  'DEGRADED',
] as const);

export const lbEndpointSchema = message(
  'envoy.config.endpoint.v3.LbEndpoint',
  {
    endpoint: endpointSchema,
    health_status: healthStatusSchema,
    metadata: metadataSchema,
    load_balancing_weight: uint32({ gte: 1 }),
  },
  { unsupported: { endpoint_name: 'named endpoints need EDS, which nodevoy does not implement' } },
);
export type LbEndpointConfig = MessageValue<typeof lbEndpointSchema.fields>;

export const localitySchema = message('envoy.config.core.v3.Locality', {
  region: string(),
  zone: string(),
  sub_zone: string(),
});

export const localityLbEndpointsSchema = message(
  'envoy.config.endpoint.v3.LocalityLbEndpoints',
  {
    locality: localitySchema,
    lb_endpoints: repeated(lbEndpointSchema),
    load_balancing_weight: uint32({ gte: 1 }),
    priority: uint32({ lte: 128 }),
    proximity: uint32(),
    metadata: metadataSchema,
  },
  { unsupported: { leds_cluster_locality_config: NOT_YET } },
);
export type LocalityLbEndpointsConfig = MessageValue<typeof localityLbEndpointsSchema.fields>;

export const clusterLoadAssignmentSchema = message(
  'envoy.config.endpoint.v3.ClusterLoadAssignment',
  {
    cluster_name: required(string({ minLen: 1 })),
    endpoints: repeated(localityLbEndpointsSchema),
    policy: struct(),
  },
  { unsupported: { named_endpoints: NOT_YET } },
);
export type ClusterLoadAssignmentConfig = MessageValue<typeof clusterLoadAssignmentSchema.fields>;

export const thresholdsSchema = message('envoy.config.cluster.v3.CircuitBreakers.Thresholds', {
  priority: enumOf('envoy.config.core.v3.RoutingPriority', ['DEFAULT', 'HIGH'] as const),
  max_connections: uint32(),
  max_pending_requests: uint32(),
  max_requests: uint32(),
  max_retries: uint32(),
  retry_budget: message('envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget', {
    budget_percent: percentSchema,
    min_retry_concurrency: uint32(),
  }),
  track_remaining: bool(),
  max_connection_pools: uint32(),
});
export type CircuitBreakerThresholdsConfig = MessageValue<typeof thresholdsSchema.fields>;

export const discoveryTypes = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'] as const;
export type DiscoveryType = (typeof discoveryTypes)[number];

export const dnsLookupFamilies = ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'] as const;
export type DnsLookupFamily = (typeof dnsLookupFamilies)[number];

export const clusterSchema = message(
  'envoy.config.cluster.v3.Cluster',
  {
    name: required(string({ minLen: 1 })),
    alt_stat_name: string(),
    type: enumOf('envoy.config.cluster.v3.Cluster.DiscoveryType', discoveryTypes),
    connect_timeout: duration({ gtMs: 0 }),
    per_connection_buffer_limit_bytes: uint32(),
    lb_policy: enumOf(
      'envoy.config.cluster.v3.Cluster.LbPolicy',
      ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV', 'CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG'] as const,
      { LOAD_BALANCING_POLICY_CONFIG: 'set load_balancing_policy instead' },
    ),
    load_assignment: clusterLoadAssignmentSchema,
    circuit_breakers: message('envoy.config.cluster.v3.CircuitBreakers', {
      thresholds: repeated(thresholdsSchema),
      per_host_thresholds: repeated(thresholdsSchema),
    }),
    max_requests_per_connection: uint32(),
    http_protocol_options: struct(),
    http2_protocol_options: struct(),
    common_http_protocol_options: struct(),
    upstream_http_protocol_options: struct(),
    typed_extension_protocol_options: mapOf(typedConfig(Category.upstreamProtocolOptions)),
    dns_refresh_rate: duration({ gtMs: 1 }),
    dns_failure_refresh_rate: struct(),
    respect_dns_ttl: bool(),
    dns_lookup_family: enumOf('envoy.config.cluster.v3.Cluster.DnsLookupFamily', dnsLookupFamilies),
    wait_for_warm_on_init: bool(),
    cleanup_interval: duration({ gtMs: 0 }),
    transport_socket: transportSocketSchema,
    metadata: metadataSchema,
    upstream_connection_options: message(
      'envoy.config.cluster.v3.UpstreamConnectionOptions',
      {
        tcp_keepalive: message('envoy.config.core.v3.TcpKeepalive', { keepalive_probes: uint32(), keepalive_time: uint32(), keepalive_interval: uint32() }),
      },
      { ignored: ['set_local_interface_name_on_upstream_connections', 'happy_eyeballs_config'] },
    ),
    close_connections_on_host_health_failure: bool(),
    ignore_health_on_host_removal: bool(),
    connection_pool_per_downstream_connection: bool(),
    original_dst_lb_config: message(
      'envoy.config.cluster.v3.Cluster.OriginalDstLbConfig',
      { use_http_header: bool(), http_header_name: string(), upstream_port_override: uint32({ lte: 65535 }) },
      { unsupported: { metadata_key: 'not implemented by nodevoy yet' } },
    ),
    eds_cluster_config: message('envoy.config.cluster.v3.Cluster.EdsClusterConfig', {
      eds_config: xdsConfigSourceSchema,
      service_name: string(),
    }),
    health_checks: repeated(healthCheckSchema),
    outlier_detection: outlierDetectionSchema,
    least_request_lb_config: message('envoy.config.cluster.v3.Cluster.LeastRequestLbConfig', { choice_count: uint32({ gte: 2 }) }, { ignored: ['active_request_bias', 'slow_start_config'] }),
    round_robin_lb_config: struct(),
    ring_hash_lb_config: message('envoy.config.cluster.v3.Cluster.RingHashLbConfig', {
      minimum_ring_size: uint64({ lte: 8388608 }),
      maximum_ring_size: uint64({ lte: 8388608 }),
      hash_function: enumOf('envoy.config.cluster.v3.Cluster.RingHashLbConfig.HashFunction', ['XX_HASH', 'MURMUR_HASH_2'] as const, { MURMUR_HASH_2: 'nodevoy hashes with XX_HASH only' }),
    }),
    maglev_lb_config: message('envoy.config.cluster.v3.Cluster.MaglevLbConfig', { table_size: uint64({ lte: 5000011 }) }),
    load_balancing_policy: message('envoy.config.cluster.v3.LoadBalancingPolicy', {
      policies: repeated(message('envoy.config.cluster.v3.LoadBalancingPolicy.Policy', { typed_extension_config: required(extensionEntry('envoy.config.core.v3.TypedExtensionConfig', Category.loadBalancingPolicy)) }), { minItems: 1 }),
    }),
    common_lb_config: message(
      'envoy.config.cluster.v3.Cluster.CommonLbConfig',
      {
        healthy_panic_threshold: percentSchema,
        consistent_hashing_lb_config: message(
          'envoy.config.cluster.v3.Cluster.CommonLbConfig.ConsistentHashingLbConfig',
          { use_hostname_for_hashing: bool() },
          { unsupported: { hash_balance_factor: 'bounded loads are not implemented by nodevoy yet' } },
        ),
      },
      {
        ignored: ['update_merge_window', 'ignore_new_hosts_until_first_hc', 'close_connections_on_host_set_change', 'override_host_status', 'zone_aware_lb_config', 'locality_weighted_lb_config'],
      },
    ),
  },
  {
    unsupported: {
      transport_socket_matches: NOT_YET,
      cluster_type: 'custom cluster types are not supported by nodevoy',
      upstream_bind_config: NOT_YET,
      lb_subset_config: NOT_YET,
      dns_resolvers: 'nodevoy uses the system resolver',
      use_tcp_for_dns_lookups: 'nodevoy uses the system resolver',
      dns_resolution_config: 'nodevoy uses the system resolver',
      typed_dns_resolver_config: 'nodevoy uses the system resolver',
      filters: 'upstream network filters are not implemented by nodevoy yet',
      lrs_server: NOT_YET,
      track_timeout_budgets: NOT_YET,
      upstream_config: NOT_YET,
      track_cluster_stats: NOT_YET,
      preconnect_policy: NOT_YET,
      protocol_selection: NOT_YET,
    },
  },
);
export type ClusterConfig = MessageValue<typeof clusterSchema.fields>;
