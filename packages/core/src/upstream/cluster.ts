import type { ClusterConfig } from '../config/envoy/cluster.js';
import type { TypedConfig } from '../config/schema/any.js';
import type { ClientConnectionFactories } from '../network/client-connection-factories.js';
import type { Connection } from '../network/connection.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import type { DiscoveredHost, HostDiscovery } from '../registry/types.js';
import type { WorkerContext } from '../server/worker.js';
import type { StatsScope } from '../stats/store.js';
import type { Logger } from '../log/logger.js';
import type { Address } from '../network/address.js';
import type { ServerContext } from '../server/context.js';
import { ClusterHealthChecking } from './health-check/cluster-health-checking.js';
import { OutlierDetector } from './outlier/outlier-detector.js';
import { NO_OUTLIER_DETECTION, type OutlierReporter } from './outlier/outlier-types.js';
import { createClusterStats, type ClusterStats } from './cluster-stats.js';
import { createHost, isHealthy } from './host.js';
import { RoundRobinLoadBalancer } from './load-balancer.js';
import { createResourceManagers } from './resource-manager.js';
import { DEFAULT_OVERPROVISIONING_FACTOR, priorityShares, type PriorityShare } from './priority-load.js';
import type { LoadBalancer } from './load-balancing-policy.js';
import { newTcpConnection } from './tcp-connection-pool.js';
import type { ClusterInfo, Host, LoadBalancerContext, TcpPoolCallbacks, TcpPoolHandle, UpstreamCluster, UpstreamConnectionOptions } from './types.js';

/** Envoy's defaults: 5 s connect timeout, 1 MiB buffers, 1024 connections. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_CLEANUP_INTERVAL_MS = 5000;

export interface ClusterDeps {
  readonly config: ClusterConfig;
  readonly statsScope: StatsScope;
  readonly discovery: HostDiscovery;
  readonly clientConnections: ClientConnectionFactories;
  readonly transportSocket: UpstreamTransportSocket | undefined;
  /** The cluster's balancer (none: round robin; a cluster type that picks hosts itself ignores it). */
  readonly loadBalancer?: LoadBalancer;
  readonly server: ServerContext;
  /** The worker the cluster's own connections (health checks) belong to. */
  readonly worker: WorkerContext;
  readonly log: Logger;
}

/** A configured cluster: its hosts, load balancer, stats and connection opening. */
export class Cluster implements UpstreamCluster {
  readonly info: ClusterInfo;
  private currentHosts: Host[] = [];
  private readonly loadBalancer: LoadBalancer;
  private readonly openConnections = new Set<Connection>();
  private cleanupTimer: NodeJS.Timeout | undefined;
  private readonly healthChecking: ClusterHealthChecking | undefined;
  private readonly outlierDetector: OutlierDetector | undefined;
  private shares: readonly PriorityShare[] = [];
  /** `common_lb_config.healthy_panic_threshold` in percent (Envoy's default 50; 0 disables panic). */
  private readonly panicThreshold: number;
  /** Initialized (warm): membership gauges follow health changes from here on, as Envoy's. */
  private initialized = false;

  constructor(private readonly deps: ClusterDeps) {
    const { config, statsScope } = deps;
    const stats = createClusterStats(statsScope);
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
      resources: createResourceManagers(config.circuit_breakers?.thresholds, statsScope),
      maxConnectionsPerHost: config.circuit_breakers?.per_host_thresholds?.find((t) => (t.priority ?? 'DEFAULT') === 'DEFAULT')?.max_connections,
      tcpKeepaliveMs: keepaliveMs(config),
      metadata: config.metadata?.filter_metadata ?? {},
      protocolOptions: (name) => protocolOptions.get(name),
    };
    this.panicThreshold = config.common_lb_config?.healthy_panic_threshold?.value ?? 50;
    this.loadBalancer = deps.loadBalancer ?? new RoundRobinLoadBalancer();
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
    this.healthChecking =
      config.health_checks && config.health_checks.length > 0
        ? new ClusterHealthChecking({
            configs: config.health_checks,
            server: deps.server,
            info: this.info,
            statsScope,
            hadTraffic: () => stats.upstream_cx_total.value > 0 || stats.upstream_cx_tx_bytes_total.value > 0 || stats.upstream_cx_rx_bytes_total.value > 0,
            openConnection: (host, address) => this.openHealthCheckConnection(host, address),
            onHealthChanged: () => this.updateMembership(),
            onHostPassed: (host) => this.outlierDetector?.onHealthCheckPassed(host),
            log: deps.log,
          })
        : undefined;
    this.outlierDetector = config.outlier_detection
      ? new OutlierDetector({ config: config.outlier_detection, statsScope, runtime: deps.server.runtime, onHealthChanged: () => this.updateMembership(), log: deps.log })
      : undefined;
    deps.discovery.onHostsChanged(() => this.refreshHosts(true));
    this.refreshHosts(false);
  }

  get name(): string {
    return this.info.name;
  }

  get hosts(): readonly Host[] {
    return this.currentHosts;
  }

  /** The first host list, then (with `health_checks`) a first check of every host, as Envoy warms a cluster. */
  async initialize(): Promise<void> {
    try {
      await this.deps.discovery.initialize();
      await this.healthChecking?.start(this.currentHosts);
      this.outlierDetector?.start();
    } finally {
      this.initialized = true;
      this.updateMembership();
    }
  }

  stop(): void {
    clearTimeout(this.cleanupTimer);
    this.healthChecking?.stop();
    this.outlierDetector?.stop();
    this.deps.discovery.stop();
  }

  get outlier(): OutlierReporter {
    return this.outlierDetector ?? NO_OUTLIER_DETECTION;
  }

  /** `/clusters`' success rates of a host (-1 where none was computed). */
  successRates(host: Host): { readonly external: number; readonly local: number } {
    return this.outlierDetector?.successRates(host) ?? { external: -1, local: -1 };
  }

  /** A connection for a health check: through the cluster's transport socket, but no pool's. */
  private openHealthCheckConnection(host: Host, address: Address) {
    return this.deps.clientConnections.createClientConnection(address, {
      worker: this.deps.worker,
      bufferLimit: this.info.perConnectionBufferLimitBytes,
      ...(this.deps.transportSocket ? { transportSocket: this.deps.transportSocket } : {}),
      host: { address: host.address, hostname: host.hostname, metadata: host.metadata, clusterMetadata: this.info.metadata },
      internalHops: 0,
      ...(this.info.tcpKeepaliveMs !== undefined ? { tcpKeepaliveMs: this.info.tcpKeepaliveMs } : {}),
    });
  }

  /**
   * Picks a host: first a priority level, in proportion to the traffic each takes (by the
   * request's hash where it has one, so a key stays on its level), then a host of that level
   * from its balancing set (see `rebuildLoadBalancingSet`).
   */
  chooseHost(context?: LoadBalancerContext): Host | undefined {
    const provided = this.deps.discovery.chooseHost;
    if (provided) return this.clusterProvidedHost(provided.call(this.deps.discovery, context));
    const shares = this.shares;
    let share = shares[0];
    if (!share) return undefined;
    if (shares.length > 1) {
      const hash = context?.hashKey?.();
      let point = hash === undefined ? Math.random() * 100 : Number(hash % 100n);
      for (const candidate of shares) {
        if (point < candidate.load) {
          share = candidate;
          break;
        }
        point -= candidate.load;
      }
    }
    if (share.hosts.length === 0) return undefined;
    this.info.stats['default.total_match_count'].inc();
    if (share.panic) this.info.stats.lb_healthy_panic.inc();
    return this.loadBalancer.pick(share.hosts, context);
  }

  /**
   * The balancing sets, rebuilt when hosts or their health change (never per pick): each
   * priority level's share of the traffic and the hosts it goes to, as Envoy's priority load
   * and panic mode decide them (see `priorityShares`).
   */
  private rebuildLoadBalancingSet(): void {
    const factor = this.deps.config.load_assignment?.policy?.overprovisioning_factor;
    this.shares = priorityShares(this.currentHosts, typeof factor === 'number' ? factor : DEFAULT_OVERPROVISIONING_FACTOR, this.panicThreshold);
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
    this.healthChecking?.updateHosts(next);
    this.outlierDetector?.updateHosts(next);
    this.updateMembership();
    stats.max_host_weight.set(next.reduce((m, h) => Math.max(m, h.weight), 0));
  }

  /** `membership_*` from the hosts and their health; before the cluster is warm, only the total. */
  private updateMembership(): void {
    const stats = this.info.stats;
    const hosts = this.currentHosts;
    this.rebuildLoadBalancingSet();
    stats.membership_total.set(hosts.length);
    if (!this.initialized && this.healthChecking) return;
    stats.membership_healthy.set(hosts.filter(isHealthy).length);
    stats.membership_degraded.set(hosts.filter((h) => h.health === 'DEGRADED' || h.healthFlags.has('degraded_active_hc')).length);
  }
}

/** `upstream_connection_options.tcp_keepalive`: its idle time in ms (0: the system's), or undefined without one. */
function keepaliveMs(config: ClusterConfig): number | undefined {
  const keepalive = config.upstream_connection_options?.tcp_keepalive;
  return keepalive ? (keepalive.keepalive_time ?? 0) * 1000 : undefined;
}
