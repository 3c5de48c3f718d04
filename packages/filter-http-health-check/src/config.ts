import { schema, type MessageValue, percentSchema } from '@nodevoy/core';
import { headerMatcherSchema } from '@nodevoy/filter-http-connection-manager';

const { message, required, bool, repeated, duration, mapOf } = schema;

/** `envoy.extensions.filters.http.health_check.v3.HealthCheck`. */
export const healthCheckSchema = message('envoy.extensions.filters.http.health_check.v3.HealthCheck', {
  pass_through_mode: required(bool()),
  cache_time: duration(),
  cluster_min_healthy_percentages: mapOf(percentSchema),
  headers: repeated(headerMatcherSchema),
});
export type HealthCheckConfig = MessageValue<typeof healthCheckSchema.fields>;
