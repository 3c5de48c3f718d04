import { runtimeFractionalPercentSchema, schema, stringMatcherSchema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, repeated } = schema;

/**
 * The fields of a CORS policy: the cors filter's per-route config
 * (`envoy.extensions.filters.http.cors.v3.CorsPolicy`) and the deprecated `cors` field of
 * virtual hosts and routes (`envoy.config.route.v3.CorsPolicy`), which Envoy still reads.
 */
const corsPolicyFields = {
  allow_origin_string_match: repeated(stringMatcherSchema),
  allow_methods: string(),
  allow_headers: string(),
  expose_headers: string(),
  max_age: string(),
  allow_credentials: bool(),
  filter_enabled: runtimeFractionalPercentSchema,
  shadow_enabled: runtimeFractionalPercentSchema,
  allow_private_network_access: bool(),
  forward_not_matching_preflights: bool(),
};

export const corsPolicySchema = (typeName: string) => message(typeName, corsPolicyFields);
export type CorsPolicyConfig = MessageValue<typeof corsPolicyFields>;

export const routeCorsPolicySchema = corsPolicySchema('envoy.config.route.v3.CorsPolicy');
