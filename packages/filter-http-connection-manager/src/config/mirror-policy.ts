import { runtimeFractionalPercentSchema, schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool } = schema;

/** `envoy.config.route.v3.RouteAction.RequestMirrorPolicy`: a copy of each request to another cluster. */
export const requestMirrorPolicySchema = message(
  'envoy.config.route.v3.RouteAction.RequestMirrorPolicy',
  {
    cluster: string({ minLen: 1 }),
    cluster_header: string({ minLen: 1 }),
    runtime_fraction: runtimeFractionalPercentSchema,
    disable_shadow_host_suffix_append: bool(),
  },
  {
    oneofs: [{ fields: ['cluster', 'cluster_header'], required: true }],
    // Shadow requests carry no trace context in nodevoy: there is no span for it to sample.
    ignored: ['trace_sampled'],
    unsupported: { request_headers_mutations: 'not implemented by nodevoy yet' },
  },
);
export type RequestMirrorPolicyConfig = MessageValue<typeof requestMirrorPolicySchema.fields>;
