import type { ClusterConfig, DiscoveryType } from '../config/envoy/cluster.js';
import type { BufferAccount } from '../overload/buffer-account.js';
import type { FormatContext } from '../formatter/substitution-format.js';
import type { FieldType } from '../config/schema/types.js';
import type { Address } from '../network/address.js';
import type { ClientConnectionFactory, UpstreamTransportSocket } from '../network/client-connection-factory.js';
import type { ConnectionInfo } from '../network/connection-info.js';
import type { FilterManager, FilterStatus } from '../network/filter.js';
import type { IoHandle } from '../network/io-handle.js';
import type { FilterFactoryContext, ServerContext } from '../server/context.js';
import type { StatsScope } from '../stats/store.js';
import type { HealthStatus, LoadBalancerContext } from '../upstream/types.js';
import type { Category } from './categories.js';

/**
 * What every extension factory declares: its name (for people, logs and stats), its
 * category, the `@type` URLs of the typed configs it claims, and how to read that config.
 */
export interface ExtensionFactory<C = unknown> {
  readonly name: string;
  readonly category: string;
  readonly typeUrls: readonly string[];
  readonly configSchema: FieldType<C>;
}

/** Added to each new connection by a filter chain; built once per chain from the config. */
export type NetworkFilterFactoryCb = (filterManager: FilterManager) => void;

/** A cluster a filter sends connections or requests to, and how it picks it (for people). */
export interface ClusterReference {
  readonly cluster: string;
  /** e.g. `route /api`, `weighted 80%`, `CONNECT tunnel to %DOWNSTREAM_LOCAL_PORT%`. */
  readonly via: string;
}

export interface NetworkFilterFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.networkFilter;
  /** Terminal filters (tcp_proxy, the HTTP connection manager) must end a filter chain. */
  readonly isTerminalFilter: boolean;
  createFilterFactory(config: C, context: FilterFactoryContext): NetworkFilterFactoryCb;
  /**
   * The clusters this filter can send to, so the listener -> cluster -> internal listener graph
   * can be drawn and checked for cycles (`--mode validate --graph`). Filters that never open an
   * upstream leave it out.
   */
  clusterReferences?(config: C): readonly ClusterReference[];
}

/** What a listener filter sees of a socket before it becomes a connection. */
export interface ListenerFilterCallbacks {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  readonly info: ConnectionInfo;
  /** Resumes after `onAccept` returned `stop`; `false` closes the socket. */
  continueFilterChain(success: boolean): void;
  /** The peer is really this address (a PROXY protocol header said so): filter chains and logs see it. */
  setRemoteAddress(address: Address): void;
  /** The connection was really for this address (PROXY protocol, original destination). */
  restoreLocalAddress(address: Address): void;
  /** The first `bytes` peeked were the filter's own (a PROXY header): the connection never reads them. */
  drainPeeked(bytes: number): void;
}

/**
 * A listener filter (Envoy's `Network::ListenerFilter`): runs on an accepted socket before the
 * filter chain is chosen, and may set what the chain match reads (`info.requestedServerName`,
 * `transportProtocol`, `applicationProtocols`). One that looks at the first bytes returns `stop`
 * from `onAccept` and declares `maxReadBytes`; it then gets `onData` with every byte peeked so
 * far (nothing is consumed: the connection reads them all again), each time more arrive, until
 * it returns `continue`.
 */
export interface ListenerFilter {
  onAccept(callbacks: ListenerFilterCallbacks): FilterStatus;
  readonly maxReadBytes?: number;
  onData?(data: Buffer): FilterStatus;
}

export interface ListenerFilterFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.listenerFilter;
  createListenerFilterFactory(config: C, context: FilterFactoryContext): () => ListenerFilter;
}

/** A server-wide extension created at startup, before clusters and listeners. */
export interface BootstrapExtension {
  onServerInitialized?(): void;
  onShutdown?(): void;
}

export interface BootstrapExtensionFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.bootstrap;
  createBootstrapExtension(config: C, context: ServerContext): BootstrapExtension;
}

/** Writes one line per finished request or connection (Envoy's access logger). */
export interface AccessLogger {
  log(context: FormatContext): void;
}

/** An access logger extension (`envoy.access_loggers.*`), as an `access_log` entry names it. */
export interface AccessLoggerFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.accessLogger;
  createAccessLogger(config: C, context: ServerContext): AccessLogger;
}

/** The stats a sink receives at each flush (Envoy's MetricSnapshot). */
export interface MetricSnapshot {
  /** Counters that ever counted, with how much they counted since the last flush. */
  readonly counters: readonly { readonly name: string; readonly delta: number; readonly value: number }[];
  /** Gauges that were ever set. */
  readonly gauges: readonly { readonly name: string; readonly value: number }[];
}

/** A stats sink (Envoy's `Stats::Sink`): counters and gauges at each flush, histogram values as they are recorded. */
export interface StatsSink {
  flush(snapshot: MetricSnapshot): void;
  onHistogramComplete(histogram: { readonly name: string; readonly unit: 'ms' | 'us' | 'bytes' | 'unspecified' }, value: number): void;
  close(): void;
}

/** A stats sink extension (`envoy.stat_sinks.*`), as a `stats_sinks` entry names it. */
export interface StatsSinkFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.statsSink;
  createStatsSink(config: C, context: ServerContext): StatsSink;
}

/** How loaded one resource is: 0 idle, 1 at its configured limit (Envoy's resource monitor). */
export interface ResourceMonitor {
  pressure(): number;
  /**
   * A monitor that can tell at once (not only when polled) calls `onChange` synchronously when
   * its pressure moves across one of `pressures`, so an action takes effect before it is late.
   */
  watch?(pressures: readonly number[], onChange: () => void): void;
}

export interface ResourceMonitorContext {
  readonly server: ServerContext;
  /** The bytes every connection and internal hop of the server holds in buffers. */
  readonly bufferAccount: BufferAccount;
}

/** A resource monitor of the overload manager (`envoy.resource_monitors.*`). */
export interface ResourceMonitorFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.resourceMonitor;
  createResourceMonitor(config: C, context: ResourceMonitorContext): ResourceMonitor;
}

/** A downstream transport socket wraps an accepted transport (raw_buffer: as is). */
export interface DownstreamTransportSocket {
  wrap(io: IoHandle): IoHandle;
}

export interface TransportSocketFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.transportSocket;
  createUpstream?(config: C, context: ClusterFactoryContext): UpstreamTransportSocket;
  /** `context` is the filter chain's: its listener names where listener-scoped stats go (`ssl.*`). */
  createDownstream?(config: C, context: FilterFactoryContext): DownstreamTransportSocket;
}

/** One endpoint as a cluster type discovers it. */
export interface DiscoveredHost {
  readonly address: Address;
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  readonly health: HealthStatus;
  readonly metadata: Readonly<Record<string, Record<string, unknown>>>;
  readonly locality: { readonly region: string; readonly zone: string; readonly sub_zone: string };
  /** The endpoint's `health_check_config`: another port or Host header for its active checks, or none. */
  readonly healthCheckConfig?: EndpointHealthCheck;
}

export interface EndpointHealthCheck {
  readonly portValue?: number;
  readonly hostname?: string;
  readonly disabled?: boolean;
}

/** Keeps a cluster's host list: STATIC once, DNS types by resolving and re-resolving. */
export interface HostDiscovery {
  /** Resolves once the first host list is known (Envoy's cluster warming). */
  initialize(): Promise<void>;
  readonly hosts: readonly DiscoveredHost[];
  onHostsChanged(callback: () => void): void;
  stop(): void;
  /** Its updates are counted in `cluster.<name>.update_*` by itself (EDS: by its xDS subscription). */
  readonly countsOwnUpdates?: boolean;
  /**
   * `lb_policy: CLUSTER_PROVIDED`: the cluster type picks the host itself, per request
   * (ORIGINAL_DST takes it from a header or the connection's original destination).
   */
  chooseHost?(context: LoadBalancerContext | undefined): DiscoveredHost | undefined;
}

export interface ClusterFactoryContext {
  readonly server: ServerContext;
  /** `cluster.<name>.`: where a cluster's extensions put their stats. */
  readonly clusterStats: StatsScope;
}

/**
 * A cluster type, keyed by the `DiscoveryType` Envoy maps to it (STATIC to
 * `envoy.cluster.static`...). Its `configSchema` is unused: the cluster config is core's.
 */
export interface ClusterTypeFactory extends ExtensionFactory {
  readonly category: typeof Category.clusterType;
  readonly discoveryTypes: readonly DiscoveryType[];
  /** The type balances itself (its discovery has `chooseHost`): `lb_policy: CLUSTER_PROVIDED`. */
  readonly providesLoadBalancer?: boolean;
  /** Config-time checks (e.g. STATIC endpoints must be IP addresses). */
  validate(config: ClusterConfig, context: ServerContext): void;
  createHostDiscovery(config: ClusterConfig, context: ClusterFactoryContext): HostDiscovery;
}

/** A client connection factory for one address kind, created per server. */
export interface ClientConnectionFactoryDefinition extends ExtensionFactory {
  readonly category: typeof Category.clientConnection;
  readonly addressKind: string;
  createFactory(context: ServerContext): ClientConnectionFactory;
}

/**
 * A typed-config-only extension: parsed, then read by others. Cluster protocol options, and the
 * types of config resources (a TLS `Secret`) that the bootstrap and resource files hold.
 */
export interface ConfigOnlyFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.upstreamProtocolOptions | typeof Category.configResource;
  /**
   * Protocol options: what they require of the cluster that carries them (HTTP's `auto_config`
   * needs a transport socket that negotiates ALPN). Reports a config error through `issue`.
   */
  checkCluster?(config: C, cluster: ProtocolOptionsCluster, issue: (message: string) => void): void;
}

/** What protocol options may check of their cluster. */
export interface ProtocolOptionsCluster {
  readonly name: string;
  readonly transportSocket: UpstreamTransportSocket | undefined;
}
