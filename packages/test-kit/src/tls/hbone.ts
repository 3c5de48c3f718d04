import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateAuthority } from './certificates.js';
import { DOWNSTREAM_TLS_CONTEXT, UPSTREAM_TLS_CONTEXT, tlsCertificate } from './configs.js';

/**
 * HBONE (Istio ambient's tunnel) as two proxies: the origin takes plain HTTP and tunnels each
 * request in a CONNECT over mutual-TLS HTTP/2; the waypoint terminates the CONNECT into an
 * internal listener and forwards to the upstream. Each side checks the other's SPIFFE id. The
 * same configs run on nodevoy and on Envoy.
 */
export const HBONE_CLIENT_ID = 'spiffe://cluster.local/ns/apps/sa/client';
export const HBONE_WAYPOINT_ID = 'spiffe://cluster.local/ns/apps/sa/waypoint';

type KeyPair = { readonly cert: string; readonly key: string };

/** The files both sides read: the mesh CA, and the certificates of the client, the waypoint and an impostor. */
export interface HboneFiles {
  readonly ca: string;
  readonly client: KeyPair;
  readonly waypoint: KeyPair;
  /** A client certificate from the same CA with another SPIFFE id, which the waypoint refuses. */
  readonly impostor: KeyPair;
}

/** Issues the mesh identities from `ca` and writes them into `dir`. */
export async function hboneIdentities(ca: CertificateAuthority, dir: string): Promise<HboneFiles> {
  const write = async (name: string, options: Parameters<CertificateAuthority['issue']>[0]): Promise<KeyPair> => {
    const issued = await ca.issue(options);
    const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    writeFileSync(pair.cert, issued.cert);
    writeFileSync(pair.key, issued.key);
    return pair;
  };
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
  return {
    ca: join(dir, 'ca.pem'),
    client: await write('client', { uris: [HBONE_CLIENT_ID] }),
    waypoint: await write('waypoint', { uris: [HBONE_WAYPOINT_ID], dns: ['waypoint.apps'] }),
    impostor: await write('impostor', { uris: ['spiffe://cluster.local/ns/other/sa/impostor'] }),
  };
}

const INTERNAL_LISTENER = `bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config: { "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener }
`;
const ADMIN = `admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
`;

const expectPeer = (ca: string, id: string) => ({ trusted_ca: { filename: ca }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: id } }] });

const socketCluster = (name: string, port: number, extra = '') => `  - name: ${name}
${extra}    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]
`;

const internalCluster = (name: string) => `  - name: ${name}
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: ${name} } } } }] }]
`;

/**
 * The waypoint: listener `hbone` (mTLS, HTTP/2, CONNECT only from the client id), the CONNECT
 * terminated into internal listener `decap`, then tcp_proxy to the upstream. With `accessLog`,
 * logs `METHOD AUTHORITY PEER_URI_SAN TLS_VERSION` per stream.
 */
export function hboneWaypointConfig(files: HboneFiles, upstreamPort: number, accessLog?: string): string {
  const tls = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM_TLS_CONTEXT,
      require_client_certificate: true,
      common_tls_context: { alpn_protocols: ['h2'], tls_certificates: [tlsCertificate(files.waypoint)], validation_context: expectPeer(files.ca, HBONE_CLIENT_ID) },
    },
  };
  const log = accessLog
    ? `          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${accessLog}
              log_format: { text_format_source: { inline_string: "%REQ(:METHOD)% %REQ(:AUTHORITY)% %DOWNSTREAM_PEER_URI_SAN% %DOWNSTREAM_TLS_VERSION%\\n" } }
`
    : '';
  return `${ADMIN}static_resources:
  listeners:
  - name: hbone
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - transport_socket: ${JSON.stringify(tls)}
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: hbone
          codec_type: HTTP2
          http2_protocol_options: { allow_connect: true }
          upgrade_configs: [{ upgrade_type: CONNECT }]
${log}          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { connect_matcher: {} }
                route: { cluster: decap, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] }
  - name: decap
    internal_listener: {}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: decap
          cluster: upstream
  clusters:
${internalCluster('decap')}${socketCluster('upstream', upstreamPort)}${INTERNAL_LISTENER}`;
}

/**
 * The origin: listener `http` (plain HTTP) routes everything to internal listener `encap`, whose
 * tcp_proxy tunnels it in a CONNECT to `backend.apps.svc:80` over mTLS HTTP/2 to the waypoint,
 * presenting `identity`.
 */
export function hboneOriginConfig(files: HboneFiles, waypointPort: number, identity: KeyPair = files.client): string {
  const tls = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS_CONTEXT,
      sni: 'waypoint.apps',
      common_tls_context: { alpn_protocols: ['h2'], tls_certificates: [tlsCertificate(identity)], validation_context: expectPeer(files.ca, HBONE_WAYPOINT_ID) },
    },
  };
  const h2 = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    transport_socket: ${JSON.stringify(tls)}
`;
  return `${ADMIN}static_resources:
  listeners:
  - name: http
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: outbound
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes: [{ match: { prefix: / }, route: { cluster: encap } }]
  - name: encap
    internal_listener: {}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: encap
          cluster: hbone
          tunneling_config: { hostname: "backend.apps.svc:80" }
  clusters:
${internalCluster('encap')}${socketCluster('hbone', waypointPort, h2)}${INTERNAL_LISTENER}`;
}
