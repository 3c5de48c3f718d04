import { join } from 'node:path';
import { ADMIN, tcpListener } from '../configs.js';
import { scratchDir, type TestLike } from '../test-like.js';
import type { IssuedCertificate } from './certificates.js';

/** Config builders for TLS listeners and clusters (JSON where YAML nests deep: JSON is YAML). */

export const DOWNSTREAM_TLS_CONTEXT = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
export const UPSTREAM_TLS_CONTEXT = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** Writes certificates and keys into a scratch directory; returns their paths by name. */
export function certificateFiles(t: TestLike, files: Record<string, IssuedCertificate | string>): Record<string, { cert: string; key: string }> & { dir: string } {
  const contents: Record<string, string> = {};
  for (const [name, value] of Object.entries(files)) {
    if (typeof value === 'string') contents[`${name}.pem`] = value;
    else Object.assign(contents, { [`${name}.crt`]: value.cert, [`${name}.key`]: value.key });
  }
  const dir = scratchDir(t, contents);
  const out: Record<string, { cert: string; key: string }> = {};
  for (const name of Object.keys(files)) out[name] = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  return Object.assign(out, { dir });
}

/** A TlsCertificate from files. */
export const tlsCertificate = (files: { cert: string; key: string }) => ({ certificate_chain: { filename: files.cert }, private_key: { filename: files.key } });

/** A `transport_socket` entry (JSON is YAML) for a DownstreamTlsContext or UpstreamTlsContext. */
export function tlsTransportSocket(typeUrl: string, context: Record<string, unknown>): string {
  return JSON.stringify({ name: 'envoy.transport_sockets.tls', typed_config: { '@type': typeUrl, ...context } });
}

/** One filter chain: its optional match and TLS, then tcp_proxy to `clusterName`. */
export function tcpProxyChain(clusterName: string, options: { tls?: string; match?: Record<string, unknown> } = {}): string {
  return `    - ${options.match ? `filter_chain_match: ${JSON.stringify(options.match)}\n      ` : ''}${options.tls ? `transport_socket: ${options.tls}\n      ` : ''}filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${clusterName}
          cluster: ${clusterName}
`;
}

/** One filter chain with a connection manager answering `body` directly. */
export function directResponseChain(body: string, options: { tls?: string; match?: Record<string, unknown> } = {}): string {
  return `    - ${options.match ? `filter_chain_match: ${JSON.stringify(options.match)}\n      ` : ''}${options.tls ? `transport_socket: ${options.tls}\n      ` : ''}filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: / }
                direct_response: { status: 200, body: { inline_string: ${JSON.stringify(body)} } }
                response_headers_to_add:
                - header: { key: x-seen-proto, value: "%REQ(x-forwarded-proto)%" }
`;
}

export const TLS_INSPECTOR = `    listener_filters:
    - name: envoy.filters.listener.tls_inspector
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector }
`;

/** A bootstrap with one TCP listener `tls` of `chains`, and clusters. */
export function chainsBootstrap(chains: readonly string[], options: { clusters?: readonly string[]; listenerExtra?: string; tail?: string } = {}): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('tls', `    filter_chains:\n${chains.join('')}`, options.listenerExtra ?? '')}${options.clusters?.length ? `  clusters:\n${options.clusters.join('')}` : ''}${options.tail ?? ''}`;
}
