// The chains the benchmark drives. Each config has two entry listeners: `bulk_in` (to the
// discarding upstream) and `echo_in` (to the echo upstream).

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

/** The seed topology: the second hop is an internal listener. */
export function internalHopConfig(echoPort: number, sinkPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('bulk_in', 0, tcpProxy('bulk_in', 'bulk_hop'))}${entry('echo_in', 0, tcpProxy('echo_in', 'echo_hop'))}  - name: bulk_inner
    internal_listener: {}
${tcpProxy('bulk_inner', 'sink')}  - name: echo_inner
    internal_listener: {}
${tcpProxy('echo_inner', 'echo')}  clusters:
${internalCluster('bulk_hop', 'bulk_inner')}${internalCluster('echo_hop', 'echo_inner')}${socketCluster('sink', sinkPort)}${socketCluster('echo', echoPort)}bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener
`;
}

/** The same chain with the second hop over loopback TCP (two listeners on the kernel). */
export function tcpHopConfig(echoPort: number, sinkPort: number, [bulkHop, echoHop]: readonly [number, number]): string {
  return `${ADMIN}static_resources:
  listeners:
${entry('bulk_in', 0, tcpProxy('bulk_in', 'bulk_hop'))}${entry('echo_in', 0, tcpProxy('echo_in', 'echo_hop'))}${entry('bulk_inner', bulkHop, tcpProxy('bulk_inner', 'sink'))}${entry('echo_inner', echoHop, tcpProxy('echo_inner', 'echo'))}  clusters:
${socketCluster('bulk_hop', bulkHop)}${socketCluster('echo_hop', echoHop)}${socketCluster('sink', sinkPort)}${socketCluster('echo', echoPort)}`;
}
