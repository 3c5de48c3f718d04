import { CERTIFICATE_REPORTS, type DownstreamTransportSocket, type FilterFactoryContext, type IoHandle } from '@nodevoy/core';
import type { DownstreamTlsContextConfig } from './config/contexts.js';
import { buildContextSet, type ContextSet, type SessionSettings } from './context/context-set.js';
import { parametersProblem } from './context/parameters-check.js';
import { nodeTlsParameters } from './context/tls-options.js';
import { Derived, type Live } from './material/live.js';
import { certificatesOf, validationOf } from './material/sources.js';
import { sessionTicketKeys } from './material/session-tickets.js';
import { TlsIoHandle } from './socket/tls-io-handle.js';
import { certificateReporter } from './certificate-report.js';
import { createSslStats, type SslStats } from './stats.js';

/**
 * `DownstreamTlsContext`: the TLS server side of a filter chain. Certificates (several, chosen
 * by SNI), client certificate validation, ALPN, session resumption; contexts are rebuilt when
 * an SDS secret or a certificate file changes, for the connections that come after.
 */
export class DownstreamTls implements DownstreamTransportSocket {
  private readonly contexts: Live<ContextSet>;
  private readonly stats: SslStats;
  private readonly alpn: readonly string[];
  private readonly requestCertificate: boolean;
  private readonly requireCertificate: boolean;

  constructor(config: DownstreamTlsContextConfig, context: FilterFactoryContext) {
    const { server } = context;
    const common = config.common_tls_context;
    if (!common?.tls_certificates?.length && !common?.tls_certificate_sds_secret_configs?.length) {
      server.configIssue(config, 'common_tls_context', 'Server TlsCertificates must have a certificate specified');
    }
    const parameters = nodeTlsParameters(common?.tls_params, 'server');
    const problem = parametersProblem(parameters, common?.tls_params?.cipher_suites);
    if (problem && common?.tls_params) server.configIssue(common.tls_params, problem.field, problem.message);
    const session: SessionSettings = {
      ...(config.session_ticket_keys ? { ticketKeys: sessionTicketKeys(config.session_ticket_keys, server) } : {}),
      ...(config.disable_stateless_session_resumption ? { disableTickets: true } : {}),
      ...(config.session_timeout !== undefined ? { sessionTimeoutSeconds: Math.floor(config.session_timeout / 1000) } : {}),
      ...(config.prefer_client_ciphers ? { preferClientCiphers: true } : {}),
    };
    const certificates = certificatesOf(common, server);
    const validation = validationOf(common, server);
    server.services.get(CERTIFICATE_REPORTS)?.add(certificateReporter(certificates, validation));
    this.contexts = new Derived([certificates, validation], () => {
      const list = certificates.current();
      if (!list?.length || problem) return undefined;
      return buildContextSet(list, validation.current(), parameters, session);
    });
    this.stats = createSslStats(server.stats.scope(context.listener.statsPrefix));
    this.alpn = common?.alpn_protocols ?? [];
    this.requireCertificate = config.require_client_certificate ?? false;
    this.requestCertificate = this.requireCertificate || !!common?.validation_context || !!common?.validation_context_sds_secret_config || !!common?.combined_validation_context;
  }

  wrap(io: IoHandle): IoHandle {
    return new TlsIoHandle(io, {
      side: 'server',
      contexts: this.contexts.current(),
      alpn: this.alpn,
      stats: this.stats,
      requestCertificate: this.requestCertificate,
      requireCertificate: this.requireCertificate,
    });
  }
}
