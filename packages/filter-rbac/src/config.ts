import { cidrRangeSchema, schema, stringMatcherSchema, type CidrRangeConfig, type FieldType, type MessageValue, type StringMatcherConfig } from '@nodevoy/core';
import { headerMatcherSchema, type HeaderMatcherConfig } from '@nodevoy/filter-http-connection-manager';
import { metadataMatcherSchema, type MetadataMatcherConfig } from './metadata-matcher.js';

const { message, repeated, mapOf, enumOf, bool, uint32, int64, string, required } = schema;
const NOT_YET = 'not implemented by nodevoy yet';
const NO_CEL = 'CEL expressions are not supported by nodevoy';

/** A field whose type refers to itself (Permission.not_rule is a Permission), resolved when parsed. */
function recursive<T>(get: () => FieldType<T>, description: string): FieldType<T> {
  return { description, parse: (value, path, ctx) => get().parse(value, path, ctx) };
}

const int32RangeSchema = message('envoy.type.v3.Int32Range', { start: int64(), end: int64() });
const pathMatcherSchema = message('envoy.type.matcher.v3.PathMatcher', { path: required(stringMatcherSchema) });

export interface PermissionConfig {
  readonly and_rules?: { readonly rules?: readonly PermissionConfig[] };
  readonly or_rules?: { readonly rules?: readonly PermissionConfig[] };
  readonly any?: boolean;
  readonly header?: HeaderMatcherConfig;
  readonly url_path?: { readonly path: StringMatcherConfig };
  readonly destination_ip?: CidrRangeConfig;
  readonly destination_port?: number;
  readonly destination_port_range?: { readonly start?: number; readonly end?: number };
  readonly metadata?: MetadataMatcherConfig;
  readonly not_rule?: PermissionConfig;
  readonly requested_server_name?: StringMatcherConfig;
}

export interface PrincipalConfig {
  readonly and_ids?: { readonly ids?: readonly PrincipalConfig[] };
  readonly or_ids?: { readonly ids?: readonly PrincipalConfig[] };
  readonly any?: boolean;
  readonly authenticated?: { readonly principal_name?: StringMatcherConfig };
  readonly source_ip?: CidrRangeConfig;
  readonly direct_remote_ip?: CidrRangeConfig;
  readonly remote_ip?: CidrRangeConfig;
  readonly header?: HeaderMatcherConfig;
  readonly url_path?: { readonly path: StringMatcherConfig };
  readonly metadata?: MetadataMatcherConfig;
  readonly not_id?: PrincipalConfig;
}

const permission: FieldType<PermissionConfig> = recursive(() => permissionSchema, 'envoy.config.rbac.v3.Permission');
const principal: FieldType<PrincipalConfig> = recursive(() => principalSchema, 'envoy.config.rbac.v3.Principal');

const permissionSchema: FieldType<PermissionConfig> = message(
  'envoy.config.rbac.v3.Permission',
  {
    and_rules: message('envoy.config.rbac.v3.Permission.Set', { rules: repeated(permission) }),
    or_rules: message('envoy.config.rbac.v3.Permission.Set', { rules: repeated(permission) }),
    any: bool(),
    header: headerMatcherSchema,
    url_path: pathMatcherSchema,
    destination_ip: cidrRangeSchema,
    destination_port: uint32({ lte: 65535 }),
    destination_port_range: int32RangeSchema,
    metadata: metadataMatcherSchema,
    not_rule: permission,
    requested_server_name: stringMatcherSchema,
  },
  {
    oneofs: [
      {
        fields: ['and_rules', 'or_rules', 'any', 'header', 'url_path', 'destination_ip', 'destination_port', 'destination_port_range', 'metadata', 'not_rule', 'requested_server_name'],
        required: true,
      },
    ],
    unsupported: { matcher: NOT_YET, uri_template: NOT_YET },
    check(value, report) {
      const range = value.destination_port_range;
      if (!range) return;
      const start = range.start ?? 0;
      const end = range.end ?? 0;
      if (start < 0 || start > 65536) report('destination_port_range', `range start ${start} is out of bounds`);
      else if (end < 0 || end > 65536) report('destination_port_range', `range end ${end} is out of bounds`);
      else if (start >= end) report('destination_port_range', `range start ${start} cannot be greater or equal than range end ${end}`);
    },
  },
);

const principalSchema: FieldType<PrincipalConfig> = message(
  'envoy.config.rbac.v3.Principal',
  {
    and_ids: message('envoy.config.rbac.v3.Principal.Set', { ids: repeated(principal) }),
    or_ids: message('envoy.config.rbac.v3.Principal.Set', { ids: repeated(principal) }),
    any: bool(),
    authenticated: message('envoy.config.rbac.v3.Principal.Authenticated', { principal_name: stringMatcherSchema }),
    source_ip: cidrRangeSchema,
    direct_remote_ip: cidrRangeSchema,
    remote_ip: cidrRangeSchema,
    header: headerMatcherSchema,
    url_path: pathMatcherSchema,
    metadata: metadataMatcherSchema,
    not_id: principal,
  },
  {
    oneofs: [
      { fields: ['and_ids', 'or_ids', 'any', 'authenticated', 'source_ip', 'direct_remote_ip', 'remote_ip', 'header', 'url_path', 'metadata', 'not_id'], required: true },
    ],
    unsupported: { filter_state: NOT_YET, custom: NOT_YET },
  },
);

const policySchema = message(
  'envoy.config.rbac.v3.Policy',
  { permissions: required(repeated(permission, { minItems: 1 })), principals: required(repeated(principal, { minItems: 1 })) },
  { unsupported: { condition: NO_CEL, checked_condition: NO_CEL, cel_config: NO_CEL } },
);
export type PolicyConfig = MessageValue<typeof policySchema.fields>;

export const rbacRulesSchema = message(
  'envoy.config.rbac.v3.RBAC',
  { action: enumOf('envoy.config.rbac.v3.RBAC.Action', ['ALLOW', 'DENY', 'LOG'] as const), policies: mapOf(policySchema) },
  { unsupported: { audit_logging_options: NOT_YET } },
);
export type RbacRulesConfig = MessageValue<typeof rbacRulesSchema.fields>;

const XDS_MATCHER = 'the matcher API form of RBAC is not implemented by nodevoy yet: use rules';

/** `envoy.extensions.filters.http.rbac.v3.RBAC`. */
export const httpRbacSchema = message(
  'envoy.extensions.filters.http.rbac.v3.RBAC',
  {
    rules: rbacRulesSchema,
    rules_stat_prefix: string(),
    shadow_rules: rbacRulesSchema,
    shadow_rules_stat_prefix: string(),
    track_per_rule_stats: bool(),
  },
  { unsupported: { matcher: XDS_MATCHER, shadow_matcher: XDS_MATCHER } },
);
export type HttpRbacConfig = MessageValue<typeof httpRbacSchema.fields>;

/** `envoy.extensions.filters.http.rbac.v3.RBACPerRoute`. */
export const httpRbacPerRouteSchema = message('envoy.extensions.filters.http.rbac.v3.RBACPerRoute', { rbac: httpRbacSchema });
export type HttpRbacPerRouteConfig = MessageValue<typeof httpRbacPerRouteSchema.fields>;

/** `envoy.extensions.filters.network.rbac.v3.RBAC`. */
export const networkRbacSchema = message(
  'envoy.extensions.filters.network.rbac.v3.RBAC',
  {
    stat_prefix: required(string({ minLen: 1 })),
    rules: rbacRulesSchema,
    shadow_rules: rbacRulesSchema,
    shadow_rules_stat_prefix: string(),
    enforcement_type: enumOf('envoy.extensions.filters.network.rbac.v3.RBAC.EnforcementType', ['ONE_TIME_ON_FIRST_BYTE', 'CONTINUOUS'] as const),
    delay_deny: schema.duration(),
  },
  { unsupported: { matcher: XDS_MATCHER, shadow_matcher: XDS_MATCHER } },
);
export type NetworkRbacConfig = MessageValue<typeof networkRbacSchema.fields>;
