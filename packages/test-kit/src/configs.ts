/** Config builders for tests: Envoy v3 YAML, as a user would write it. */

export const INTERNAL_LISTENER_BOOTSTRAP = (bufferSizeKb?: number) => `bootstrap_extensions:
- name: envoy.bootstrap.internal_listener
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener
${bufferSizeKb !== undefined ? `    buffer_size_kb: ${bufferSizeKb}\n` : ''}`;

export const ADMIN = `admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: 0 }
`;

export interface TcpProxyOptions {
  readonly statPrefix: string;
  readonly cluster: string;
  /** Extra TcpProxy fields, YAML lines indented for typed_config. */
  readonly extra?: string;
}

export function tcpProxyFilter(options: TcpProxyOptions): string {
  return `    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${options.statPrefix}
          cluster: ${options.cluster}
${options.extra ?? ''}`;
}

export function tcpListener(name: string, filterChains: string, extra = ''): string {
  return `  - name: ${name}
    address:
      socket_address: { address: 127.0.0.1, port_value: 0 }
${extra}${filterChains}`;
}

export function internalListener(name: string, filterChains: string, extra = ''): string {
  return `  - name: ${name}
    internal_listener: {}
${extra}${filterChains}`;
}

export type Endpoint = { readonly port: number } | { readonly internal: string; readonly endpointId?: string };

/** Cluster fields (`cluster()`'s `extra`) for an upstream that speaks HTTP/2 (prior knowledge), such as gRPC. */
export const HTTP2_UPSTREAM = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
`;

export function cluster(name: string, endpoints: readonly Endpoint[], extra = ''): string {
  const lbEndpoints = endpoints
    .map((e) =>
      'port' in e
        ? `        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: ${e.port} }`
        : `        - endpoint:
            address:
              envoy_internal_address: { server_listener_name: ${e.internal}${e.endpointId ? `, endpoint_id: ${e.endpointId}` : ''} }`,
    )
    .join('\n');
  return `  - name: ${name}
${extra}    load_assignment:
      cluster_name: ${name}
      endpoints:
      - lb_endpoints:
${lbEndpoints}
`;
}

/** A full bootstrap: admin, listeners, clusters, the internal listener extension. */
export function bootstrap(parts: { listeners: readonly string[]; clusters: readonly string[]; bufferSizeKb?: number; tail?: string }): string {
  return `${ADMIN}static_resources:
  listeners:
${parts.listeners.join('')}  clusters:
${parts.clusters.join('')}${INTERNAL_LISTENER_BOOTSTRAP(parts.bufferSizeKb)}${parts.tail ?? ''}`;
}

/** The seed topology: TCP listener -> internal listener -> upstream, both hops tcp_proxy. */
export function seedTopology(upstreamPort: number, options: { outerExtra?: string; innerExtra?: string; listenerExtra?: string; clusterExtra?: string; bufferSizeKb?: number } = {}): string {
  return bootstrap({
    listeners: [
      tcpListener('outbound', tcpProxyFilter({ statPrefix: 'outbound', cluster: 'to_inner', extra: options.outerExtra }), options.listenerExtra),
      internalListener('inner', tcpProxyFilter({ statPrefix: 'inner', cluster: 'upstream', extra: options.innerExtra }), options.listenerExtra),
    ],
    clusters: [cluster('to_inner', [{ internal: 'inner' }], options.clusterExtra), cluster('upstream', [{ port: upstreamPort }], options.clusterExtra)],
    bufferSizeKb: options.bufferSizeKb,
  });
}

export interface HcmOptions {
  readonly statPrefix?: string;
  /** Extra HttpConnectionManager fields, YAML lines indented for typed_config. */
  readonly extra?: string;
  /** HTTP filters before the router, YAML list items indented for http_filters. */
  readonly httpFilters?: string;
  /** The route_config's body, YAML lines indented for route_config. */
  readonly routeConfig: string;
}

/** A filter chain with an HTTP connection manager whose last HTTP filter is the router. */
export function httpConnectionManager(options: HcmOptions): string {
  return `    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${options.statPrefix ?? 'ingress'}
${options.extra ?? ''}          http_filters:
${options.httpFilters ?? ''}          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
${options.routeConfig}`;
}

/** Options of `httpProxyBootstrap`. */
export interface HttpProxyOptions {
  /** The HttpConnectionManager's other fields, YAML lines indented for typed_config. */
  readonly hcmExtra?: string;
  /** HTTP filters before the router, YAML list items indented for http_filters. */
  readonly httpFilters?: string;
  /** The routes (YAML list items); every request to cluster `backend` by default. */
  readonly routes?: string;
  /** Listener fields (`per_connection_buffer_limit_bytes: ...`). */
  readonly listenerExtra?: string;
  /** Cluster fields (`circuit_breakers: ...`), YAML lines indented for the cluster. */
  readonly clusterExtra?: string;
}

/**
 * The everyday HTTP proxy of a test: admin, listener `http` on 127.0.0.1:0 with a connection
 * manager (stat prefix `ingress`), and cluster `backend` over `endpoints`.
 */
export function httpProxyBootstrap(endpoints: readonly Endpoint[], options: HttpProxyOptions = {}): string {
  const routes = options.routes ?? '              - { match: { prefix: / }, route: { cluster: backend } }\n';
  const hcm = httpConnectionManager({ routeConfig: anyHostRoutes(routes), ...(options.hcmExtra ? { extra: options.hcmExtra } : {}), ...(options.httpFilters ? { httpFilters: options.httpFilters } : {}) });
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', hcm, options.listenerExtra)}  clusters:
${cluster('backend', endpoints, options.clusterExtra)}`;
}

/** A route_config body with one virtual host for every domain; `routes` are its YAML list items. */
export function anyHostRoutes(routes: string): string {
  return `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
${routes}`;
}

/**
 * A process-wide buffer budget (`overload_manager`): at 95% of `bytes`, reads from kernel
 * sockets pause and new connections are rejected.
 */
export function bufferBudget(bytes: number, refreshInterval = '0.25s'): string {
  return `overload_manager:
  refresh_interval: ${refreshInterval}
  resource_monitors:
  - name: nodevoy.resource_monitors.buffered_bytes
    typed_config:
      "@type": type.googleapis.com/nodevoy.extensions.resource_monitors.buffered_bytes.v1.BufferedBytesConfig
      max_buffered_bytes: ${bytes}
  actions:
  - name: nodevoy.overload_actions.pause_reads
    triggers: [{ name: nodevoy.resource_monitors.buffered_bytes, threshold: { value: 0.95 } }]
  - name: envoy.overload_actions.reject_incoming_connections
    triggers: [{ name: nodevoy.resource_monitors.buffered_bytes, threshold: { value: 0.95 } }]
`;
}

/**
 * An `access_log:` block of file loggers, indented by `indent` spaces: 10 for a filter's
 * typed_config (tcp_proxy, connection manager), 4 for a listener. No format: Envoy's default line.
 */
export function fileAccessLogs(loggers: readonly { readonly path: string; readonly format?: string }[], indent = 10): string {
  const lines = ['access_log:'];
  for (const { path, format } of loggers) {
    lines.push(
      '- name: envoy.access_loggers.file',
      '  typed_config:',
      '    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
      `    path: ${path}`,
      ...(format === undefined ? [] : [`    log_format: { text_format_source: { inline_string: ${JSON.stringify(format)} } }`]),
    );
  }
  return lines.map((line) => `${' '.repeat(indent)}${line}\n`).join('');
}

/** An `access_log:` block with one file logger (see fileAccessLogs). */
export function fileAccessLog(path: string, format?: string, indent = 10): string {
  return fileAccessLogs([{ path, format }], indent);
}
