import type { TlsParametersConfig, TlsProtocol } from '../config/common.js';

type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

const VERSIONS: Record<Exclude<TlsProtocol, 'TLS_AUTO'>, NodeTlsVersion> = {
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};

/**
 * Envoy's default cipher list for TLS 1.2 and below, client and server alike (non-FIPS).
 * BoringSSL's equal-preference groups (`[A|B]`) are kept in order: OpenSSL has no such groups.
 */
const DEFAULT_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
];

const DEFAULT_CURVES = ['X25519', 'P-256'];

export interface NodeTlsParameters {
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion: NodeTlsVersion;
  readonly ciphers: string;
  readonly ecdhCurve: string;
  readonly sigalgs?: string;
}

/**
 * `TlsParameters` as node:tls takes them, with Envoy's defaults: TLS 1.2 at least; at most 1.3
 * for a server and 1.2 for a client.
 */
export function nodeTlsParameters(params: TlsParametersConfig | undefined, side: 'server' | 'client'): NodeTlsParameters {
  const min = params?.tls_minimum_protocol_version;
  const max = params?.tls_maximum_protocol_version;
  return {
    minVersion: min && min !== 'TLS_AUTO' ? VERSIONS[min] : 'TLSv1.2',
    maxVersion: max && max !== 'TLS_AUTO' ? VERSIONS[max] : side === 'server' ? 'TLSv1.3' : 'TLSv1.2',
    // TLS 1.3 suites are OpenSSL's (cipher_suites has no effect on TLS 1.3, as in Envoy).
    ciphers: openSslCipherList(params?.cipher_suites?.length ? params.cipher_suites : DEFAULT_CIPHERS),
    ecdhCurve: (params?.ecdh_curves?.length ? params.ecdh_curves : DEFAULT_CURVES).join(':'),
    ...(params?.signature_algorithms?.length ? { sigalgs: params.signature_algorithms.join(':') } : {}),
  };
}

/** Envoy's (BoringSSL's) cipher list syntax in OpenSSL's: `[A|B]` groups become plain entries. */
export function openSslCipherList(suites: readonly string[]): string {
  return suites.flatMap((suite) => suite.replace(/^\[|\]$/g, '').split('|')).join(':');
}
