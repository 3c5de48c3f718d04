import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';
import { addressSchema, cidrRangeSchema, metadataSchema, socketOptionSchema, transportSocketSchema } from './address.js';
import { accessLogSchema } from './format-string.js';

const { message, string, uint32, enumOf, bool, repeated, duration, struct } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const filterChainMatchSchema = message(
  'envoy.config.listener.v3.FilterChainMatch',
  {
    destination_port: uint32({ gte: 1, lte: 65535 }),
    prefix_ranges: repeated(cidrRangeSchema),
    direct_source_prefix_ranges: repeated(cidrRangeSchema),
    source_type: enumOf('envoy.config.listener.v3.FilterChainMatch.ConnectionSourceType', ['ANY', 'SAME_IP_OR_LOOPBACK', 'EXTERNAL'] as const),
    source_prefix_ranges: repeated(cidrRangeSchema),
    source_ports: repeated(uint32({ gte: 1, lte: 65535 })),
    server_names: repeated(string()),
    transport_protocol: string(),
    application_protocols: repeated(string()),
  },
  { unsupported: { address_suffix: NOT_YET, suffix_len: NOT_YET } },
);
export type FilterChainMatchConfig = MessageValue<typeof filterChainMatchSchema.fields>;

export const networkFilterSchema = schema.extensionEntry('envoy.config.listener.v3.Filter', Category.networkFilter, {
  config_discovery: 'extension config discovery (ECDS) is not supported by nodevoy',
});

export const filterChainSchema = message(
  'envoy.config.listener.v3.FilterChain',
  {
    filter_chain_match: filterChainMatchSchema,
    filters: repeated(networkFilterSchema),
    metadata: metadataSchema,
    transport_socket: transportSocketSchema,
    transport_socket_connect_timeout: duration(),
    name: string(),
  },
  {
    unsupported: {
      use_proxy_proto: 'use the envoy.filters.listener.proxy_protocol listener filter',
      on_demand_configuration: NOT_YET,
    },
  },
);
export type FilterChainConfig = MessageValue<typeof filterChainSchema.fields>;

export const listenerFilterSchema = schema.extensionEntry('envoy.config.listener.v3.ListenerFilter', Category.listenerFilter, {
  config_discovery: 'extension config discovery (ECDS) is not supported by nodevoy',
  filter_disabled: NOT_YET,
});

const connectionBalanceConfigSchema = message('envoy.config.listener.v3.Listener.ConnectionBalanceConfig', {
  exact_balance: schema.empty('envoy.config.listener.v3.Listener.ConnectionBalanceConfig.ExactBalance'),
  extend_balance: struct(),
});

export const listenerSchema = message(
  'envoy.config.listener.v3.Listener',
  {
    name: string(),
    address: addressSchema,
    stat_prefix: string(),
    filter_chains: repeated(filterChainSchema),
    default_filter_chain: filterChainSchema,
    per_connection_buffer_limit_bytes: uint32(),
    metadata: metadataSchema,
    drain_type: enumOf('envoy.config.listener.v3.Listener.DrainType', ['DEFAULT', 'MODIFY_ONLY'] as const),
    listener_filters: repeated(listenerFilterSchema),
    listener_filters_timeout: duration(),
    continue_on_listener_filters_timeout: bool(),
    transparent: bool(),
    freebind: bool(),
    socket_options: repeated(socketOptionSchema),
    tcp_fast_open_queue_length: uint32(),
    traffic_direction: enumOf('envoy.config.core.v3.TrafficDirection', ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'] as const),
    api_listener: struct(),
    connection_balance_config: connectionBalanceConfigSchema,
    reuse_port: bool(),
    enable_reuse_port: bool(),
    tcp_backlog_size: uint32(),
    max_connections_to_accept_per_socket_event: uint32({ gt: 0 }),
    bind_to_port: bool(),
    internal_listener: schema.empty('envoy.config.listener.v3.Listener.InternalListenerConfig'),
    enable_mptcp: bool(),
    ignore_global_conn_limit: bool(),
    bypass_overload_manager: bool(),
    access_log: repeated(accessLogSchema),
  },
  {
    unsupported: {
      additional_addresses: 'listen on one address per listener',
      filter_chain_matcher: 'use filter_chain_match',
      use_original_dst: NOT_YET,
      udp_listener_config: 'nodevoy proxies TCP only',
      fcds_config: NOT_YET,
    },
  },
);
export type ListenerConfig = MessageValue<typeof listenerSchema.fields>;
