import { schema, type MessageValue } from '@nodevoy/core';
import { headerMatcherSchema } from '@nodevoy/filter-http-connection-manager';

const { message, required, bool, repeated, duration, mapOf, double } = schema;

/** `envoy.extensions.filters.http.health_check.v3.HealthCheck`. */
export const healthCheckSchema = message('envoy.extensions.filters.http.health_check.v3.HealthCheck', {
  pass_through_mode: required(bool()),
  cache_time: duration(),
  cluster_min_healthy_percentages: mapOf(message('envoy.type.v3.Percent', { value: double({ gte: 0, lte: 100 }) })),
  headers: repeated(headerMatcherSchema),
});
export type HealthCheckConfig = MessageValue<typeof healthCheckSchema.fields>;
