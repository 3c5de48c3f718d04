import type { ClusterConfig } from '../config/envoy/cluster.js';
import type { TypedConfig } from '../config/schema/any.js';
import type { ClientConnectionFactories } from '../network/client-connection-factories.js';
import type { Connection } from '../network/connection.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import type { HostDiscovery } from '../registry/types.js';
import type { WorkerContext } from '../server/worker.js';
import type { StatsScope } from '../stats/store.js';
import { createClusterStats, type ClusterStats } from './cluster-stats.js';
import { createHost, isHealthy } from './host.js';
import { createLoadBalancer, type LbPolicy, type LoadBalancer } from './load-balancer.js';
import { newTcpConnection } from './tcp-connection-pool.js';
import type { ClusterInfo, Host, TcpPoolCallbacks, TcpPoolHandle, UpstreamCluster, UpstreamConnectionOptions } from './types.js';

/** Envoy's defaults: 5 s connect timeout, 1 MiB buffers, 1024 connections. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 1024;

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
    this.deps.discovery.stop();
  }

  /**
   * Picks a host: the lowest priority with a healthy host; if no host is healthy anywhere,
   * Envoy's panic mode balances over all hosts.
   */
  chooseHost(): Host | undefined {
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
      options.countsAsRequest ?? true,
    );
  }

  /** `viaUpdate`: a discovery refresh (DNS), which Envoy counts in `update_*`; not the first load. */
  private refreshHosts(viaUpdate: boolean): void {
    const previous = new Map(this.currentHosts.map((h) => [h.address.asString, h]));
    const next = this.deps.discovery.hosts.map((d) => createHost(d, previous.get(d.address.asString)));
    const stats: ClusterStats = this.info.stats;
    const changed = next.length !== this.currentHosts.length || next.some((h) => !previous.has(h.address.asString));
    this.currentHosts = next;
    if (viaUpdate) {
      stats.update_attempt.inc();
      stats.update_success.inc();
      if (next.length === 0) stats.update_empty.inc();
      if (!changed) stats.update_no_rebuild.inc();
    }
    if (changed) stats.membership_change.inc();
    stats.membership_total.set(next.length);
    stats.membership_healthy.set(next.filter(isHealthy).length);
    stats.membership_degraded.set(next.filter((h) => h.health === 'DEGRADED').length);
    stats.max_host_weight.set(next.reduce((m, h) => Math.max(m, h.weight), 0));
  }
}
