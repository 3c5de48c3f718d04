import {
  Category,
  extensionPackage,
  parseIpAndPort,
  schema,
  socketAddress,
  type ClusterTypeFactory,
  type DiscoveredHost,
  type LoadBalancerContext,
  type NodevoyExtension,
  type SocketAddress,
} from '@nodevoy/core';

/** The header Envoy reads when `use_http_header` is set without `http_header_name`. */
export const ORIGINAL_DST_HOST_HEADER = 'x-envoy-original-dst-host';

/**
 * `envoy.cluster.original_dst` (`type: ORIGINAL_DST`, `lb_policy: CLUSTER_PROVIDED`): each
 * request names its upstream itself, in a header holding `ip:port` (`:authority` of a CONNECT,
 * say), or the connection's original destination a listener filter restored (original_dst on an
 * internal listener, PROXY protocol). With neither there is no host (503), as in Envoy.
 */
export const originalDstCluster: ClusterTypeFactory = {
  name: 'envoy.cluster.original_dst',
  category: Category.clusterType,
  typeUrls: [],
  configSchema: schema.empty('envoy.cluster.original_dst'),
  discoveryTypes: ['ORIGINAL_DST'],
  providesLoadBalancer: true,
  validate(config, context) {
    const policy = config.lb_policy ?? 'ROUND_ROBIN';
    if (policy !== 'CLUSTER_PROVIDED') {
      context.configIssue(
        config,
        'lb_policy',
        `cluster: LB policy ${policy} is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'`,
      );
    }
    const lbConfig = config.original_dst_lb_config;
    if (lbConfig?.http_header_name && !lbConfig.use_http_header) {
      context.configIssue(
        lbConfig,
        'http_header_name',
        `ORIGINAL_DST cluster: invalid config http_header_name=${lbConfig.http_header_name} and use_http_header is false. Set use_http_header to true if http_header_name is desired.`,
      );
    }
    if (config.load_assignment) {
      context.configIssue(config, 'load_assignment', 'ORIGINAL_DST clusters must have no load assignment configured');
    }
  },
  createHostDiscovery(config, context) {
    const lbConfig = config.original_dst_lb_config;
    const headerName = lbConfig?.use_http_header ? (lbConfig.http_header_name || ORIGINAL_DST_HOST_HEADER).toLowerCase() : undefined;
    const portOverride = lbConfig?.upstream_port_override;
    const invalidHeader = context.clusterStats.counter('original_dst_host_invalid');

    // As Envoy: the header when the cluster reads one and the request has it, else the
    // connection's original destination when a listener filter restored it.
    const destinationOf = (lb: LoadBalancerContext | undefined): SocketAddress | undefined => {
      const value = headerName ? lb?.requestHeaders?.get(headerName) : undefined;
      if (value === undefined) return lb?.originalDestination?.kind === 'socket' ? lb.originalDestination : undefined;
      const parsed = parseIpAndPort(value);
      if (!parsed) invalidHeader.inc();
      return parsed;
    };

    return {
      hosts: [],
      initialize: () => Promise.resolve(),
      onHostsChanged() {},
      stop() {},
      chooseHost(lb): DiscoveredHost | undefined {
        const destination = destinationOf(lb);
        if (!destination) return undefined;
        const address = portOverride === undefined ? destination : socketAddress(destination.ip, portOverride);
        return {
          address,
          hostname: '',
          weight: 1,
          priority: 0,
          health: 'UNKNOWN',
          metadata: {},
          locality: { region: '', zone: '', sub_zone: '' },
        };
      },
    };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(originalDstCluster);
  },
};
