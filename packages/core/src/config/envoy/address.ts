import { isIP } from 'node:net';
import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, string, uint32, enumOf, bool, required } = schema;

export const socketAddressSchema = message(
  'envoy.config.core.v3.SocketAddress',
  {
    protocol: enumOf('envoy.config.core.v3.SocketAddress.Protocol', ['TCP', 'UDP'] as const, {
      UDP: 'nodevoy proxies TCP only',
    }),
    address: required(string({ minLen: 1 })),
    port_value: uint32({ lte: 65535 }),
    resolver_name: string(),
    ipv4_compat: bool(),
    network_namespace_filepath: string(),
  },
  {
    unsupported: { named_port: 'use port_value' },
    check(value, report) {
      if (value.resolver_name) report('resolver_name', 'custom resolvers are not supported by nodevoy', 'remove resolver_name');
      if (value.network_namespace_filepath) report('network_namespace_filepath', 'network namespaces are not supported by nodevoy');
    },
  },
);

export const envoyInternalAddressSchema = message('envoy.config.core.v3.EnvoyInternalAddress', {
  server_listener_name: string(),
  endpoint_id: string(),
});

export const addressSchema = message(
  'envoy.config.core.v3.Address',
  {
    socket_address: socketAddressSchema,
    envoy_internal_address: envoyInternalAddressSchema,
  },
  {
    oneofs: [{ fields: ['socket_address', 'envoy_internal_address'], required: true }],
    unsupported: { pipe: 'unix domain sockets are not supported by nodevoy yet' },
  },
);

export type SocketAddressConfig = MessageValue<typeof socketAddressSchema.fields>;
export type EnvoyInternalAddressConfig = MessageValue<typeof envoyInternalAddressSchema.fields>;
export type AddressConfig = MessageValue<typeof addressSchema.fields>;

export const cidrRangeSchema = message(
  'envoy.config.core.v3.CidrRange',
  { address_prefix: required(string({ minLen: 1 })), prefix_len: uint32({ lte: 128 }) },
  {
    check(value, report) {
      if (isIP(value.address_prefix) === 0) report('address_prefix', `malformed IP address: ${value.address_prefix}`);
    },
  },
);
export type CidrRangeConfig = MessageValue<typeof cidrRangeSchema.fields>;

export const metadataSchema = message(
  'envoy.config.core.v3.Metadata',
  { filter_metadata: schema.mapOf(schema.struct()) },
  { unsupported: { typed_filter_metadata: 'use filter_metadata' } },
);
export type MetadataConfig = MessageValue<typeof metadataSchema.fields>;

export const transportSocketSchema = schema.extensionEntry('envoy.config.core.v3.TransportSocket', Category.transportSocket);

export const socketOptionSchema = message('envoy.config.core.v3.SocketOption', {
  description: string(),
  level: schema.int64(),
  name: schema.int64(),
  int_value: schema.int64(),
  buf_value: string(),
  state: enumOf('envoy.config.core.v3.SocketOption.SocketState', ['STATE_PREBIND', 'STATE_BOUND', 'STATE_LISTENING'] as const),
  type: schema.struct(),
});

