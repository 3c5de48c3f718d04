// The proxy config the soak runs: the seed topology for TCP (listener -> tcp_proxy -> internal
// listener -> tcp_proxy -> echo upstream), and one HTTP listener (HTTP/1.1 and HTTP/2 prior
// knowledge) that routes `/` straight to the HTTP upstream, `/chain` through the seed's encap ->
// decap use case (HTTP/2 CONNECT between internal listeners), and CONNECT to the echo upstream.

const hcm = (prefix: string, routes: string, extra = '') => `
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${prefix}
${extra}          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
${routes}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;

const tcpProxy = (prefix: string, cluster: string, extra = '') => `
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${prefix}
          cluster: ${cluster}
${extra}`;

const internal = (name: string) => `{ envoy_internal_address: { server_listener_name: ${name} } }`;
const kernel = (port: number) => `{ socket_address: { address: 127.0.0.1, port_value: ${port} } }`;
const cluster = (name: string, address: string, extra = '') => `
  - name: ${name}
    connect_timeout: 1s
${extra}    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: ${address} } }] }]`;

/** Stalled upstreams answer nothing: the route's timeout turns them into a 504 within the run. */
const ROUTE_TIMEOUT = '2s';

export function soakConfig(httpUpstream: number, echoUpstream: number): string {
  return `admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: tcp
    stat_prefix: tcp
    address: ${kernel(0)}
    filter_chains:
    - filters:${tcpProxy('outbound', 'to_inner')}
  - name: inner
    internal_listener: {}
    filter_chains:
    - filters:${tcpProxy('inner', 'echo_upstream')}
  - name: http
    stat_prefix: http
    address: ${kernel(0)}
    filter_chains:
    - filters:${hcm(
      'ingress',
      `              - match: { connect_matcher: {} }
                route: { cluster: echo_upstream, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] }
              - match: { prefix: /chain }
                route: { cluster: encap_cluster, timeout: ${ROUTE_TIMEOUT} }
              - match: { prefix: / }
                route: { cluster: http_upstream, timeout: ${ROUTE_TIMEOUT} }`,
      '          upgrade_configs: [{ upgrade_type: CONNECT }]\n          http2_protocol_options: { allow_connect: true }\n',
    )}
  - name: encap
    internal_listener: {}
    filter_chains:
    - filters:${tcpProxy('encap', 'terminate_cluster', '          tunneling_config: { hostname: "decap.internal:443" }\n')}
  - name: terminate
    internal_listener: {}
    filter_chains:
    - filters:${hcm(
      'terminate',
      `              - match: { connect_matcher: {} }
                route: { cluster: decap_cluster, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] }`,
      '          http2_protocol_options: { allow_connect: true }\n          upgrade_configs: [{ upgrade_type: CONNECT }]\n',
    )}
  - name: decap
    internal_listener: {}
    filter_chains:
    - filters:${hcm(
      'decap',
      `              - match: { prefix: / }
                route: { cluster: http_upstream, timeout: ${ROUTE_TIMEOUT} }`,
    )}
  clusters:${cluster('to_inner', internal('inner'))}${cluster('echo_upstream', kernel(echoUpstream))}${cluster('http_upstream', kernel(httpUpstream))}${cluster('encap_cluster', internal('encap'))}${cluster(
    'terminate_cluster',
    internal('terminate'),
    `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
`,
  )}${cluster('decap_cluster', internal('decap'))}
bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener
`;
}
