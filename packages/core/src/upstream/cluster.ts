import type { ClusterConfig } from '../config/envoy/cluster.js';
import type { TypedConfig } from '../config/schema/any.js';
import type { ClientConnectionFactories } from '../network/client-connection-factories.js';
import type { Connection } from '../network/connection.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import type { DiscoveredHost, HostDiscovery } from '../registry/types.js';
import type { WorkerContext } from '../server/worker.js';
import type { StatsScope } from '../stats/store.js';
import { createClusterStats, type ClusterStats } from './cluster-stats.js';
import { createHost, isHealthy } from './host.js';
import { createLoadBalancer, type LbPolicy, type LoadBalancer } from './load-balancer.js';
import { newTcpConnection } from './tcp-connection-pool.js';
import type { ClusterInfo, Host, LoadBalancerContext, TcpPoolCallbacks, TcpPoolHandle, UpstreamCluster, UpstreamConnectionOptions } from './types.js';

/** Envoy's defaults: 5 s connect timeout, 1 MiB buffers, 1024 connections. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 1024;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_CLEANUP_INTERVAL_MS = 5000;

export interface ClusterDeps {
  readonly config: ClusterConfig;
  readonly statsScope: StatsScope;
  readonly discovery: HostDiscovery;
  readonly clientConnections: ClientConnectionFactories;
  readonly transportSocket: UpstreamTransportSocket | undefined;
}

/** A configured cluster: its hosts, load balancer, stats and connection opening. */
export class Cluster implements UpstreamCluster {
  readonly info: ClusterInfo;
  private currentHosts: Host[] = [];
  private readonly loadBalancer: LoadBalancer;
  private readonly openConnections = new Set<Connection>();
  private cleanupTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ClusterDeps) {
    const { config, statsScope } = deps;
    const stats = createClusterStats(statsScope);
    const defaultThresholds = config.circuit_breakers?.thresholds?.find((t) => (t.priority ?? 'DEFAULT') === 'DEFAULT');
    const protocolOptions = new Map<string, TypedConfig>();
    for (const [name, typed] of Object.entries(config.typed_extension_protocol_options ?? {})) {
      protocolOptions.set(name, typed);
      protocolOptions.set(typed.typeUrl, typed);
    }
    this.info = {
      name: config.name,
      config,
      statsScope,
      stats,
      connectTimeoutMs: config.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
      perConnectionBufferLimitBytes: config.per_connection_buffer_limit_bytes ?? DEFAULT_BUFFER_LIMIT_BYTES,
      maxConnections: defaultThresholds?.max_connections ?? DEFAULT_MAX_CONNECTIONS,
      maxRetries: defaultThresholds?.max_retries ?? DEFAULT_MAX_RETRIES,
      metadata: config.metadata?.filter_metadata ?? {},
      protocolOptions: (name) => protocolOptions.get(name),
    };
    this.loadBalancer = createLoadBalancer((config.lb_policy ?? 'ROUND_ROBIN') as LbPolicy);
    // Read when stats are read, never on the data path.
    statsScope.store.addRefresher(() => {
      let tx = 0;
      let rx = 0;
      for (const connection of this.openConnections) {
        tx += connection.pendingWriteBytes;
        rx += connection.pendingReadBytes;
      }
      stats.upstream_cx_tx_bytes_buffered.set(tx);
      stats.upstream_cx_rx_bytes_buffered.set(rx);
    });
    deps.discovery.onHostsChanged(() => this.refreshHosts(true));
    this.refreshHosts(false);
  }

  get name(): string {
    return this.info.name;
  }

  get hosts(): readonly Host[] {
    return this.currentHosts;
  }

  initialize(): Promise<void> {
    return this.deps.discovery.initialize();
  }

  stop(): void {
    clearTimeout(this.cleanupTimer);
    this.deps.discovery.stop();
  }

  /**
   * Picks a host: the lowest priority with a healthy host; if no host is healthy anywhere,
   * Envoy's panic mode balances over all hosts.
   */
  chooseHost(context?: LoadBalancerContext): Host | undefined {
    const provided = this.deps.discovery.chooseHost;
    if (provided) return this.clusterProvidedHost(provided.call(this.deps.discovery, context));
    const hosts = this.currentHosts;
    if (hosts.length === 0) return undefined;
    this.info.stats['default.total_match_count'].inc();
    let best: Host[] | undefined;
    let bestPriority = Infinity;
    for (const host of hosts) {
      if (!isHealthy(host) || host.priority > bestPriority) continue;
      if (host.priority < bestPriority) {
        bestPriority = host.priority;
        best = [];
      }
      best?.push(host);
    }
    if (!best) {
      this.info.stats.lb_healthy_panic.inc();
      return this.loadBalancer.pick(hosts);
    }
    return this.loadBalancer.pick(best);
  }

  /** A host the cluster type picked; the same address keeps the same Host (and its counters). */
  private clusterProvidedHost(discovered: DiscoveredHost | undefined): Host | undefined {
    if (!discovered) return undefined;
    this.info.stats['default.total_match_count'].inc();
    const key = discovered.address.asString;
    let host = this.currentHosts.find((h) => h.address.asString === key);
    if (!host) {
      host = createHost(discovered);
      this.setProvidedHosts([...this.currentHosts, host]);
      this.scheduleProvidedHostCleanup();
    }
    return host;
  }

  /**
   * Hosts a cluster type created per request are dropped once nothing uses them, checked every
   * `cleanup_interval` (5 s by default), as Envoy's ORIGINAL_DST cluster: memory stays bounded
   * by the destinations in use, not by every destination ever seen.
   */
  private scheduleProvidedHostCleanup(): void {
    if (this.cleanupTimer) return;
    this.cleanupTimer = setTimeout(() => {
      this.cleanupTimer = undefined;
      const inUse = this.currentHosts.filter((h) => h.stats.cx_active > 0 || h.stats.rq_active > 0 || h.stats.rq_pending_active > 0);
      if (inUse.length !== this.currentHosts.length) this.setProvidedHosts(inUse);
      if (inUse.length > 0) this.scheduleProvidedHostCleanup();
    }, this.deps.config.cleanup_interval ?? DEFAULT_CLEANUP_INTERVAL_MS);
    this.cleanupTimer.unref();
  }

  private setProvidedHosts(hosts: Host[]): void {
    this.currentHosts = hosts;
    this.info.stats.membership_total.set(hosts.length);
    this.info.stats.membership_healthy.set(hosts.length);
    this.info.stats.membership_change.inc();
  }

  newTcpConnection(host: Host, worker: WorkerContext, callbacks: TcpPoolCallbacks, options: UpstreamConnectionOptions = {}): TcpPoolHandle {
    return newTcpConnection(
      {
        info: this.info,
        clientConnections: this.deps.clientConnections,
        transportSocket: this.deps.transportSocket,
        openConnections: this.openConnections,
      },
      host,
      worker,
      callbacks,
      options,
    );
  }

  get transportSocket(): UpstreamTransportSocket | undefined {
    return this.deps.transportSocket;
  }

  /** `viaUpdate`: a discovery refresh (DNS), which Envoy counts in `update_*`; not the first load. */
  private refreshHosts(viaUpdate: boolean): void {
    const previous = new Map(this.currentHosts.map((h) => [h.address.asString, h]));
    const next = this.deps.discovery.hosts.map((d) => createHost(d, previous.get(d.address.asString)));
    const stats: ClusterStats = this.info.stats;
    const changed = next.length !== this.currentHosts.length || next.some((h) => !previous.has(h.address.asString));
    this.currentHosts = next;
    if (viaUpdate) {
      if (!this.deps.discovery.countsOwnUpdates) {
        stats.update_attempt.inc();
        stats.update_success.inc();
        if (next.length === 0) stats.update_empty.inc();
      }
      if (!changed) stats.update_no_rebuild.inc();
    }
    if (changed) stats.membership_change.inc();
    stats.membership_total.set(next.length);
    stats.membership_healthy.set(next.filter(isHealthy).length);
    stats.membership_degraded.set(next.filter((h) => h.health === 'DEGRADED').length);
    stats.max_host_weight.set(next.reduce((m, h) => Math.max(m, h.weight), 0));
  }
}
