import { extension as accessLoggers } from '@nodevoy/access-loggers';
import { extension as internalListener } from '@nodevoy/bootstrap-internal-listener';
import { extension as clusterDns } from '@nodevoy/cluster-dns';
import { extension as clusterOriginalDst } from '@nodevoy/cluster-original-dst';
import { extension as clusterStatic } from '@nodevoy/cluster-static';
import { extension as brotli } from '@nodevoy/compression-brotli';
import { extension as gzip } from '@nodevoy/compression-gzip';
import { extension as envoyInternalConnection } from '@nodevoy/connection-envoy-internal';
import { ExtensionRegistry, type NodevoyExtension } from '@nodevoy/core';
import { extension as echo } from '@nodevoy/filter-echo';
import { extension as buffer } from '@nodevoy/filter-http-buffer';
import { extension as compressor } from '@nodevoy/filter-http-compressor';
import { extension as cors } from '@nodevoy/filter-http-cors';
import { extension as decompressor } from '@nodevoy/filter-http-decompressor';
import { extension as httpConnectionManager } from '@nodevoy/filter-http-connection-manager';
import { extension as localRateLimit } from '@nodevoy/filter-local-ratelimit';
import { extension as clusterEds } from '@nodevoy/cluster-eds';
import { extension as sotwGrpcMux } from '@nodevoy/config-mux-grpc';
import { extension as rbac } from '@nodevoy/filter-rbac';
import { extension as fault } from '@nodevoy/filter-http-fault';
import { extension as csrf } from '@nodevoy/filter-http-csrf';
import { extension as extAuthz } from '@nodevoy/filter-ext-authz';
import { extension as healthCheck } from '@nodevoy/filter-http-health-check';
import { extension as headerToMetadata } from '@nodevoy/filter-http-header-to-metadata';
import { extension as grpcWeb } from '@nodevoy/filter-http-grpc-web';
import { extension as grpcStats } from '@nodevoy/filter-http-grpc-stats';
import { extension as grpcHttp1Bridge } from '@nodevoy/filter-http-grpc-http1-bridge';
import { extension as jwtAuthn } from '@nodevoy/filter-http-jwt-authn';
import { extension as statsdSinks } from '@nodevoy/stat-sinks-statsd';
import { extension as openTelemetryTracer } from '@nodevoy/tracer-opentelemetry';
import { extension as zipkinTracer } from '@nodevoy/tracer-zipkin';
import { extension as originalDstListener } from '@nodevoy/filter-listener-original-dst';
import { extension as proxyProtocolListener } from '@nodevoy/filter-listener-proxy-protocol';
import { extension as tlsInspector } from '@nodevoy/filter-listener-tls-inspector';
import { extension as setFilterState } from '@nodevoy/filter-set-filter-state';
import { extension as tcpProxy } from '@nodevoy/filter-tcp-proxy';
import { extension as httpHealthChecker } from '@nodevoy/health-checker-http';
import { extension as tcpHealthChecker } from '@nodevoy/health-checker-tcp';
import { extension as maglev } from '@nodevoy/lb-maglev';
import { extension as ringHash } from '@nodevoy/lb-ring-hash';
import { extension as bufferedBytesMonitor } from '@nodevoy/resource-monitor-buffered-bytes';
import { extension as internalUpstream } from '@nodevoy/transport-socket-internal-upstream';
import { extension as rawBuffer } from '@nodevoy/transport-socket-raw-buffer';
import { extension as upstreamProxyProtocol } from '@nodevoy/transport-socket-proxy-protocol';
import { extension as tls } from '@nodevoy/transport-socket-tls';

/** Every extension the `nodevoy` command ships with. */
export const bundledExtensions: readonly NodevoyExtension[] = [
  clusterStatic,
  clusterDns,
  clusterOriginalDst,
  clusterEds,
  tcpHealthChecker,
  httpHealthChecker,
  ringHash,
  maglev,
  sotwGrpcMux,
  rawBuffer,
  tls,
  upstreamProxyProtocol,
  internalUpstream,
  envoyInternalConnection,
  internalListener,
  tcpProxy,
  echo,
  httpConnectionManager,
  setFilterState,
  cors,
  compressor,
  decompressor,
  localRateLimit,
  rbac,
  fault,
  csrf,
  extAuthz,
  healthCheck,
  headerToMetadata,
  grpcWeb,
  grpcStats,
  grpcHttp1Bridge,
  jwtAuthn,
  openTelemetryTracer,
  zipkinTracer,
  buffer,
  gzip,
  brotli,
  tlsInspector,
  proxyProtocolListener,
  originalDstListener,
  bufferedBytesMonitor,
  accessLoggers,
  statsdSinks,
];

/** A registry with the bundled extensions, which `--extension` packages then join. */
export function createBundledRegistry(): ExtensionRegistry {
  const registry = new ExtensionRegistry();
  for (const extension of bundledExtensions) registry.use(extension);
  return registry;
}
