import { dataSourceSchema, schema, type FieldType, type MessageValue } from '@nodevoy/core';
import { routeMatchSchema } from '@nodevoy/filter-http-connection-manager';
import { httpUriSchema } from '@nodevoy/http';

const { message, string, bool, repeated, required, mapOf, duration, uint32, empty } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

const remoteJwksSchema = message(
  'envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks',
  {
    http_uri: required(httpUriSchema),
    cache_duration: duration(),
  },
  { unsupported: { async_fetch: NOT_YET, retry_policy: NOT_YET } },
);

export const jwtProviderSchema = message(
  'envoy.extensions.filters.http.jwt_authn.v3.JwtProvider',
  {
    issuer: string(),
    audiences: repeated(string()),
    local_jwks: dataSourceSchema,
    remote_jwks: remoteJwksSchema,
    forward: bool(),
    from_headers: repeated(message('envoy.extensions.filters.http.jwt_authn.v3.JwtHeader', { name: required(string({ minLen: 1 })), value_prefix: string() })),
    from_params: repeated(string()),
    from_cookies: repeated(string()),
    forward_payload_header: string(),
    pad_forward_payload_header: bool(),
    payload_in_metadata: string(),
    header_in_metadata: string(),
    clock_skew_seconds: uint32(),
    claim_to_headers: repeated(message('envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader', { header_name: required(string({ minLen: 1 })), claim_name: required(string({ minLen: 1 })) })),
  },
  {
    oneofs: [{ fields: ['local_jwks', 'remote_jwks'], required: true }],
    // A cache of verified tokens changes nothing a client sees.
    ignored: ['jwt_cache_config'],
    unsupported: {
      subjects: NOT_YET,
      require_expiration: NOT_YET,
      max_lifetime: NOT_YET,
      failed_status_in_metadata: NOT_YET,
      normalize_payload_in_metadata: NOT_YET,
      clear_route_cache: NOT_YET,
    },
  },
);
export type JwtProviderConfig = MessageValue<typeof jwtProviderSchema.fields>;

/** `JwtRequirement`: a provider, a provider with its own audiences, any or all of several, or a tolerance. */
export interface JwtRequirementConfig {
  readonly provider_name?: string;
  readonly provider_and_audiences?: { readonly provider_name: string; readonly audiences?: readonly string[] };
  readonly requires_any?: { readonly requirements: readonly JwtRequirementConfig[] };
  readonly requires_all?: { readonly requirements: readonly JwtRequirementConfig[] };
  readonly allow_missing_or_failed?: Record<string, never>;
  readonly allow_missing?: Record<string, never>;
}

const REQUIREMENT = 'envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement';
const REQUIREMENT_KINDS = ['provider_name', 'provider_and_audiences', 'requires_any', 'requires_all', 'allow_missing_or_failed', 'allow_missing'] as const;

/** JwtRequirement, nested (any of all of...) as deep as `depth` more levels, as deep as configs go. */
function requirementSchema(depth: number): FieldType<JwtRequirementConfig> {
  const nested = depth > 0 ? requirementSchema(depth - 1) : undefined;
  const list = (name: string) => (nested ? message(`envoy.extensions.filters.http.jwt_authn.v3.${name}`, { requirements: required(repeated(nested, { minItems: 2 })) }) : undefined);
  const fields = {
    provider_name: string({ minLen: 1 }),
    provider_and_audiences: message('envoy.extensions.filters.http.jwt_authn.v3.ProviderWithAudiences', { provider_name: required(string({ minLen: 1 })), audiences: repeated(string()) }),
    allow_missing_or_failed: empty('google.protobuf.Empty'),
    allow_missing: empty('google.protobuf.Empty'),
    ...(nested ? { requires_any: list('JwtRequirementOrList'), requires_all: list('JwtRequirementAndList') } : {}),
  };
  return message(REQUIREMENT, fields as Record<string, FieldType<unknown>>, { oneofs: [{ fields: [...REQUIREMENT_KINDS] as never[] }] }) as unknown as FieldType<JwtRequirementConfig>;
}

const requirement = requirementSchema(3);

/** `envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`. */
export const jwtAuthenticationSchema = message(
  'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
  {
    providers: mapOf(jwtProviderSchema),
    rules: repeated(message('envoy.extensions.filters.http.jwt_authn.v3.RequirementRule', { match: required(routeMatchSchema), requires: requirement, requirement_name: string({ minLen: 1 }) })),
    requirement_map: mapOf(requirement),
    bypass_cors_preflight: bool(),
    stat_prefix: string(),
  },
  { unsupported: { filter_state_rules: NOT_YET, strip_failure_response: NOT_YET } },
);
export type JwtAuthenticationConfig = MessageValue<typeof jwtAuthenticationSchema.fields>;

/** `JwtPerRoute`: the filter off for a route, or the requirement it names. */
export const jwtPerRouteSchema = message(
  'envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig',
  { disabled: bool(), requirement_name: string({ minLen: 1 }) },
  {
    oneofs: [{ fields: ['disabled', 'requirement_name'], required: true }],
    check(value, report) {
      if (value.disabled === false) report('disabled', 'value must equal true');
    },
  },
);
export type JwtPerRouteConfig = MessageValue<typeof jwtPerRouteSchema.fields>;
