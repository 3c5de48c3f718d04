import type { ClusterConfig, DiscoveryType } from '../config/envoy/cluster.js';
import type { Logger } from '../log/logger.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import { Category } from '../registry/categories.js';
import type { ExtensionRegistry } from '../registry/registry.js';
import type { ClusterTypeFactory, ConfigOnlyFactory, TransportSocketFactory } from '../registry/types.js';
import type { ServerContext } from '../server/context.js';
import { createStatsSet, type StatsScope } from '../stats/store.js';
import { Cluster } from './cluster.js';
import { endpointEntries } from './load-assignment.js';
import type { ClusterManagerApi, UpstreamCluster } from './types.js';

/** Envoy's names for the cluster type extension behind each `type`, and who ships it. */
const CLUSTER_TYPE_EXTENSIONS: Record<DiscoveryType, { name: string; nodevoyPackage?: string }> = {
  STATIC: { name: 'envoy.cluster.static', nodevoyPackage: '@nodevoy/cluster-static' },
  STRICT_DNS: { name: 'envoy.cluster.strict_dns', nodevoyPackage: '@nodevoy/cluster-dns' },
  LOGICAL_DNS: { name: 'envoy.cluster.logical_dns', nodevoyPackage: '@nodevoy/cluster-dns' },
  EDS: { name: 'envoy.cluster.eds' },
  ORIGINAL_DST: { name: 'envoy.cluster.original_dst', nodevoyPackage: '@nodevoy/cluster-original-dst' },
};

/** The key that, set to false in `layered_runtime`, rejects every internal address. */
export const INTERNAL_ADDRESS_RUNTIME_KEY = 'envoy.reloadable_features.internal_address';

/** Builds and owns the clusters of one server. */
export class ClusterManager implements ClusterManagerApi {
  private readonly clusters = new Map<string, Cluster>();
  private readonly stats;

  constructor(
    private readonly registry: ExtensionRegistry,
    private readonly context: ServerContext,
    private readonly issues: { readonly count: number },
    private readonly log: Logger,
  ) {
    this.stats = createStatsSet(context.stats.scope('cluster_manager'), {
      counters: ['cluster_added', 'cluster_modified', 'cluster_removed', 'cluster_updated'] as const,
      gauges: ['active_clusters', 'warming_clusters'] as const,
    });
  }

  /** Validates and creates every cluster; problems go to the context's issue reporter. */
  addClusters(configs: readonly ClusterConfig[]): void {
    for (const config of configs) this.addCluster(config);
  }

  getCluster(name: string): UpstreamCluster | undefined {
    return this.clusters.get(name);
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
    for (const cluster of this.clusters.values()) cluster.stop();
  }

  private addCluster(config: ClusterConfig): void {
    const issue = (field: string | undefined, message: string, hint?: string) => this.context.configIssue(config, field, message, hint);
    if (this.clusters.has(config.name)) {
      issue('name', `cluster manager: duplicate cluster '${config.name}'`, 'give each cluster a unique name');
      return;
    }
    const type = config.type ?? 'STATIC';
    const extension = CLUSTER_TYPE_EXTENSIONS[type];
    const factory = this.registry.getByName<ClusterTypeFactory>(Category.clusterType, extension.name);
    if (!factory) {
      issue(
        config.type === undefined ? undefined : 'type',
        `cluster type ${type} needs the ${extension.name} extension, which is not loaded`,
        extension.nodevoyPackage ? `load ${extension.nodevoyPackage}` : 'nodevoy does not ship it',
      );
      return;
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
    if (this.issues.count !== before) return;

    const cluster = new Cluster({
      config,
      statsScope,
      discovery: factory.createHostDiscovery(config, { server: this.context, clusterStats: statsScope }),
      clientConnections: this.context.clientConnections,
      transportSocket,
    });
    this.clusters.set(config.name, cluster);
    this.stats.cluster_added.inc();
    this.stats.active_clusters.inc();
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
