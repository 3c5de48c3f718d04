// The chains the benchmark drives. Each config has two entry listeners: `bulk_in` (to the
// discarding upstream) and `echo_in` (to the echo upstream).
import { DOWNSTREAM_TLS_CONTEXT, bufferBudget, tlsCertificate, tlsTransportSocket } from '@nodevoy/test-kit';

const tcpProxy = (prefix: string, cluster: string) => `    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${prefix}
          cluster: ${cluster}
`;

const socketCluster = (name: string, port: number) => `  - name: ${name}
    load_assignment:
      cluster_name: ${name}
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: ${port} }
`;

const internalCluster = (name: string, listener: string) => `  - name: ${name}
    load_assignment:
      cluster_name: ${name}
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              envoy_internal_address: { server_listener_name: ${listener} }
`;

const entry = (name: string, port: number, body: string) => `  - name: ${name}
    address:
      socket_address: { address: 127.0.0.1, port_value: ${port} }
${body}`;

const ADMIN = `admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: 0 }
`;

const BOOTSTRAP_INTERNAL = `bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener
`;

/** The seed topology: the second hop is an internal listener. */
export function internalHopConfig(echoPort: number, sinkPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('bulk_in', 0, tcpProxy('bulk_in', 'bulk_hop'))}${entry('echo_in', 0, tcpProxy('echo_in', 'echo_hop'))}  - name: bulk_inner
    internal_listener: {}
${tcpProxy('bulk_inner', 'sink')}  - name: echo_inner
    internal_listener: {}
${tcpProxy('echo_inner', 'echo')}  clusters:
${internalCluster('bulk_hop', 'bulk_inner')}${internalCluster('echo_hop', 'echo_inner')}${socketCluster('sink', sinkPort)}${socketCluster('echo', echoPort)}${BOOTSTRAP_INTERNAL}`;
}

/** The same chain with the second hop over loopback TCP (two listeners on the kernel). */
export function tcpHopConfig(echoPort: number, sinkPort: number, [bulkHop, echoHop]: readonly [number, number]): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('bulk_in', 0, tcpProxy('bulk_in', 'bulk_hop'))}${entry('echo_in', 0, tcpProxy('echo_in', 'echo_hop'))}${entry('bulk_inner', bulkHop, tcpProxy('bulk_inner', 'sink'))}${entry('echo_inner', echoHop, tcpProxy('echo_inner', 'echo'))}  clusters:
${socketCluster('bulk_hop', bulkHop)}${socketCluster('echo_hop', echoHop)}${socketCluster('sink', sinkPort)}${socketCluster('echo', echoPort)}`;
}

const hcm = (prefix: string, routes: string, extra = '') => `    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${prefix}
${extra}          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
${routes}`;

const toCluster = (cluster: string) => `              - { match: { prefix: / }, route: { cluster: ${cluster} } }\n`;

/** A plain connection manager in front of the HTTP upstream. */
export function httpDirectConfig(httpPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('http_in', 0, hcm('http_in', toCluster('web')))}  clusters:
${socketCluster('web', httpPort)}`;
}

/**
 * The seed's two use cases chained in one process over internal listeners only: an HCM sends
 * each request into `encap`, whose tcp_proxy tunnels it in HTTP/2 CONNECT to `terminate`, whose
 * HCM terminates the CONNECT into `decap`, whose HCM forwards the GET to the upstream.
 */
export function httpChainConfig(httpPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('http_in', 0, hcm('http_in', toCluster('encap_cluster')))}  - name: encap
    internal_listener: {}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: encap
          cluster: terminate_cluster
          tunneling_config: { hostname: "host.com:443" }
  - name: terminate
    internal_listener: {}
${hcm(
  'terminate',
  '              - { match: { connect_matcher: {} }, route: { cluster: decap_cluster, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] } }\n',
  '          http2_protocol_options: { allow_connect: true }\n          upgrade_configs: [{ upgrade_type: CONNECT }]\n',
)}  - name: decap
    internal_listener: {}
${hcm('decap', toCluster('web'))}  clusters:
${internalCluster('encap_cluster', 'encap')}  - name: terminate_cluster
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
${internalCluster('terminate_cluster', 'terminate').split('\n').slice(1).join('\n')}${internalCluster('decap_cluster', 'decap')}${socketCluster('web', httpPort)}${BOOTSTRAP_INTERNAL}`;
}

/**
 * Three hops to a firehose upstream (TCP listener -> internal -> internal -> upstream), with
 * Envoy's default 1 MiB buffer limits, and optionally a process-wide buffer budget.
 */
export function slowReaderChainConfig(firehosePort: number, budgetBytes?: number): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('front', 0, tcpProxy('front', 'hop_a'))}  - name: hop_a
    internal_listener: {}
${tcpProxy('hop_a', 'hop_b')}  - name: hop_b
    internal_listener: {}
${tcpProxy('hop_b', 'firehose')}  clusters:
${internalCluster('hop_a', 'hop_a')}${internalCluster('hop_b', 'hop_b')}${socketCluster('firehose', firehosePort)}    circuit_breakers: { thresholds: [{ max_connections: 100000 }] }
${BOOTSTRAP_INTERNAL}${budgetBytes ? bufferBudget(budgetBytes) : ''}`;
}

/**
 * TLS terminated at the entry listeners (`bulk_in`, `echo_in`: the certificate in `cert`/`key`),
 * then tcp_proxy in plaintext to the discarding and echo upstreams. Envoy's defaults otherwise:
 * stateless session resumption with keys made at start.
 */
export function tlsTerminateConfig(echoPort: number, sinkPort: number, certificate: { cert: string; key: string }): string {
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(certificate)] } });
  const chain = (prefix: string, cluster: string) => `    filter_chains:
    - transport_socket: ${tls}
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${prefix}
          cluster: ${cluster}
`;
  return `${ADMIN}static_resources:
  listeners:
${entry('bulk_in', 0, chain('bulk_in', 'sink'))}${entry('echo_in', 0, chain('echo_in', 'echo'))}  clusters:
${socketCluster('sink', sinkPort)}${socketCluster('echo', echoPort)}`;
}
