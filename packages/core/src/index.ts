// Public API of @nodevoy/core. Explicit lists: what is not here is internal.

export { CORE_VERSION } from './version.js';
export {
  ConfigError,
  DataSourceError,
  DuplicateExtensionError,
  ExtensionLoadError,
  ListenerBindError,
  NodevoyError,
  formatConfigIssue,
  type ConfigIssue,
  type SourcePosition,
} from './errors.js';

// Configuration
export { loadBootstrapConfig, parseBootstrapTree, type ConfigSource, type LoadedConfig } from './config/load.js';
export { parseConfigText, mergeConfig, toPlain, type ConfigValue } from './config/tree.js';
export {
  schema,
  INVALID,
  ParseContext,
  jsonName,
  type CheckReporter,
  type DefaultedField,
  type ExtensionEntry,
  type FieldType,
  type FieldValue,
  type Invalid,
  type JsonObject,
  type JsonValue,
  type MessageType,
  type MessageValue,
  type ParseServices,
  type RequiredField,
  type TypedConfig,
} from './config/schema/index.js';
export type { BootstrapConfig, LayeredRuntimeConfig, NodeConfig } from './config/envoy/bootstrap.js';
export { clusterLoadAssignmentSchema, type ClusterConfig, type ClusterLoadAssignmentConfig, type DiscoveryType, type DnsLookupFamily, type LbEndpointConfig } from './config/envoy/cluster.js';
export type { FilterChainConfig, FilterChainMatchConfig, ListenerConfig } from './config/envoy/listener.js';
export { addressSchema, cidrRangeSchema, metadataSchema, type AddressConfig, type CidrRangeConfig, type EnvoyInternalAddressConfig, type MetadataConfig, type SocketAddressConfig } from './config/envoy/address.js';
export { dataSourceSchema, describeDataSource, readDataSource, type DataSourceConfig } from './config/envoy/data-source.js';
export {
  configSourceFile,
  configSourceSchema,
  grpcServiceSchema,
  type ApiConfigSourceConfig,
  type ApiType,
  type ConfigSourceConfig,
  type GrpcServiceConfig,
  type XdsConfigSourceConfig,
} from './config/envoy/config-source.js';
export { watchFile } from './config/file-watch.js';
export {
  fractionalPercentSchema,
  percentSchema,
  runtimeFractionalPercentSchema,
  sampled,
  type FractionalPercentConfig,
  type PercentConfig,
  type RuntimeFractionalPercentConfig,
} from './config/envoy/fractional-percent.js';
export { featureEnabled, runtimeFeatureFlagSchema, type RuntimeFeatureFlagConfig } from './config/envoy/runtime-feature-flag.js';
export {
  COMPRESSOR_CATEGORY,
  DECOMPRESSOR_CATEGORY,
  type ChunkCodec,
  type CompressionLibrary,
  type CompressorLibrary,
  type CompressorLibraryFactory,
  type DecompressorLibrary,
  type DecompressorLibraryFactory,
} from './compression/compression-library.js';
export { InflateRatioExceeded, ZlibChunkCodec, type ZlibChunkCodecOptions } from './compression/zlib-chunk-codec.js';
export { OutputEndingCodec } from './compression/output-ending-codec.js';
export {
  regexMatchAndSubstituteSchema,
  regexMatcherSchema,
  regexRewrite,
  stringMatcher,
  stringMatcherSchema,
  type RegexMatchAndSubstituteConfig,
  type StringMatcherConfig,
} from './config/envoy/string-matcher.js';
export { SECRET_TYPE_URL, SecretManager, type Secret, type SecretSubscription } from './secrets/secret-manager.js';

// Extension registry
export { Category, type CoreCategory } from './registry/categories.js';
export { ExtensionRegistry } from './registry/registry.js';
export type { NodevoyExtension } from './registry/extension.js';
export { extensionPackage, type ExtensionPackage } from './registry/extension-package.js';
export type {
  AccessLogger,
  AccessLoggerFactory,
  MetricSnapshot,
  StatsSink,
  StatsSinkFactory,
  BootstrapExtension,
  BootstrapExtensionFactory,
  ClientConnectionFactoryDefinition,
  ClusterFactoryContext,
  ClusterTypeFactory,
  ConfigOnlyFactory,
  ProtocolOptionsCluster,
  DiscoveredHost,
  DownstreamTransportSocket,
  ExtensionFactory,
  HostDiscovery,
  ListenerFilter,
  ListenerFilterCallbacks,
  ListenerFilterFactory,
  NetworkFilterFactory,
  ClusterReference,
  NetworkFilterFactoryCb,
  ResourceMonitor,
  ResourceMonitorContext,
  ResourceMonitorFactory,
  TransportSocketFactory,
} from './registry/types.js';

// Tracing
export { NULL_SPAN, type Span, type SpanStartOptions, type TraceContextCarrier, type TraceOperation, type Tracer, type TracerFactory } from './tracing/tracer.js';
export { SpanBatcher, type SpanBatcherOptions } from './tracing/span-batcher.js';
export { RecordingSpan } from './tracing/recording-span.js';
export { randomTraceId } from './tracing/trace-ids.js';
export { wallClockMs } from './tracing/wall-clock.js';

// Network
export {
  INTERNAL_CLIENT_ADDRESS,
  addressStatName,
  addressToProto,
  internalAddress,
  socketAddress,
  parseIpAndPort,
  type Address,
  type AddressKind,
  type InternalAddress,
  type SocketAddress,
} from './network/address.js';
export { cidrContains, parseCidr, type Cidr } from './listener/cidr.js';
export {
  Connection,
  type ConnectionCallbacks,
  type ConnectionCloseType,
  type ConnectionEvent,
  type ConnectionLog,
  type ConnectionMeters,
  type ConnectionOptions,
  type ConnectionState,
  type DetectedCloseType,
} from './network/connection.js';
export { ConnectionInfo, RequestInfo, mergeDynamicMetadata, type DynamicMetadata } from './network/connection-info.js';
export { FilterState, type FilterStateSharing, type SharedFilterStateObject } from './network/filter-state.js';
export {
  PassthroughState,
  REQUEST_PASSTHROUGH_HEADER,
  RequestPassthroughRegistry,
  mergePassthrough,
  requestPassthrough,
  type PassthroughBundle,
  type PassthroughTarget,
  type RequestPassthroughSource,
} from './network/passthrough-state.js';
export type {
  Filter,
  FilterManager,
  FilterStatus,
  ReadFilter,
  ReadFilterCallbacks,
  WriteFilter,
  WriteFilterCallbacks,
} from './network/filter.js';
export { NOOP_IO_CALLBACKS, type IoCloseMode, type IoHandle, type IoHandleCallbacks, type ReleasedSocket, type TransportClosed } from './network/io-handle.js';
export { SocketIoHandle } from './network/socket-io-handle.js';
export { DelegatingIoHandle } from './network/delegating-io-handle.js';
export {
  PROXY_PROTOCOL_V2_SIGNATURE,
  encodeProxyProtocol,
  parseProxyProtocol,
  type ProxyProtocolHeader,
  type ProxyProtocolParse,
} from './network/proxy-protocol.js';
export { IoHandleDuplex, TransportClosedError } from './network/io-handle-duplex.js';
export type { SslConnectionInfo } from './network/ssl-info.js';
export type {
  ClientConnectionContext,
  ClientConnectionFactory,
  ClientConnectionOptions,
  UpstreamHostRef,
  UpstreamSocketContext,
  UpstreamTransportSocket,
} from './network/client-connection-factory.js';
export { upstreamSocketContext } from './network/client-connection-factory.js';
export type { ClientConnectionFactories } from './network/client-connection-factories.js';

// Listeners
export {
  INTERNAL_LISTENER_REGISTRY,
  type InternalListenerHandle,
  type InternalListenerRegistry,
} from './listener/internal-listener-registry.js';

// Upstream
export { discoveredHost, endpointEntries, internalEndpointAddress, loadAssignmentEntries, type EndpointEntry } from './upstream/load-assignment.js';
export { XdsRejection, XdsTypeUrl, type XdsMux, type XdsMuxContext, type XdsMuxFactory, type XdsResource, type XdsWatch, type XdsWatchCallbacks } from './xds/xds-types.js';
export { XDS_SUBSCRIPTIONS, type XdsSubscriptions } from './xds/xds-subscriptions.js';
export { xdsConfigSourceSchema } from './config/envoy/config-source.js';
export { PoolRequestStats } from './upstream/pool-request-stats.js';
export type {
  ClusterInfo,
  ClusterManagerApi,
  HealthStatus,
  Host,
  HostHealthFlag,
  HostStats,
  LoadBalancerContext,
  PoolFailureReason,
  TcpPoolCallbacks,
  TcpPoolHandle,
  UpstreamCluster,
  UpstreamConnectionOptions,
  UpstreamRequester,
  DownstreamAddresses,
} from './upstream/types.js';
export type { ClusterStats } from './upstream/cluster-stats.js';
export {
  GRPC_HEALTH_CHECK_TYPE_URL,
  HTTP_HEALTH_CHECK_TYPE_URL,
  TCP_HEALTH_CHECK_TYPE_URL,
  healthCheckPayloadSchema,
  type HealthCheckConfig,
  type HealthCheckPayloadConfig,
} from './config/envoy/health-check.js';
export { payloadBytes, payloadMatches } from './upstream/health-check/payload.js';
export type { OutlierReporter, OutlierResult } from './upstream/outlier/outlier-types.js';
export { hashingBalancer, hostHashKey, normalizedWeights, type HashedHostSet, type LoadBalancer, type LoadBalancerFactoryContext, type LoadBalancingPolicyFactory } from './upstream/load-balancing-policy.js';
export { loadXxHash64, xxHash64, xxHash64Chain } from './hashing/xx-hash-64.js';
export { randomHash64 } from './hashing/random-hash.js';
export type {
  HealthChecker,
  HealthCheckerContext,
  HealthCheckerFactory,
  HealthCheckFailureType,
  HealthCheckResult,
  HealthCheckSession,
  HealthCheckTarget,
} from './upstream/health-check/types.js';

// Overload manager
export { BufferAccount, type AccountedConnection } from './overload/buffer-account.js';
export { PAUSE_READS, REJECT_INCOMING_CONNECTIONS, type OverloadState } from './overload/overload-manager.js';
export type { OverloadManagerConfig } from './config/envoy/overload.js';

export {
  DEFAULT_ACCESS_LOG_FORMAT,
  accessLogSchema,
  formatText,
  compileSubstitutionFormat,
  substitutionFormatStringSchema,
  type SubstitutionFormatStringConfig,
} from './config/envoy/format-string.js';

// Format strings
export { compileFormat, FormatError, type AccessLogType, type FormatContext, type FormatInfo, type Formatter, type StreamOutcome } from './formatter/substitution-format.js';
export { connectionLogContext, createAccessLoggers, emitAccessLogs, type LoggedConnection } from './formatter/access-log.js';
export { ResponseFlags, type ResponseFlag } from './network/response-flags.js';
export { upstreamTransportFailureReason } from './network/connect-failure.js';

// Stats, runtime, logging
export {
  Counter,
  Gauge,
  Histogram,
  StatsScope,
  StatsStore,
  createStatsSet,
  type StatsSet,
  type StatsSetSpec,
} from './stats/store.js';
export { renderStatsText, renderStatsJson } from './stats/render.js';
export { renderPrometheus } from './stats/prometheus.js';
export { StatsFlusher } from './stats/flusher.js';
export { extractTags, type Tagged } from './stats/tags.js';
export { mergeStats, snapshotStats, type StatsSnapshot } from './stats/snapshot.js';
export { Runtime, type RuntimeValue } from './runtime/runtime.js';
export { LOG_LEVELS, Logger, stderrSink, type LogLevel, type LogSink } from './log/logger.js';

// Server
export { Server, type ServerOptions } from './server/server.js';
export { ServiceKey, ServiceRegistry } from './server/services.js';
export { workerContext, type WorkerContext } from './server/worker.js';
export type {
  ConfigIssueReporter,
  DrainDecision,
  FilterFactoryContext,
  ListenerScope,
  ListenerInfo,
  ServerContext,
  ServerLifecycle,
  ServerMode,
} from './server/context.js';
export type { AdminSource, ServerState } from './admin/admin-source.js';
export { handleAdminRequest, type AdminRequest, type AdminResponse } from './admin/handlers.js';
export { logAdminAddress } from './admin/admin-server.js';
export {
  CERTIFICATE_REPORTS,
  CertificateReports,
  type CertificateDetails,
  type CertificateGroup,
  type CertificateReporter,
} from './admin/certificates.js';
export { ConfigGraph, describeCycle, type CycleHop, type DanglingEndpoint, type GraphCluster, type GraphEndpoint, type GraphFilter, type GraphListener } from './graph/config-graph.js';
export { renderGraphText } from './graph/graph-text.js';
export { renderGraphDot, renderGraphMermaid } from './graph/graph-diagram.js';
export type { HopFailure } from './network/hop-failure.js';
