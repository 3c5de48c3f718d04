import { regexMatchAndSubstituteSchema, schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, duration, repeated, required } = schema;

/** `envoy.config.route.v3.RouteAction.HashPolicy`: what a request is hashed by for RING_HASH and MAGLEV. */
export const hashPolicySchema = message(
  'envoy.config.route.v3.RouteAction.HashPolicy',
  {
    header: message('envoy.config.route.v3.RouteAction.HashPolicy.Header', {
      header_name: required(string({ minLen: 1 })),
      regex_rewrite: regexMatchAndSubstituteSchema,
    }),
    cookie: message('envoy.config.route.v3.RouteAction.HashPolicy.Cookie', {
      name: required(string({ minLen: 1 })),
      ttl: duration(),
      path: string(),
      attributes: repeated(message('envoy.config.route.v3.RouteAction.HashPolicy.CookieAttribute', { name: required(string({ minLen: 1 })), value: string() })),
    }),
    connection_properties: message('envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties', { source_ip: bool() }),
    query_parameter: message('envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter', { name: required(string({ minLen: 1 })) }),
    filter_state: message('envoy.config.route.v3.RouteAction.HashPolicy.FilterState', { key: required(string({ minLen: 1 })) }),
    terminal: bool(),
  },
  { oneofs: [{ fields: ['header', 'cookie', 'connection_properties', 'query_parameter', 'filter_state'], required: true }] },
);
export type HashPolicyConfig = MessageValue<typeof hashPolicySchema.fields>;
