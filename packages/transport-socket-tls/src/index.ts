import { Category, extensionPackage, type ConfigOnlyFactory, type NodevoyExtension, type TransportSocketFactory } from '@nodevoy/core';
import {
  DOWNSTREAM_TLS_CONTEXT_URL,
  UPSTREAM_TLS_CONTEXT_URL,
  downstreamTlsContextSchema,
  secretSchema,
  upstreamTlsContextSchema,
  type DownstreamTlsContextConfig,
  type SecretConfig,
  type UpstreamTlsContextConfig,
} from './config/contexts.js';
import { DownstreamTls } from './downstream.js';
import { UpstreamTls } from './upstream.js';

/** `envoy.transport_sockets.tls` on a cluster: `UpstreamTlsContext`. */
export const upstreamTlsTransportSocket: TransportSocketFactory<UpstreamTlsContextConfig> = {
  name: 'envoy.transport_sockets.tls',
  category: Category.transportSocket,
  typeUrls: [UPSTREAM_TLS_CONTEXT_URL],
  configSchema: upstreamTlsContextSchema,
  createUpstream: (config, context) => new UpstreamTls(config, context),
};

/** `envoy.transport_sockets.tls` on a filter chain: `DownstreamTlsContext`. */
export const downstreamTlsTransportSocket: TransportSocketFactory<DownstreamTlsContextConfig> = {
  name: 'envoy.transport_sockets.tls',
  category: Category.transportSocket,
  typeUrls: [DOWNSTREAM_TLS_CONTEXT_URL],
  configSchema: downstreamTlsContextSchema,
  createDownstream: (config, context) => new DownstreamTls(config, context),
};

/** The `Secret` resource type: what `static_resources.secrets` and SDS files hold. */
export const secretResource: ConfigOnlyFactory<SecretConfig> = {
  name: 'envoy.extensions.transport_sockets.tls.v3.Secret',
  category: Category.configResource,
  typeUrls: ['type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'],
  configSchema: secretSchema,
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(upstreamTlsTransportSocket).add(downstreamTlsTransportSocket).add(secretResource);
  },
};

export type { DownstreamTlsContextConfig, SecretConfig, UpstreamTlsContextConfig } from './config/contexts.js';
