import { createStatsSet, type StatsScope } from '@nodevoy/core';

/**
 * Envoy's `ssl.*` stats, under a listener's or a cluster's scope: handshakes, failures by kind,
 * and a counter per negotiated cipher and version.
 */
export function createSslStats(parent: StatsScope) {
  const scope = parent.scope('ssl.');
  const fixed = createStatsSet(scope, {
    counters: [
      'connection_error',
      'handshake',
      'session_reused',
      'no_certificate',
      'fail_verify_no_cert',
      'fail_verify_error',
      'fail_verify_san',
      'fail_verify_cert_hash',
      'ocsp_staple_failed',
      'ocsp_staple_omitted',
      'ocsp_staple_responses',
      'ocsp_staple_requests',
      'was_key_usage_invalid',
    ] as const,
  });
  return {
    ...fixed,
    /**
     * The negotiated cipher and version of one handshake, each counted under its name. (node:tls
     * does not say which curve or signature algorithm was used: no `curves.*`, `sigalgs.*`.)
     */
    negotiated(cipher: string, version: string): void {
      if (cipher) scope.counter(`ciphers.${cipher}`).inc();
      if (version) scope.counter(`versions.${version}`).inc();
    },
  };
}

export type SslStats = ReturnType<typeof createSslStats>;

/** Which check refused a peer: each has its Envoy counter. */
export type VerifyFailure = 'fail_verify_no_cert' | 'fail_verify_error' | 'fail_verify_san' | 'fail_verify_cert_hash';
