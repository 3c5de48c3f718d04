import type { ClusterConfig } from '../config/envoy/cluster.js';
import type { TypedConfig } from '../config/schema/any.js';
import type { Address } from '../network/address.js';
import type { DiscoveredHost } from '../registry/types.js';
import type { Connection } from '../network/connection.js';
import type { FilterState } from '../network/filter-state.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import type { WorkerContext } from '../server/worker.js';
import type { StatsScope } from '../stats/store.js';
import type { ClusterStats } from './cluster-stats.js';
import type { OutlierReporter } from './outlier/outlier-types.js';
import type { ResourceManager, RoutingPriority } from './resource-manager.js';

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

/** Per-host counters, shown by `/clusters` (Envoy keeps them out of `/stats` too). */
export interface HostStats {
  cx_total: number;
  cx_active: number;
  cx_connect_fail: number;
  rq_total: number;
  rq_active: number;
  rq_error: number;
  rq_success: number;
  rq_timeout: number;
  rq_pending_active: number;
}

/**
 * Why a host is out of (or degraded in) load balancing, beside what EDS says: Envoy's
 * `Host::HealthFlag`s that active health checking and outlier detection set.
 */
export type HostHealthFlag = 'failed_active_hc' | 'failed_outlier_check' | 'degraded_active_hc' | 'excluded_via_immediate_hc_fail' | 'active_hc_timeout';

/** One upstream endpoint of a cluster: what discovery found, plus its counters and health flags. */
export interface Host extends DiscoveredHost {
  readonly stats: HostStats;
  readonly healthFlags: Set<HostHealthFlag>;
}

/** A cluster's static facts: name, limits, stats, options. */
export interface ClusterInfo {
  readonly name: string;
  readonly config: ClusterConfig;
  readonly statsScope: StatsScope;
  readonly stats: ClusterStats;
  readonly connectTimeoutMs: number;
  readonly perConnectionBufferLimitBytes: number;
  /** The circuit breakers of each routing priority (connections, pending requests, requests, retries). */
  readonly resources: Readonly<Record<RoutingPriority, ResourceManager>>;
  /** `per_host_thresholds.max_connections`: connections to one host at once (undefined: no limit). */
  readonly maxConnectionsPerHost: number | undefined;
  /** `upstream_connection_options.tcp_keepalive`'s idle time in ms (0: the system's); undefined: no keep-alive. */
  readonly tcpKeepaliveMs: number | undefined;
  readonly metadata: Readonly<Record<string, Record<string, unknown>>>;
  /** `typed_extension_protocol_options` by extension name or `@type`. */
  protocolOptions(name: string): TypedConfig | undefined;
}

/** Why a pooled connection attempt failed, as Envoy's `ConnectionPool::PoolFailureReason`. */
export type PoolFailureReason = 'Overflow' | 'LocalConnectionFailure' | 'RemoteConnectionFailure' | 'Timeout';

export interface TcpPoolCallbacks {
  onPoolReady(connection: Connection, host: Host): void;
  onPoolFailure(reason: PoolFailureReason, detail: string, host: Host): void;
}

/** An attempt in progress; `cancel()` closes the connection if it is still connecting. */
export interface TcpPoolHandle {
  cancel(): void;
}

export interface UpstreamConnectionOptions {
  /**
   * Count the connection as one request (`upstream_rq_*`), as Envoy's TCP pool does for
   * tcp_proxy. HTTP pools count their requests themselves and pass false. Default true.
   */
  readonly countsAsRequest?: boolean;
  /** Who opens the connection: a downstream connection or request (see `UpstreamRequester`). */
  readonly requester?: UpstreamRequester;
  /** ALPN protocols to offer where the transport socket configures none (see UpstreamSocketContext). */
  readonly alpnFallback?: readonly string[];
}

/**
 * What an upstream connection inherits from the downstream connection or request that opens
 * it: filter state objects shared with upstream, and how many internal hops deep it already is
 * (so a loop of internal listeners stops at the hop limit).
 */
export interface UpstreamRequester {
  readonly filterState: FilterState;
  readonly internalHops: number;
  /** The downstream connection's addresses, for a transport socket that sends them on (PROXY protocol). */
  readonly downstreamAddresses?: DownstreamAddresses;
}

/** The two ends of a downstream connection, as the proxy accepted it. */
export interface DownstreamAddresses {
  readonly local: Address;
  readonly remote: Address;
}

/** What a load balancer may use to pick a host. */
export interface LoadBalancerContext {
  /** The downstream request's headers, for clusters that pick by header (ORIGINAL_DST). */
  readonly requestHeaders?: { get(name: string): string | undefined };
  /** The downstream connection's original destination, when a listener filter restored it (ORIGINAL_DST). */
  readonly originalDestination?: Address;
  /** The request's hash from its route's `hash_policy`, computed when a hashing balancer asks (undefined: none). */
  hashKey?(): bigint | undefined;
}

/** A cluster as filters use it: choose a host and get a TCP connection to it. */
export interface UpstreamCluster {
  readonly info: ClusterInfo;
  /** The cluster's `transport_socket` (undefined: raw bytes). */
  readonly transportSocket: UpstreamTransportSocket | undefined;
  readonly hosts: readonly Host[];
  /** Where filters report what a host did (answers, refused connections, timeouts) for outlier detection. */
  readonly outlier: OutlierReporter;
  chooseHost(context?: LoadBalancerContext): Host | undefined;
  /**
   * Opens a new upstream connection (Envoy's TCP connection pool as tcp_proxy uses it: one
   * connection per request). The outcome arrives via callbacks, never synchronously; after
   * `onPoolReady` the caller owns the connection and releases it by closing it.
   */
  newTcpConnection(host: Host, worker: WorkerContext, callbacks: TcpPoolCallbacks, options?: UpstreamConnectionOptions): TcpPoolHandle;
}

export interface ClusterManagerApi {
  getCluster(name: string): UpstreamCluster | undefined;
  /**
   * Whether a cluster of that name exists, serving or warming (a CDS cluster awaiting its first
   * endpoints): what config-time checks ask, as Envoy's `clusters()` answers them.
   */
  hasCluster(name: string): boolean;
  /** Called with the name of each cluster CDS replaced or removed, so pools of the old one drain. */
  onClusterChange(listener: (name: string) => void): void;
  clusterNames(): string[];
}
