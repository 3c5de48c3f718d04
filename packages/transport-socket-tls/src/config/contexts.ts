import { dataSourceSchema, schema, type MessageValue } from '@nodevoy/core';
import { certificateValidationContextSchema, commonTlsContextSchema, sdsSecretConfigSchema, tlsCertificateSchema } from './common.js';

const { message, repeated, string, bool, uint32, duration, enumOf, required, mapOf } = schema;

const NOT_YET = 'not implemented by nodevoy yet';

export const UPSTREAM_TLS_CONTEXT_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const DOWNSTREAM_TLS_CONTEXT_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** `UpstreamTlsContext`: nodevoy as a TLS client. */
export const upstreamTlsContextSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  {
    common_tls_context: commonTlsContextSchema,
    sni: string({ maxLen: 255 }),
    auto_host_sni: bool(),
    auto_sni_san_validation: bool(),
    allow_renegotiation: bool(),
    max_session_keys: uint32(),
  },
  {
    ignored: ['enforce_rsa_key_usage'],
    check(value, report) {
      if (value.allow_renegotiation) report('allow_renegotiation', 'node:tls never allows a server to renegotiate', 'remove it (false is the default)');
    },
  },
);
export type UpstreamTlsContextConfig = MessageValue<typeof upstreamTlsContextSchema.fields>;

const sessionTicketKeysSchema = message('envoy.extensions.transport_sockets.tls.v3.TlsSessionTicketKeys', {
  keys: required(repeated(dataSourceSchema, { minItems: 1 })),
});

/** `DownstreamTlsContext`: nodevoy as a TLS server. */
export const downstreamTlsContextSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  {
    common_tls_context: commonTlsContextSchema,
    require_client_certificate: bool(),
    require_sni: bool(),
    session_ticket_keys: sessionTicketKeysSchema,
    disable_stateless_session_resumption: bool(),
    disable_stateful_session_resumption: bool(),
    session_timeout: duration(),
    ocsp_staple_policy: enumOf('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.OcspStaplePolicy', ['LENIENT_STAPLING', 'STRICT_STAPLING', 'MUST_STAPLE'] as const, {
      STRICT_STAPLING: NOT_YET,
      MUST_STAPLE: NOT_YET,
    }),
    full_scan_certs_on_sni_mismatch: bool(),
    prefer_client_ciphers: bool(),
  },
  {
    oneofs: [{ fields: ['session_ticket_keys', 'disable_stateless_session_resumption'] }],
    unsupported: { session_ticket_keys_sds_secret_config: NOT_YET },
  },
);
export type DownstreamTlsContextConfig = MessageValue<typeof downstreamTlsContextSchema.fields>;

const genericSecretSchema = message('envoy.extensions.transport_sockets.tls.v3.GenericSecret', {
  secret: dataSourceSchema,
  secrets: mapOf(dataSourceSchema),
});

/** `Secret`: what `static_resources.secrets` and SDS files hold. */
export const secretSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.Secret',
  {
    name: required(string()),
    tls_certificate: tlsCertificateSchema,
    session_ticket_keys: sessionTicketKeysSchema,
    validation_context: certificateValidationContextSchema,
    generic_secret: genericSecretSchema,
  },
  { oneofs: [{ fields: ['tls_certificate', 'session_ticket_keys', 'validation_context', 'generic_secret'] }] },
);
export type SecretConfig = MessageValue<typeof secretSchema.fields>;

export { sdsSecretConfigSchema };
