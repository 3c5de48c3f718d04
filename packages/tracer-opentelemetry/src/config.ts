import { grpcServiceSchema, schema, type MessageValue } from '@nodevoy/core';
import { httpServiceSchema } from '@nodevoy/http';

const { message, string } = schema;

export const openTelemetryConfigSchema = message(
  'envoy.config.trace.v3.OpenTelemetryConfig',
  { grpc_service: grpcServiceSchema, http_service: httpServiceSchema, service_name: string() },
  {
    oneofs: [{ fields: ['grpc_service', 'http_service'] }],
    unsupported: {
      resource_detectors: 'resource detectors are not implemented by nodevoy yet',
      sampler: 'samplers are not implemented by nodevoy yet: sampling follows the connection manager\'s tracing percentages',
    },
    ignored: ['max_cache_size'],
  },
);
export type OpenTelemetryConfig = MessageValue<typeof openTelemetryConfigSchema.fields>;
