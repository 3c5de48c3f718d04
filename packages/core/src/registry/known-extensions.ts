import { ENVOY_EXTENSIONS } from './envoy-catalogue.generated.js';

/**
 * Every Envoy extension (generated from Envoy's API), so that a config naming one that is not
 * loaded gets a precise answer: which nodevoy package provides it, or that nodevoy does not
 * ship it (rather than "unknown @type"). Data only: core depends on none of these packages.
 */
interface KnownExtension {
  readonly name: string;
  readonly typeUrl: string;
  /** The nodevoy package that provides it, when one does. */
  readonly nodevoyPackage?: string;
}

const T = 'type.googleapis.com/';

function known(name: string, message: string, nodevoyPackage?: string): KnownExtension {
  return { name, typeUrl: T + message, ...(nodevoyPackage ? { nodevoyPackage } : {}) };
}

/** The extensions nodevoy's own packages provide. */
const KNOWN: readonly KnownExtension[] = [
  known('envoy.filters.network.tcp_proxy', 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', '@nodevoy/filter-tcp-proxy'),
  known('envoy.bootstrap.internal_listener', 'envoy.extensions.bootstrap.internal_listener.v3.InternalListener', '@nodevoy/bootstrap-internal-listener'),
  known('envoy.transport_sockets.raw_buffer', 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', '@nodevoy/transport-socket-raw-buffer'),
  known('envoy.filters.network.echo', 'envoy.extensions.filters.network.echo.v3.Echo', '@nodevoy/filter-echo'),
  known('envoy.health_checkers.http', 'envoy.config.core.v3.HealthCheck.HttpHealthCheck', '@nodevoy/health-checker-http'),
  known('envoy.health_checkers.tcp', 'envoy.config.core.v3.HealthCheck.TcpHealthCheck', '@nodevoy/health-checker-tcp'),
  known('envoy.health_checkers.grpc', 'envoy.config.core.v3.HealthCheck.GrpcHealthCheck', '@nodevoy/health-checker-http'),
  known('envoy.load_balancing_policies.ring_hash', 'envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash', '@nodevoy/lb-ring-hash'),
  known('envoy.load_balancing_policies.maglev', 'envoy.extensions.load_balancing_policies.maglev.v3.Maglev', '@nodevoy/lb-maglev'),
  known('envoy.filters.network.http_connection_manager', 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', '@nodevoy/filter-http-connection-manager'),
  known('envoy.filters.http.router', 'envoy.extensions.filters.http.router.v3.Router', '@nodevoy/filter-http-connection-manager'),
  known('envoy.upstreams.http.http_protocol_options', 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions', '@nodevoy/http'),
  known('envoy.transport_sockets.tls', 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', '@nodevoy/transport-socket-tls'),
  known('envoy.transport_sockets.tls', 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', '@nodevoy/transport-socket-tls'),
  known('envoy.extensions.transport_sockets.tls.v3.Secret', 'envoy.extensions.transport_sockets.tls.v3.Secret', '@nodevoy/transport-socket-tls'),
  known('envoy.transport_sockets.upstream_proxy_protocol', 'envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport', '@nodevoy/transport-socket-proxy-protocol'),
  known('envoy.filters.listener.tls_inspector', 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', '@nodevoy/filter-listener-tls-inspector'),
  known('envoy.filters.listener.original_dst', 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst', '@nodevoy/filter-listener-original-dst'),
  known('envoy.filters.listener.proxy_protocol', 'envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol', '@nodevoy/filter-listener-proxy-protocol'),
  known('envoy.filters.network.local_ratelimit', 'envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit', '@nodevoy/filter-local-ratelimit'),
  known('envoy.filters.network.rbac', 'envoy.extensions.filters.network.rbac.v3.RBAC', '@nodevoy/filter-rbac'),
  known('envoy.filters.network.ext_authz', 'envoy.extensions.filters.network.ext_authz.v3.ExtAuthz', '@nodevoy/filter-ext-authz'),
  known('envoy.filters.http.cors', 'envoy.extensions.filters.http.cors.v3.Cors', '@nodevoy/filter-http-cors'),
  known('envoy.filters.http.compressor', 'envoy.extensions.filters.http.compressor.v3.Compressor', '@nodevoy/filter-http-compressor'),
  known('envoy.compression.gzip.compressor', 'envoy.extensions.compression.gzip.compressor.v3.Gzip', '@nodevoy/compression-gzip'),
  known('envoy.compression.brotli.compressor', 'envoy.extensions.compression.brotli.compressor.v3.Brotli', '@nodevoy/compression-brotli'),
  known('envoy.filters.http.decompressor', 'envoy.extensions.filters.http.decompressor.v3.Decompressor', '@nodevoy/filter-http-decompressor'),
  known('envoy.compression.gzip.decompressor', 'envoy.extensions.compression.gzip.decompressor.v3.Gzip', '@nodevoy/compression-gzip'),
  known('envoy.filters.http.buffer', 'envoy.extensions.filters.http.buffer.v3.Buffer', '@nodevoy/filter-http-buffer'),
  known('envoy.filters.http.fault', 'envoy.extensions.filters.http.fault.v3.HTTPFault', '@nodevoy/filter-http-fault'),
  known('envoy.filters.http.ext_authz', 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', '@nodevoy/filter-ext-authz'),
  known('envoy.filters.http.local_ratelimit', 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit', '@nodevoy/filter-local-ratelimit'),
  known('envoy.filters.http.rbac', 'envoy.extensions.filters.http.rbac.v3.RBAC', '@nodevoy/filter-rbac'),
  known('envoy.filters.http.csrf', 'envoy.extensions.filters.http.csrf.v3.CsrfPolicy', '@nodevoy/filter-http-csrf'),
  known('envoy.filters.http.health_check', 'envoy.extensions.filters.http.health_check.v3.HealthCheck', '@nodevoy/filter-http-health-check'),
  known('envoy.filters.http.grpc_web', 'envoy.extensions.filters.http.grpc_web.v3.GrpcWeb', '@nodevoy/filter-http-grpc-web'),
  known('envoy.filters.http.grpc_http1_bridge', 'envoy.extensions.filters.http.grpc_http1_bridge.v3.Config', '@nodevoy/filter-http-grpc-http1-bridge'),
  known('envoy.filters.http.grpc_stats', 'envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', '@nodevoy/filter-http-grpc-stats'),
  known('envoy.filters.http.jwt_authn', 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', '@nodevoy/filter-http-jwt-authn'),
  known('envoy.filters.http.header_to_metadata', 'envoy.extensions.filters.http.header_to_metadata.v3.Config', '@nodevoy/filter-http-header-to-metadata'),
  known('envoy.stat_sinks.statsd', 'envoy.config.metrics.v3.StatsdSink', '@nodevoy/stat-sinks-statsd'),
  known('envoy.stat_sinks.dog_statsd', 'envoy.config.metrics.v3.DogStatsdSink', '@nodevoy/stat-sinks-statsd'),
  known('envoy.tracers.opentelemetry', 'envoy.config.trace.v3.OpenTelemetryConfig', '@nodevoy/tracer-opentelemetry'),
  known('envoy.tracers.zipkin', 'envoy.config.trace.v3.ZipkinConfig', '@nodevoy/tracer-zipkin'),
];

/** Envoy extensions newer than the `.proto` files the catalogue is generated from (or contrib beside them). */
const NEWER: readonly KnownExtension[] = [
  known('envoy.load_balancing_policies.client_side_weighted_round_robin', 'envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin'),
  known('envoy.filters.network.mysql_proxy', 'envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy'),
  known('envoy.filters.network.postgres_proxy', 'envoy.extensions.filters.network.postgres_proxy.v3alpha.PostgresProxy'),
];

/** Envoy's catalogue, generated from its `.proto` files, with nodevoy's packages where nodevoy ships one. */
const ALL: readonly KnownExtension[] = [...KNOWN, ...NEWER, ...ENVOY_EXTENSIONS.filter(([name]) => !KNOWN.some((k) => k.name === name)).map(([name, message]) => known(name, message))];
const byTypeUrl = new Map(ALL.map((k) => [k.typeUrl, k]));
const byName = new Map(ALL.map((k) => [k.name, k]));

export function knownExtensionByTypeUrl(typeUrl: string): KnownExtension | undefined {
  return byTypeUrl.get(typeUrl);
}

export function knownExtensionByName(name: string): KnownExtension | undefined {
  return byName.get(name);
}

/** The sentence that tells a user how to get a known extension that is not loaded. */
export function notLoadedMessage(known: KnownExtension): { message: string; hint: string } {
  if (known.nodevoyPackage) {
    return {
      message: `${known.name} (${known.typeUrl}) is provided by ${known.nodevoyPackage}, which is not loaded`,
      hint: `load it: nodevoy --extension ${known.nodevoyPackage}, or register its extension in your program`,
    };
  }
  return {
    message: `${known.name} (${known.typeUrl}) is an Envoy extension that nodevoy does not ship`,
    hint: 'remove it, or provide it as a nodevoy extension package loaded with --extension',
  };
}
