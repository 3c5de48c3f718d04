import { CERTIFICATE_REPORTS, type ClusterFactoryContext, type IoHandle, type UpstreamSocketContext, type UpstreamTransportSocket } from '@nodevoy/core';
import type { UpstreamTlsContextConfig } from './config/contexts.js';
import { buildContextSet, type ContextSet } from './context/context-set.js';
import { parametersProblem } from './context/parameters-check.js';
import { nodeTlsParameters } from './context/tls-options.js';
import { Derived, type Live } from './material/live.js';
import { certificatesOf, validationOf } from './material/sources.js';
import { dnsNameMatches, type ValidationMaterial } from './material/validation.js';
import { TlsIoHandle } from './socket/tls-io-handle.js';
import { certificateReporter } from './certificate-report.js';
import { createSslStats, type SslStats } from './stats.js';

/**
 * `UpstreamTlsContext`: nodevoy as a TLS client to a cluster's hosts. SNI as configured (or the
 * host's name with `auto_host_sni`), the peer verified only as configured (Envoy verifies
 * nothing by default), one session kept per host for resumption (`max_session_keys`, default 1).
 */
export class UpstreamTls implements UpstreamTransportSocket {
  readonly supportsAlpn = true;
  private readonly contexts: Live<ContextSet>;
  private readonly stats: SslStats;
  private readonly alpn: readonly string[];
  private readonly sessions = new Map<string, Buffer>();
  private readonly maxSessions: number;

  constructor(
    private readonly config: UpstreamTlsContextConfig,
    context: ClusterFactoryContext,
  ) {
    const { server } = context;
    const common = config.common_tls_context;
    if ((common?.tls_certificates?.length ?? 0) + (common?.tls_certificate_sds_secret_configs?.length ?? 0) > 1) {
      server.configIssue(common as object, 'tls_certificates', 'Multiple TLS certificates are not supported for client contexts');
    }
    const parameters = nodeTlsParameters(common?.tls_params, 'client');
    const problem = parametersProblem(parameters, common?.tls_params?.cipher_suites);
    if (problem && common?.tls_params) server.configIssue(common.tls_params, problem.field, problem.message);
    const certificates = certificatesOf(common, server);
    const validation = validationOf(common, server);
    server.services.get(CERTIFICATE_REPORTS)?.add(certificateReporter(certificates, validation));
    const hasCertificate = !!(common?.tls_certificates?.length || common?.tls_certificate_sds_secret_configs?.length);
    this.contexts = new Derived([certificates, validation], () => {
      const list = certificates.current() ?? [];
      // A client certificate from SDS that is not there yet: no connection until it is.
      if ((hasCertificate && list.length === 0) || problem) return undefined;
      return buildContextSet(list, validation.current(), parameters);
    });
    this.stats = createSslStats(context.clusterStats);
    this.alpn = common?.alpn_protocols ?? [];
    this.maxSessions = config.max_session_keys ?? 1;
  }

  wrap(io: IoHandle, context: UpstreamSocketContext): IoHandle {
    const serverName = (this.config.auto_host_sni && context.host?.hostname) || this.config.sni || undefined;
    const sessionKey = `${context.host?.address.asString ?? ''}|${serverName ?? ''}`;
    const session = this.maxSessions > 0 ? this.sessions.get(sessionKey) : undefined;
    return new TlsIoHandle(io, {
      side: 'client',
      contexts: this.sanValidatedBySni(this.contexts.current(), serverName),
      // The configured protocols win; else what the pool asks for (Envoy's ALPN fallback).
      alpn: this.alpn.length > 0 ? this.alpn : (context.alpnFallback ?? []),
      stats: this.stats,
      requestCertificate: false,
      requireCertificate: false,
      ...(serverName ? { serverName } : {}),
      ...(session ? { session } : {}),
      ...(this.maxSessions > 0 ? { onSession: (next: Buffer) => this.keepSession(sessionKey, next) } : {}),
    });
  }

  /** `auto_sni_san_validation`: the server's certificate must have a DNS SAN for the SNI sent, instead of the configured matchers. */
  private sanValidatedBySni(contexts: ContextSet | undefined, serverName: string | undefined): ContextSet | undefined {
    if (!contexts || !this.config.auto_sni_san_validation || !serverName) return contexts;
    const validation: ValidationMaterial = {
      ...(contexts.validation ?? {
        ca: undefined,
        caCertificate: undefined,
        crl: undefined,
        acceptUntrusted: false,
        allowExpired: false,
        maxVerifyDepth: undefined,
        spkiPins: new Set(),
        certificateHashes: new Set(),
      }),
      sanMatchers: [{ type: 'DNS', matches: (san) => dnsNameMatches(serverName, san) }],
    };
    return { ...contexts, validation };
  }

  private keepSession(key: string, session: Buffer): void {
    this.sessions.delete(key);
    this.sessions.set(key, session);
    // Oldest first out, within max_session_keys.
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
  }
}
