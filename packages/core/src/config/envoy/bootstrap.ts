import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';
import { addressSchema, socketOptionSchema } from './address.js';
import { clusterSchema, localitySchema } from './cluster.js';
import { listenerSchema } from './listener.js';
import { overloadManagerSchema } from './overload.js';
import { apiConfigSourceSchema, xdsConfigSourceSchema } from './config-source.js';
import { SECRET_TYPE_URL } from '../../secrets/secret-manager.js';

const { message, string, repeated, struct, required, uint64, bool } = schema;

const NOT_YET = 'not implemented by nodevoy yet';
const NO_XDS = 'not implemented by nodevoy yet (nodevoy takes listeners and clusters from xDS, not this)';

export const nodeSchema = message(
  'envoy.config.core.v3.Node',
  {
    id: string(),
    cluster: string(),
    metadata: struct(),
    locality: localitySchema,
    user_agent_name: string(),
    user_agent_version: string(),
    client_features: repeated(string()),
  },
  { ignored: ['dynamic_parameters', 'user_agent_build_version', 'extensions', 'listening_addresses'] },
);
export type NodeConfig = MessageValue<typeof nodeSchema.fields>;

export const adminSchema = message(
  'envoy.config.bootstrap.v3.Admin',
  {
    address: addressSchema,
    access_log_path: string(),
    profile_path: string(),
    socket_options: repeated(socketOptionSchema),
    ignore_global_conn_limit: bool(),
  },
  { unsupported: { access_log: NOT_YET, allow_paths: NOT_YET } },
);
export type AdminConfig = MessageValue<typeof adminSchema.fields>;

export const runtimeLayerSchema = message(
  'envoy.config.bootstrap.v3.RuntimeLayer',
  {
    name: required(string({ minLen: 1 })),
    static_layer: struct(),
    admin_layer: schema.empty('envoy.config.bootstrap.v3.RuntimeLayer.AdminLayer'),
  },
  {
    oneofs: [{ fields: ['static_layer', 'admin_layer'], required: true }],
    unsupported: { disk_layer: NOT_YET, rtds_layer: NO_XDS },
  },
);

export const layeredRuntimeSchema = message('envoy.config.bootstrap.v3.LayeredRuntime', {
  layers: repeated(runtimeLayerSchema),
});
export type LayeredRuntimeConfig = MessageValue<typeof layeredRuntimeSchema.fields>;

export const bootstrapExtensionSchema = schema.extensionEntry('envoy.config.core.v3.TypedExtensionConfig', Category.bootstrap);

export const staticResourcesSchema = message('envoy.config.bootstrap.v3.Bootstrap.StaticResources', {
  listeners: repeated(listenerSchema),
  clusters: repeated(clusterSchema),
  /** TLS secrets, their schema the TLS transport socket's. */
  secrets: repeated(schema.registeredMessage(Category.configResource, SECRET_TYPE_URL)),
});

/** `envoy.config.bootstrap.v3.Bootstrap.DynamicResources`: where listeners and clusters come from at run time. */
export const dynamicResourcesSchema = message(
  'envoy.config.bootstrap.v3.Bootstrap.DynamicResources',
  {
    lds_config: xdsConfigSourceSchema,
    cds_config: xdsConfigSourceSchema,
    ads_config: apiConfigSourceSchema,
  },
  { unsupported: { lds_resources_locator: 'xdstp:// resource locators are not implemented by nodevoy yet', cds_resources_locator: 'xdstp:// resource locators are not implemented by nodevoy yet' } },
);
export type DynamicResourcesConfig = MessageValue<typeof dynamicResourcesSchema.fields>;

export const bootstrapSchema = message(
  'envoy.config.bootstrap.v3.Bootstrap',
  {
    node: nodeSchema,
    static_resources: staticResourcesSchema,
    dynamic_resources: dynamicResourcesSchema,
    admin: adminSchema,
    overload_manager: overloadManagerSchema,
    layered_runtime: layeredRuntimeSchema,
    bootstrap_extensions: repeated(bootstrapExtensionSchema),
    stats_sinks: repeated(schema.extensionEntry('envoy.config.metrics.v3.StatsSink', Category.statsSink)),
    stats_flush_interval: schema.duration({ gteMs: 1, lteMs: 300_000 }),
    // The tracer of connection managers whose `tracing` names no provider (Envoy's deprecated form).
    tracing: message('envoy.config.trace.v3.Tracing', { http: schema.extensionEntry('envoy.config.trace.v3.Tracing.Http', Category.tracer) }),
    stats_server_version_override: uint64(),
  },
  {
    // Tuning knobs of Envoy's C++ runtime that have no meaning in Node.js; accepted so
    // existing configs load, documented as no-ops.
    ignored: [
      'node_context_params',
      'stats_flush_on_admin',
      'watchdog',
      'watchdogs',
      'enable_dispatcher_stats',
      'perf_tracing_file_path',
      'deferred_stat_options',
    ],
    unsupported: {
      cluster_manager: NOT_YET,
      hds_config: NO_XDS,
      flags_path: NOT_YET,
      stats_config: NOT_YET,
      header_prefix: NOT_YET,
      use_tcp_for_dns_lookups: 'nodevoy uses the system resolver',
      dns_resolution_config: 'nodevoy uses the system resolver',
      typed_dns_resolver_config: 'nodevoy uses the system resolver',
      fatal_actions: NOT_YET,
      config_sources: NO_XDS,
      default_config_source: NO_XDS,
      default_socket_interface: NOT_YET,
      certificate_provider_instances: NOT_YET,
      inline_headers: NOT_YET,
      default_regex_engine: NOT_YET,
      xds_delegate_extension: NO_XDS,
      xds_config_tracker_extension: NO_XDS,
      listener_manager: NOT_YET,
      application_log_config: NOT_YET,
      grpc_async_client_manager_config: NOT_YET,
      memory_allocator_manager: NOT_YET,
    },
  },
);
export type BootstrapConfig = MessageValue<typeof bootstrapSchema.fields>;
