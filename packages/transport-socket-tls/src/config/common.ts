import { configSourceSchema, dataSourceSchema, schema, stringMatcherSchema, type MessageValue } from '@nodevoy/core';

const { message, repeated, string, enumOf, bool, uint32, required } = schema;

const NOT_YET = 'not implemented by nodevoy yet';
const PROVIDERS = 'certificate providers are not supported by nodevoy; use tls_certificates or SDS';

const TLS_PROTOCOLS = ['TLS_AUTO', 'TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'] as const;
export type TlsProtocol = (typeof TLS_PROTOCOLS)[number];

/** `TlsParameters`: protocol versions and what each side offers. */
export const tlsParametersSchema = message('envoy.extensions.transport_sockets.tls.v3.TlsParameters', {
  tls_minimum_protocol_version: enumOf('envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol', TLS_PROTOCOLS),
  tls_maximum_protocol_version: enumOf('envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol', TLS_PROTOCOLS),
  cipher_suites: repeated(string({ minLen: 1 })),
  ecdh_curves: repeated(string({ minLen: 1 })),
  signature_algorithms: repeated(string({ minLen: 1 })),
});
export type TlsParametersConfig = MessageValue<typeof tlsParametersSchema.fields>;

const watchedDirectorySchema = message('envoy.config.core.v3.WatchedDirectory', {
  path: required(string({ minLen: 1 })),
});

/** `TlsCertificate`: a certificate chain and its key (files are watched when SDS delivers them). */
export const tlsCertificateSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.TlsCertificate',
  {
    certificate_chain: dataSourceSchema,
    private_key: dataSourceSchema,
    password: dataSourceSchema,
    pkcs12: dataSourceSchema,
    watched_directory: watchedDirectorySchema,
  },
  {
    unsupported: { private_key_provider: 'BoringSSL private key methods do not exist in node:tls', ocsp_staple: NOT_YET },
    ignored: ['signed_certificate_timestamp'],
    check(value, report) {
      if (value.pkcs12 && (value.certificate_chain || value.private_key)) {
        report(undefined, 'Certificate configuration can only have one of: pkcs12, certificate_chain/private_key');
      } else if (!value.pkcs12 && (!value.certificate_chain || !value.private_key)) {
        report(undefined, 'a TLS certificate needs certificate_chain and private_key (or pkcs12)');
      }
    },
  },
);
export type TlsCertificateConfig = MessageValue<typeof tlsCertificateSchema.fields>;

const SAN_TYPES = ['SAN_TYPE_UNSPECIFIED', 'EMAIL', 'DNS', 'URI', 'IP_ADDRESS'] as const;

/** `SubjectAltNameMatcher`: the SAN's type and a StringMatcher for its value. */
export const subjectAltNameMatcherSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher',
  {
    san_type: required(enumOf('envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType', SAN_TYPES)),
    matcher: required(stringMatcherSchema),
  },
  {
    unsupported: { oid: NOT_YET },
    check(value, report) {
      if (value.san_type === 'SAN_TYPE_UNSPECIFIED') report('san_type', 'value must not be in list [SAN_TYPE_UNSPECIFIED]');
    },
  },
);
export type SubjectAltNameMatcherConfig = MessageValue<typeof subjectAltNameMatcherSchema.fields>;

/** `CertificateValidationContext`: how a peer's certificate is checked. */
export const certificateValidationContextSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext',
  {
    trusted_ca: dataSourceSchema,
    watched_directory: watchedDirectorySchema,
    verify_certificate_spki: repeated(string({ minLen: 44, maxLen: 44 })),
    verify_certificate_hash: repeated(string({ minLen: 64, maxLen: 95 })),
    match_typed_subject_alt_names: repeated(subjectAltNameMatcherSchema),
    match_subject_alt_names: repeated(stringMatcherSchema),
    crl: dataSourceSchema,
    allow_expired_certificate: bool(),
    trust_chain_verification: enumOf('envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext.TrustChainVerification', [
      'VERIFY_TRUST_CHAIN',
      'ACCEPT_UNTRUSTED',
    ] as const),
    only_verify_leaf_cert_crl: bool(),
    max_verify_depth: uint32({ lte: 100 }),
  },
  {
    unsupported: {
      custom_validator_config: 'custom certificate validators are not supported by nodevoy',
      ca_certificate_provider_instance: PROVIDERS,
      require_signed_certificate_timestamp: NOT_YET,
    },
  },
);
export type CertificateValidationContextConfig = MessageValue<typeof certificateValidationContextSchema.fields>;

/** `SdsSecretConfig`: a secret by name, static (no `sds_config`) or from a file. */
export const sdsSecretConfigSchema = message('envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig', {
  name: required(string({ minLen: 1 })),
  sds_config: configSourceSchema,
});
export type SdsSecretConfig = MessageValue<typeof sdsSecretConfigSchema.fields>;

const combinedValidationContextSchema = message('envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext', {
  default_validation_context: required(certificateValidationContextSchema),
  validation_context_sds_secret_config: required(sdsSecretConfigSchema),
});

/** `CommonTlsContext`: what both sides share. */
export const commonTlsContextSchema = message(
  'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext',
  {
    tls_params: tlsParametersSchema,
    tls_certificates: repeated(tlsCertificateSchema),
    tls_certificate_sds_secret_configs: repeated(sdsSecretConfigSchema),
    validation_context: certificateValidationContextSchema,
    validation_context_sds_secret_config: sdsSecretConfigSchema,
    combined_validation_context: combinedValidationContextSchema,
    alpn_protocols: repeated(string()),
  },
  {
    oneofs: [{ fields: ['validation_context', 'validation_context_sds_secret_config', 'combined_validation_context'] }],
    unsupported: {
      tls_certificate_provider_instance: PROVIDERS,
      tls_certificate_certificate_provider: PROVIDERS,
      tls_certificate_certificate_provider_instance: PROVIDERS,
      validation_context_certificate_provider: PROVIDERS,
      validation_context_certificate_provider_instance: PROVIDERS,
      custom_handshaker: 'custom handshakers are not supported by nodevoy',
      custom_tls_certificate_selector: NOT_YET,
      key_log: NOT_YET,
    },
    ignored: ['read_ahead_buffer_size'],
  },
);
export type CommonTlsContextConfig = MessageValue<typeof commonTlsContextSchema.fields>;
