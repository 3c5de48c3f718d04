import { Category, extensionPackage, type NodevoyExtension, type TracerFactory } from '@nodevoy/core';
import { openTelemetryConfigSchema, type OpenTelemetryConfig } from './config.js';
import { OpenTelemetryTracer } from './otel-tracer.js';

/** `envoy.tracers.opentelemetry`. */
export const openTelemetryTracer: TracerFactory<OpenTelemetryConfig> = {
  name: 'envoy.tracers.opentelemetry',
  category: Category.tracer,
  typeUrls: ['type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig'],
  configSchema: openTelemetryConfigSchema,
  createTracer: (config, server) => new OpenTelemetryTracer(config, server),
};

export { OpenTelemetryTracer } from './otel-tracer.js';

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(openTelemetryTracer);
  },
};
