import type { ClusterConfig, DiscoveryType } from '../config/envoy/cluster.js';
import type { Logger } from '../log/logger.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import { Category } from '../registry/categories.js';
import type { ExtensionRegistry } from '../registry/registry.js';
import type { ClusterTypeFactory, ConfigOnlyFactory, TransportSocketFactory } from '../registry/types.js';
import type { ServerContext } from '../server/context.js';
import type { WorkerContext } from '../server/worker.js';
import { createStatsSet, type StatsScope } from '../stats/store.js';
import { Cluster } from './cluster.js';
import { createClusterLoadBalancer } from './cluster-load-balancer.js';
import { endpointEntries } from './load-assignment.js';
import type { ClusterManagerApi, UpstreamCluster } from './types.js';

/** Envoy's names for the cluster type extension behind each `type`, and who ships it. */
const CLUSTER_TYPE_EXTENSIONS: Record<DiscoveryType, { name: string; nodevoyPackage?: string }> = {
  STATIC: { name: 'envoy.cluster.static', nodevoyPackage: '@nodevoy/cluster-static' },
  STRICT_DNS: { name: 'envoy.cluster.strict_dns', nodevoyPackage: '@nodevoy/cluster-dns' },
  LOGICAL_DNS: { name: 'envoy.cluster.logical_dns', nodevoyPackage: '@nodevoy/cluster-dns' },
  EDS: { name: 'envoy.cluster.eds', nodevoyPackage: '@nodevoy/cluster-eds' },
  ORIGINAL_DST: { name: 'envoy.cluster.original_dst', nodevoyPackage: '@nodevoy/cluster-original-dst' },
};

/** The key that, set to false in `layered_runtime`, rejects every internal address. */
export const INTERNAL_ADDRESS_RUNTIME_KEY = 'envoy.reloadable_features.internal_address';

/** What a CDS update did to one cluster. */
export type ClusterChange = 'added' | 'updated';

/**
 * Builds and owns the clusters of one server. Clusters from CDS are added, replaced and
 * removed while the server runs: a new or changed cluster warms (its first host list) before
 * it takes traffic, and connections already open on a replaced cluster carry on.
 */
export class ClusterManager implements ClusterManagerApi {
  private readonly clusters = new Map<string, Cluster>();
  /** CDS clusters not yet serving: their first host list is awaited. */
  private readonly warming = new Map<string, Cluster>();
  /** The version each CDS cluster came with and when (`/config_dump`). */
  private readonly dynamic = new Map<string, { readonly version: string; readonly lastUpdated: Date }>();
  private readonly changeListeners: ((name: string) => void)[] = [];
  private readonly warmWaiters: (() => void)[] = [];
  private readonly stats;

  constructor(
    private readonly registry: ExtensionRegistry,
    private readonly context: ServerContext,
    private readonly issues: { readonly count: number },
    private readonly log: Logger,
    /** The worker the clusters' own connections (health checks) run on. */
    private readonly worker: WorkerContext,
  ) {
    this.stats = createStatsSet(context.stats.scope('cluster_manager'), {
      counters: ['cluster_added', 'cluster_modified', 'cluster_removed', 'cluster_updated'] as const,
      gauges: ['active_clusters', 'warming_clusters'] as const,
    });
  }

  /** Validates and creates every cluster; problems go to the context's issue reporter. */
  addClusters(configs: readonly ClusterConfig[]): void {
    for (const config of configs) {
      if (this.clusters.has(config.name)) {
        this.context.configIssue(config, 'name', `cluster manager: duplicate cluster '${config.name}'`, 'give each cluster a unique name');
        continue;
      }
      const cluster = this.build(config);
      if (cluster) this.adopt(cluster);
    }
  }

  /**
   * Validates and builds a cluster from CDS without touching what serves: problems go to the
   * context's issue reporter (the result is then undefined). `commitCluster` warms it.
   */
  prepareCluster(config: ClusterConfig): Cluster | undefined {
    const name = config.name;
    if (this.clusters.has(name) && !this.dynamic.has(name)) {
      this.context.configIssue(config, 'name', `cluster manager: static cluster '${name}' cannot be updated or removed by CDS`);
      return undefined;
    }
    return this.build(config);
  }

  /** Warms a prepared cluster; once warm it replaces the one of its name, whose open connections carry on. */
  commitCluster(cluster: Cluster, version: string): ClusterChange {
    const { name } = cluster;
    const replacedWarming = this.warming.get(name);
    if (replacedWarming) replacedWarming.stop();
    else this.stats.warming_clusters.inc();
    this.warming.set(name, cluster);
    const update = { version, lastUpdated: new Date() };
    void this.warm(cluster).then(() => {
      if (this.warming.get(name) !== cluster) return;
      this.warming.delete(name);
      this.stats.warming_clusters.dec();
      const replaced = this.clusters.get(name);
      this.dynamic.set(name, update);
      if (replaced) {
        this.clusters.set(name, cluster);
        replaced.stop();
        this.stats.cluster_modified.inc();
        for (const listener of this.changeListeners) listener(name);
      } else {
        this.adopt(cluster);
      }
      this.wakeWarmWaiters();
    });
    return this.clusters.has(name) || replacedWarming ? 'updated' : 'added';
  }

  /** Removes a cluster CDS no longer has; requests already on it finish. */
  removeCluster(name: string): boolean {
    if (!this.dynamic.has(name) && !this.warming.has(name)) return false;
    const warming = this.warming.get(name);
    if (warming) {
      warming.stop();
      this.warming.delete(name);
      this.stats.warming_clusters.dec();
      this.wakeWarmWaiters();
    }
    const cluster = this.clusters.get(name);
    this.dynamic.delete(name);
    if (cluster) {
      this.clusters.delete(name);
      cluster.stop();
      this.stats.cluster_removed.inc();
      this.stats.active_clusters.dec();
      for (const listener of this.changeListeners) listener(name);
    }
    return true;
  }

  /** The clusters CDS gave, warming or serving (the ones an update may remove). */
  dynamicClusterNames(): string[] {
    return [...new Set([...this.dynamic.keys(), ...this.warming.keys()])];
  }

  /** When and with which version CDS last changed a cluster; undefined for static clusters. */
  dynamicInfo(name: string): { readonly version: string; readonly lastUpdated: Date } | undefined {
    return this.dynamic.get(name);
  }

  isWarming(name: string): boolean {
    return this.warming.has(name);
  }

  /** Resolves once no CDS cluster is warming. */
  whenWarm(): Promise<void> {
    return this.warming.size === 0 ? Promise.resolve() : new Promise((resolve) => this.warmWaiters.push(resolve));
  }

  /** Called with the name of each cluster replaced or removed, so pools of the old one drain. */
  onClusterChange(listener: (name: string) => void): void {
    this.changeListeners.push(listener);
  }

  getCluster(name: string): UpstreamCluster | undefined {
    return this.clusters.get(name);
  }

  hasCluster(name: string): boolean {
    return this.clusters.has(name) || this.warming.has(name);
  }

  clusterNames(): string[] {
    return [...this.clusters.keys()];
  }

  all(): Cluster[] {
    return [...this.clusters.values()];
  }

  /** Waits for every cluster's first host list (DNS resolution), as Envoy's init manager. */
  async initialize(): Promise<void> {
    this.stats.warming_clusters.set(this.clusters.size);
    await Promise.all(
      this.all().map(async (cluster) => {
        try {
          await cluster.initialize();
        } catch (err) {
          this.log.warn(`cluster '${cluster.name}' failed to initialize: ${err instanceof Error ? err.message : String(err)}`);
        }
        this.stats.warming_clusters.dec();
      }),
    );
  }

  stop(): void {
    for (const cluster of [...this.clusters.values(), ...this.warming.values()]) cluster.stop();
  }

  private wakeWarmWaiters(): void {
    if (this.warming.size === 0) for (const resolve of this.warmWaiters.splice(0)) resolve();
  }

  private async warm(cluster: Cluster): Promise<void> {
    try {
      await cluster.initialize();
    } catch (err) {
      this.log.warn(`cluster '${cluster.name}' failed to initialize: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private adopt(cluster: Cluster): void {
    this.clusters.set(cluster.name, cluster);
    this.stats.cluster_added.inc();
    this.stats.active_clusters.inc();
  }

  /** Validates and builds one cluster (not yet serving); undefined when it has problems. */
  private build(config: ClusterConfig): Cluster | undefined {
    const issue = (field: string | undefined, message: string, hint?: string) => this.context.configIssue(config, field, message, hint);
    const type = config.type ?? 'STATIC';
    const extension = CLUSTER_TYPE_EXTENSIONS[type];
    const factory = this.registry.getByName<ClusterTypeFactory>(Category.clusterType, extension.name);
    if (!factory) {
      issue(
        config.type === undefined ? undefined : 'type',
        `cluster type ${type} needs the ${extension.name} extension, which is not loaded`,
        extension.nodevoyPackage ? `load ${extension.nodevoyPackage}` : 'nodevoy does not ship it',
      );
      return undefined;
    }
    const before = this.issues.count;
    this.checkInternalEndpoints(config);
    if (config.lb_policy === 'CLUSTER_PROVIDED' && !factory.providesLoadBalancer) {
      issue('lb_policy', `cluster manager: cluster provided LB specified but cluster '${config.name}' did not provide one. Check cluster documentation.`);
    }
    factory.validate(config, this.context);
    const statsScope = this.context.stats.scope(`cluster.${config.alt_stat_name || config.name}`);
    const transportSocket = this.createTransportSocket(config, statsScope);
    for (const typed of Object.values(config.typed_extension_protocol_options ?? {})) {
      (typed.target as ConfigOnlyFactory).checkCluster?.(typed.config, { name: config.name, transportSocket }, (message) => issue('typed_extension_protocol_options', message));
    }
    const loadBalancer = createClusterLoadBalancer(config, this.registry, statsScope, this.context);
    if (this.issues.count !== before) return undefined;

    return new Cluster({
      ...(loadBalancer ? { loadBalancer } : {}),
      config,
      statsScope,
      discovery: factory.createHostDiscovery(config, { server: this.context, clusterStats: statsScope }),
      clientConnections: this.context.clientConnections,
      transportSocket,
      server: this.context,
      worker: this.worker,
      log: this.log,
    });
  }

  private checkInternalEndpoints(config: ClusterConfig): void {
    const internal = endpointEntries(config).filter((e) => e.address.envoy_internal_address);
    if (internal.length === 0) return;
    if (!this.context.runtime.getBoolean(INTERNAL_ADDRESS_RUNTIME_KEY, true)) {
      for (const entry of internal) {
        this.context.configIssue(
          entry.address,
          'envoy_internal_address',
          `internal addresses are disabled by the runtime key ${INTERNAL_ADDRESS_RUNTIME_KEY}=false`,
          `remove that runtime value or set it to true`,
        );
      }
      return;
    }
    for (const entry of internal) {
      if (!entry.address.envoy_internal_address?.server_listener_name) {
        this.context.configIssue(entry.address, 'envoy_internal_address', 'an internal address needs server_listener_name');
      }
    }
    if (!this.context.clientConnections.has('envoy_internal')) {
      this.log.warn(
        `cluster '${config.name}' has internal endpoints but no envoy_internal client connection factory is installed: ` +
          `its connections will fail (add the envoy.bootstrap.internal_listener bootstrap extension)`,
      );
    }
  }

  private createTransportSocket(config: ClusterConfig, clusterStats: StatsScope): UpstreamTransportSocket | undefined {
    const entry = config.transport_socket;
    if (!entry) return undefined;
    const factory = entry.typed.target as TransportSocketFactory;
    if (!factory.createUpstream) {
      this.context.configIssue(entry, 'typed_config', `${factory.name} cannot be used as an upstream transport socket`);
      return undefined;
    }
    return factory.createUpstream(entry.typed.config, { server: this.context, clusterStats });
  }
}
