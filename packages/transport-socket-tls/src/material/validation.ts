import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describeDataSource, readDataSource, stringMatcher, type DataSourceConfig, type StringMatcherConfig } from '@nodevoy/core';
import type { CertificateValidationContextConfig } from '../config/common.js';
import type { SanType } from './certificate.js';
import { TlsMaterialError } from './material-error.js';

/** One SAN check: a type (or any type, for the deprecated untyped matchers) and a predicate. */
export interface SanMatcher {
  readonly type: SanType | undefined;
  readonly matches: (value: string) => boolean;
}

/** A CertificateValidationContext, read and compiled: what the peer verifier applies. */
export interface ValidationMaterial {
  /** Trust anchors; without them the chain is not verified (Envoy's rule). */
  readonly ca: Buffer | undefined;
  /** The first trust anchor and where it came from, for `/certs`. */
  readonly caCertificate: { readonly certificate: X509Certificate; readonly source: string } | undefined;
  readonly crl: Buffer | undefined;
  readonly acceptUntrusted: boolean;
  readonly allowExpired: boolean;
  readonly maxVerifyDepth: number | undefined;
  readonly sanMatchers: readonly SanMatcher[];
  /** Base64 SHA-256 of the SubjectPublicKeyInfo. */
  readonly spkiPins: ReadonlySet<string>;
  /** Lower-case hex SHA-256 of the DER certificate, colons removed. */
  readonly certificateHashes: ReadonlySet<string>;
}

/** The files a validation context reads, so a rotation on disk can be noticed. */
export function validationFiles(config: CertificateValidationContextConfig): string[] {
  return [config.trusted_ca, config.crl].flatMap((source) => (source?.filename ? [source.filename] : []));
}

/** Reads and checks a validation context's sources now; problems are TlsMaterialErrors naming the field. */
export function loadValidation(config: CertificateValidationContextConfig): ValidationMaterial {
  const ca = config.trusted_ca ? readPem(config.trusted_ca, 'trusted_ca', 'Failed to load trusted CA certificates from') : undefined;
  let caCertificate: ValidationMaterial['caCertificate'];
  if (ca) {
    const source = describeDataSource(config.trusted_ca as DataSourceConfig);
    try {
      caCertificate = { certificate: new X509Certificate(ca), source };
      createSecureContext({ ca });
    } catch {
      throw new TlsMaterialError('trusted_ca', `Failed to load trusted CA certificates from ${source}`);
    }
  }
  const crl = config.crl ? readPem(config.crl, 'crl', 'Failed to load CRL from') : undefined;
  if (crl) {
    if (config.only_verify_leaf_cert_crl) throw new TlsMaterialError('only_verify_leaf_cert_crl', 'not supported by nodevoy: node:tls checks a CRL for every certificate of the chain');
    try {
      createSecureContext({ ...(ca ? { ca } : {}), crl });
    } catch {
      throw new TlsMaterialError('crl', `Failed to load CRL from ${describeDataSource(config.crl as DataSourceConfig)}`);
    }
  }
  // Envoy ignores the deprecated untyped matchers when typed ones are given.
  const typed = config.match_typed_subject_alt_names ?? [];
  const sanMatchers: SanMatcher[] =
    typed.length > 0
      ? typed.map((m) => ({ type: m.san_type as SanType, matches: sanPredicate(m.san_type as SanType, m.matcher) }))
      : (config.match_subject_alt_names ?? []).map((m) => ({ type: undefined, matches: stringMatcher(m) }));
  return {
    ca,
    caCertificate,
    crl,
    acceptUntrusted: config.trust_chain_verification === 'ACCEPT_UNTRUSTED',
    allowExpired: config.allow_expired_certificate ?? false,
    maxVerifyDepth: config.max_verify_depth,
    sanMatchers,
    spkiPins: new Set(config.verify_certificate_spki ?? []),
    certificateHashes: new Set((config.verify_certificate_hash ?? []).map((hash) => hash.replace(/:/g, '').toLowerCase())),
  };
}

/**
 * A SAN predicate. An exact DNS matcher also accepts a wildcard SAN that covers the name
 * (`*.example.com` for `api.example.com`), as Envoy's DNS SAN matcher does.
 */
function sanPredicate(type: SanType, matcher: StringMatcherConfig): (value: string) => boolean {
  const exact = matcher.exact;
  if (type !== 'DNS' || exact === undefined) return stringMatcher(matcher);
  return (san) => dnsNameMatches(exact, san);
}

/** Whether certificate name `san` (maybe `*.` wildcard, one label) covers `name`. */
export function dnsNameMatches(name: string, san: string): boolean {
  const host = name.toLowerCase();
  const pattern = san.toLowerCase();
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === pattern.slice(1);
}

/**
 * Envoy's merge of a combined validation context (protobuf `MergeFrom`): the dynamic context's
 * singular fields win, repeated fields are concatenated, booleans are or-ed.
 */
export function mergeValidationConfigs(base: CertificateValidationContextConfig, dynamic: CertificateValidationContextConfig): CertificateValidationContextConfig {
  const concat = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined): T[] | undefined => (a || b ? [...(a ?? []), ...(b ?? [])] : undefined);
  return {
    ...base,
    ...dynamic,
    verify_certificate_spki: concat(base.verify_certificate_spki, dynamic.verify_certificate_spki),
    verify_certificate_hash: concat(base.verify_certificate_hash, dynamic.verify_certificate_hash),
    match_typed_subject_alt_names: concat(base.match_typed_subject_alt_names, dynamic.match_typed_subject_alt_names),
    match_subject_alt_names: concat(base.match_subject_alt_names, dynamic.match_subject_alt_names),
    allow_expired_certificate: (base.allow_expired_certificate ?? false) || (dynamic.allow_expired_certificate ?? false),
    only_verify_leaf_cert_crl: (base.only_verify_leaf_cert_crl ?? false) || (dynamic.only_verify_leaf_cert_crl ?? false),
  };
}

function readPem(source: DataSourceConfig, field: string, failure: string): Buffer {
  try {
    return readDataSource(source);
  } catch (err) {
    throw new TlsMaterialError(field, `${failure} ${describeDataSource(source)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
