/**
 * Extension categories, named as Envoy names them. The registry is generic over these
 * strings, so a package can open a category of its own (the HTTP connection manager opens
 * `envoy.filters.http`).
 */
export const Category = Object.freeze({
  bootstrap: 'envoy.bootstrap',
  networkFilter: 'envoy.filters.network',
  listenerFilter: 'envoy.filters.listener',
  transportSocket: 'envoy.transport_sockets',
  clusterType: 'envoy.clusters',
  upstreamProtocolOptions: 'envoy.upstreams',
  clientConnection: 'network.connection.client',
  resourceMonitor: 'envoy.resource_monitors',
  accessLogger: 'envoy.access_loggers',
  /** Where stats are flushed every `stats_flush_interval` (statsd, DogStatsD). */
  statsSink: 'envoy.stats_sinks',
  /** Tracing providers (OpenTelemetry, Zipkin), as the connection manager's `tracing.provider` names them. */
  tracer: 'envoy.tracers',
  /** Active health checkers (HTTP, TCP, gRPC), keyed by their `HealthCheck` sub-message `@type`. */
  healthChecker: 'envoy.health_checkers',
  /** Load balancers (round robin, least request, ring hash, Maglev...), by `@type` or `lb_policy`. */
  loadBalancingPolicy: 'envoy.load_balancing_policies',
  /** xDS transports: state of the world and delta over gRPC. */
  configMux: 'envoy.config_mux',
  /**
   * nodevoy's own: the types of config resources an extension defines, by `@type` (a TLS
   * `Secret`), which the bootstrap and resource files (SDS) hold.
   */
  configResource: 'nodevoy.config_resources',
});

export type CoreCategory = (typeof Category)[keyof typeof Category];
