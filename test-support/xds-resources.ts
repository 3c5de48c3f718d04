// xDS resources and bootstraps as tests push them to the go-control-plane test server: proto3
// JSON with `@type`, the form Envoy's docs write.

const T = 'type.googleapis.com/envoy.';
export const TYPE_URL = Object.freeze({
  listener: `${T}config.listener.v3.Listener`,
  cluster: `${T}config.cluster.v3.Cluster`,
  endpoint: `${T}config.endpoint.v3.ClusterLoadAssignment`,
  route: `${T}config.route.v3.RouteConfiguration`,
});

export type XdsApiType = 'GRPC' | 'DELTA_GRPC';

/**
 * A bootstrap whose CDS and LDS come from the control plane on `controlPlanePort`: over ADS
 * (`sources: 'ads'`, state of the world or delta by `apiType`) or one stream per type
 * (`sources: 'grpc'`); `sourceExtra` goes inside each config source.
 */
export function xdsBootstrap(controlPlanePort: number, node: string, options: { apiType?: XdsApiType; sources?: 'ads' | 'grpc'; sourceExtra?: string } = {}): string {
  const grpcSource = `api_config_source: { api_type: GRPC, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds_cluster } }] }`;
  const extra = options.sourceExtra ?? '';
  const source = options.sources === 'grpc' ? `{ ${grpcSource}, resource_api_version: V3${extra} }` : `{ ads: {}, resource_api_version: V3${extra} }`;
  return `node: { id: ${node}, cluster: test }
dynamic_resources:
  ads_config: { api_type: ${options.apiType ?? 'GRPC'}, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds_cluster } }] }
  cds_config: ${source}
  lds_config: ${source}
static_resources:
  clusters:
  - name: xds_cluster
    type: STATIC
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    load_assignment:
      cluster_name: xds_cluster
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${controlPlanePort} } } } }] }]
`;
}

/** An EDS cluster whose endpoints come over ADS (or their own per-type stream with `sources: 'grpc'`). */
export function edsCluster(name: string, sources: 'ads' | 'grpc' = 'ads', extra: object = {}): object {
  const edsConfig =
    sources === 'ads'
      ? { ads: {}, resource_api_version: 'V3' }
      : { api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }] }, resource_api_version: 'V3' };
  return { '@type': TYPE_URL.cluster, name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: edsConfig }, ...extra };
}

/** The endpoints of `cluster`: one, on 127.0.0.1:`port`. */
export function loadAssignment(cluster: string, port: number): object {
  return {
    '@type': TYPE_URL.endpoint,
    cluster_name: cluster,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }],
  };
}

/** A listener on 127.0.0.1:`port` whose tcp_proxy goes to `cluster` (`statPrefix` '' leaves the required field out). */
export function tcpProxyListener(name: string, port: number, cluster: string, statPrefix = 'tcp'): object {
  const tcpProxy = { '@type': `${T}extensions.filters.network.tcp_proxy.v3.TcpProxy`, ...(statPrefix ? { stat_prefix: statPrefix } : {}), cluster };
  return {
    '@type': TYPE_URL.listener,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy }] }],
  };
}
