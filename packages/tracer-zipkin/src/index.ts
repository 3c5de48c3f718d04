import { Category, extensionPackage, type NodevoyExtension, type TracerFactory } from '@nodevoy/core';
import { zipkinConfigSchema, type ZipkinConfig } from './config.js';
import { ZipkinTracer } from './zipkin-tracer.js';

/** `envoy.tracers.zipkin`. */
export const zipkinTracer: TracerFactory<ZipkinConfig> = {
  name: 'envoy.tracers.zipkin',
  category: Category.tracer,
  typeUrls: ['type.googleapis.com/envoy.config.trace.v3.ZipkinConfig'],
  configSchema: zipkinConfigSchema,
  createTracer(config, server) {
    if (server.bootstrap.dynamic_resources?.cds_config === undefined && !server.clusterManager.hasCluster(config.collector_cluster)) {
      server.configIssue(config, 'collector_cluster', `envoy.tracers.zipkin: unknown cluster '${config.collector_cluster}'`, 'define it in static_resources.clusters');
    }
    return new ZipkinTracer(config, server);
  },
};

export { ZipkinTracer } from './zipkin-tracer.js';

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(zipkinTracer);
  },
};
