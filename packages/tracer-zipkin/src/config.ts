import { schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, enumOf, required } = schema;

export const zipkinConfigSchema = message(
  'envoy.config.trace.v3.ZipkinConfig',
  {
    collector_cluster: required(string({ minLen: 1 })),
    collector_endpoint: required(string({ minLen: 1 })),
    trace_id_128bit: bool(),
    shared_span_context: bool(),
    collector_endpoint_version: enumOf('envoy.config.trace.v3.ZipkinConfig.CollectorEndpointVersion', ['DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE', 'HTTP_JSON', 'HTTP_PROTO', 'GRPC'] as const, {
      DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE: 'use HTTP_JSON',
      HTTP_PROTO: 'nodevoy reports Zipkin spans as HTTP_JSON only',
      GRPC: 'nodevoy reports Zipkin spans as HTTP_JSON only',
    }),
    collector_hostname: string(),
  },
  {
    ignored: ['split_spans_for_request'],
    unsupported: {
      collector_service: 'not implemented by nodevoy yet: use collector_cluster and collector_endpoint',
      trace_context_option: 'nodevoy propagates B3 headers only (Envoy\'s USE_B3)',
    },
  },
);
export type ZipkinConfig = MessageValue<typeof zipkinConfigSchema.fields>;
