import { Category, extensionPackage, schema, type NodevoyExtension, type XdsMuxFactory } from '@nodevoy/core';
import { DeltaGrpcMux } from './delta-mux.js';
import { SotwGrpcMux } from './sotw-mux.js';

/**
 * `envoy.config_mux.sotw_grpc_factory`: xDS state of the world over gRPC, aggregated (ADS,
 * `api_type: GRPC` in `ads_config`, or `AGGREGATED_GRPC`) or one stream per resource type.
 */
export const sotwGrpcMux: XdsMuxFactory = {
  name: 'envoy.config_mux.sotw_grpc_factory',
  category: Category.configMux,
  typeUrls: [],
  configSchema: schema.empty('envoy.config_mux.sotw_grpc_factory'),
  apiTypes: ['GRPC', 'AGGREGATED_GRPC'],
  createMux(source, context) {
    return new SotwGrpcMux(source, context.server, context.aggregated || source.api_type === 'AGGREGATED_GRPC', context.server.log.child('xds'));
  },
};

/**
 * `envoy.config_mux.delta_grpc_factory`: incremental xDS over gRPC, aggregated (`api_type:
 * DELTA_GRPC` in `ads_config`, or `AGGREGATED_DELTA_GRPC`) or one stream per resource type.
 */
export const deltaGrpcMux: XdsMuxFactory = {
  name: 'envoy.config_mux.delta_grpc_factory',
  category: Category.configMux,
  typeUrls: [],
  configSchema: schema.empty('envoy.config_mux.delta_grpc_factory'),
  apiTypes: ['DELTA_GRPC', 'AGGREGATED_DELTA_GRPC'],
  createMux(source, context) {
    return new DeltaGrpcMux(source, context.server, context.aggregated || source.api_type === 'AGGREGATED_DELTA_GRPC', context.server.log.child('xds'));
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(sotwGrpcMux).add(deltaGrpcMux);
  },
};

export { loadEnvoyProtos } from './proto-root.js';
export { toProto3Json } from './proto3-json.js';
export { grpcJs } from './lazy-modules.js';
