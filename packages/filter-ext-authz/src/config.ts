import { grpcServiceSchema, runtimeFeatureFlagSchema, runtimeFractionalPercentSchema, schema, stringMatcherSchema, type MessageValue } from '@nodevoy/core';
import { httpStatusSchema, httpUriSchema } from '@nodevoy/http';

const { message, repeated, required, string, bool, uint32, mapOf, enumOf } = schema;

/** `envoy.type.matcher.v3.ListStringMatcher`: a header name matches any of the patterns. */
export const listStringMatcherSchema = message('envoy.type.matcher.v3.ListStringMatcher', {
  patterns: required(repeated(stringMatcherSchema, { minItems: 1 })),
});
export type ListStringMatcherConfig = MessageValue<typeof listStringMatcherSchema.fields>;

const apiVersionSchema = enumOf('envoy.config.core.v3.ApiVersion', ['AUTO', 'V2', 'V3'] as const, {
  V2: 'the v2 ext_authz API was removed from Envoy; use V3',
});

export const bufferSettingsSchema = message('envoy.extensions.filters.http.ext_authz.v3.BufferSettings', {
  max_request_bytes: required(uint32({ gt: 0 })),
  allow_partial_message: bool(),
  pack_as_bytes: bool(),
});
export type BufferSettingsConfig = MessageValue<typeof bufferSettingsSchema.fields>;

const headerValueSchema = message('envoy.config.core.v3.HeaderValue', { key: required(string({ minLen: 1 })), value: string() }, { unsupported: { raw_value: 'use value' } });

const httpServiceSchema = message(
  'envoy.extensions.filters.http.ext_authz.v3.HttpService',
  {
    server_uri: required(httpUriSchema),
    path_prefix: string(),
    authorization_request: message('envoy.extensions.filters.http.ext_authz.v3.AuthorizationRequest', {
      allowed_headers: listStringMatcherSchema,
      headers_to_add: repeated(headerValueSchema),
    }),
    authorization_response: message('envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse', {
      allowed_upstream_headers: listStringMatcherSchema,
      allowed_upstream_headers_to_append: listStringMatcherSchema,
      allowed_client_headers: listStringMatcherSchema,
      allowed_client_headers_on_success: listStringMatcherSchema,
      dynamic_metadata_from_headers: listStringMatcherSchema,
    }),
  },
  { unsupported: { retry_policy: 'not implemented by nodevoy yet' } },
);
export type HttpServiceConfig = MessageValue<typeof httpServiceSchema.fields>;

const NOT_YET = 'not implemented by nodevoy yet';

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`. */
export const httpExtAuthzSchema = message(
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
  {
    grpc_service: grpcServiceSchema,
    http_service: httpServiceSchema,
    transport_api_version: apiVersionSchema,
    failure_mode_allow: bool(),
    failure_mode_allow_header_add: bool(),
    with_request_body: bufferSettingsSchema,
    clear_route_cache: bool(),
    status_on_error: httpStatusSchema,
    metadata_context_namespaces: repeated(string()),
    filter_enabled: runtimeFractionalPercentSchema,
    deny_at_disable: runtimeFeatureFlagSchema,
    include_peer_certificate: bool(),
    include_tls_session: bool(),
    stat_prefix: string(),
    allowed_headers: listStringMatcherSchema,
    disallowed_headers: listStringMatcherSchema,
    charge_cluster_response_stats: bool(),
  },
  {
    oneofs: [{ fields: ['grpc_service', 'http_service'] }],
    unsupported: {
      typed_metadata_context_namespaces: NOT_YET,
      route_metadata_context_namespaces: NOT_YET,
      route_typed_metadata_context_namespaces: NOT_YET,
      filter_enabled_metadata: NOT_YET,
      bootstrap_metadata_labels_key: NOT_YET,
      encode_raw_headers: NOT_YET,
      decoder_header_mutation_rules: NOT_YET,
      validate_mutations: NOT_YET,
      enable_dynamic_metadata_ingestion: NOT_YET,
      emit_filter_state_stats: NOT_YET,
      filter_metadata: NOT_YET,
      max_denied_response_body_bytes: NOT_YET,
      enforce_response_header_limits: NOT_YET,
    },
    check(value, report) {
      if (!value.grpc_service && !value.http_service) report(undefined, "one of 'grpc_service' or 'http_service' is required");
    },
  },
);
export type HttpExtAuthzConfig = MessageValue<typeof httpExtAuthzSchema.fields>;

/** `envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute`: off on a route, or what its checks add. */
export const extAuthzPerRouteSchema = message(
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute',
  {
    disabled: bool(),
    check_settings: message(
      'envoy.extensions.filters.http.ext_authz.v3.CheckSettings',
      {
        context_extensions: mapOf(string()),
        disable_request_body_buffering: bool(),
        with_request_body: bufferSettingsSchema,
      },
      { unsupported: { grpc_service: NOT_YET, http_service: NOT_YET } },
    ),
  },
  {
    oneofs: [{ fields: ['disabled', 'check_settings'], required: true }],
    check(value, report) {
      if (value.disabled === false) report('disabled', 'value must equal true');
    },
  },
);
export type ExtAuthzPerRouteConfig = MessageValue<typeof extAuthzPerRouteSchema.fields>;

/** `envoy.extensions.filters.network.ext_authz.v3.ExtAuthz`. */
export const networkExtAuthzSchema = message(
  'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz',
  {
    stat_prefix: required(string({ minLen: 1 })),
    grpc_service: required(grpcServiceSchema),
    failure_mode_allow: bool(),
    include_peer_certificate: bool(),
    transport_api_version: apiVersionSchema,
    include_tls_session: bool(),
  },
  { unsupported: { filter_enabled_metadata: NOT_YET, bootstrap_metadata_labels_key: NOT_YET, send_tls_alert_on_denial: NOT_YET } },
);
export type NetworkExtAuthzConfig = MessageValue<typeof networkExtAuthzSchema.fields>;
