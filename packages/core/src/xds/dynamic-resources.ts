import type { DynamicResourcesConfig } from '../config/envoy/bootstrap.js';
import { clusterSchema, type ClusterConfig } from '../config/envoy/cluster.js';
import type { XdsConfigSourceConfig } from '../config/envoy/config-source.js';
import { listenerSchema, type ListenerConfig } from '../config/envoy/listener.js';
import type { ParseServices } from '../config/schema/types.js';
import type { ActiveListenerEntry, ListenerManager } from '../listener/listener-manager.js';
import type { Logger } from '../log/logger.js';
import type { ConfigIssues } from '../server/config-issues.js';
import type { StatsStore } from '../stats/store.js';
import type { Cluster } from '../upstream/cluster.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { ResourceSetApi, type ResourceSetTarget } from './resource-set-api.js';
import type { XdsSubscriptions } from './xds-subscriptions.js';
import { XdsTypeUrl, type XdsWatch } from './xds-types.js';

export interface DynamicResourcesDeps {
  readonly config: DynamicResourcesConfig;
  readonly subscriptions: XdsSubscriptions;
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  readonly issues: ConfigIssues;
  readonly services: ParseServices;
  readonly stats: StatsStore;
  readonly log: Logger;
}

/**
 * `dynamic_resources`: clusters from CDS, then listeners from LDS, as Envoy's server starts.
 * The server is initialized once CDS gave its first clusters and they warmed, and LDS gave its
 * first listeners and they warmed (their routes from RDS), or once either failed or timed out:
 * the server then starts with what it has.
 */
export class DynamicResources {
  private readonly watches: XdsWatch[] = [];
  private cds: ResourceSetApi<ClusterConfig, Cluster> | undefined;
  private lds: ResourceSetApi<ListenerConfig, ActiveListenerEntry> | undefined;

  constructor(private readonly deps: DynamicResourcesDeps) {}

  async initialize(): Promise<void> {
    const { config, clusterManager, listenerManager, issues } = this.deps;
    if (config.cds_config) {
      const target: ResourceSetTarget<ClusterConfig, Cluster> = {
        noun: 'cluster',
        api: 'cds',
        schema: clusterSchema,
        prepare: (cluster) => clusterManager.prepareCluster(cluster),
        commit: (cluster, version) => clusterManager.commitCluster(cluster, version),
        discard: (cluster) => cluster.stop(),
        remove: (name) => clusterManager.removeCluster(name),
        currentNames: () => clusterManager.dynamicClusterNames(),
        reportingTo: (parse, build) => issues.reportingTo(parse, build),
      };
      this.cds = new ResourceSetApi(target, this.deps.services, this.deps.log);
      await this.firstUpdate(config.cds_config, XdsTypeUrl.cluster, 'cluster_manager.cds', this.cds, target);
      await clusterManager.whenWarm();
    }
    if (config.lds_config) {
      const target: ResourceSetTarget<ListenerConfig, ActiveListenerEntry> = {
        noun: 'listener',
        api: 'lds',
        schema: listenerSchema,
        prepare: (listener, version) => listenerManager.prepareListener(listener, version),
        commit: (entry) => listenerManager.commitListener(entry),
        discard: (entry) => listenerManager.discardListener(entry),
        remove: (name) => listenerManager.removeListener(name),
        currentNames: () => listenerManager.dynamicListenerNames(),
        reportingTo: (parse, build) => issues.reportingTo(parse, build),
      };
      this.lds = new ResourceSetApi(target, this.deps.services, this.deps.log);
      await this.firstUpdate(config.lds_config, XdsTypeUrl.listener, 'listener_manager.lds', this.lds, target);
      await listenerManager.whenWarm();
    }
  }

  stop(): void {
    for (const watch of this.watches.splice(0)) watch.cancel();
  }

  /** The dynamic parts of `/config_dump`'s ClustersConfigDump, as Envoy writes them. */
  clustersDump(): Record<string, unknown> {
    if (!this.cds) return {};
    const entries = this.cds.appliedResources().map((r) => ({ version_info: r.version, cluster: r.body, last_updated: r.lastUpdated.toISOString(), warming: this.deps.clusterManager.isWarming(r.name) }));
    return {
      version_info: this.cds.version,
      dynamic_active_clusters: entries.filter((e) => !e.warming).map(({ warming: _, ...e }) => e),
      dynamic_warming_clusters: entries.filter((e) => e.warming).map(({ warming: _, ...e }) => e),
    };
  }

  /** The dynamic parts of `/config_dump`'s ListenersConfigDump, as Envoy writes them. */
  listenersDump(): Record<string, unknown> {
    if (!this.lds) return {};
    return {
      version_info: this.lds.version,
      dynamic_listeners: this.lds.appliedResources().map((r) => ({
        name: r.name,
        [this.deps.listenerManager.isWarming(r.name) ? 'warming_state' : 'active_state']: { version_info: r.version, listener: r.body, last_updated: r.lastUpdated.toISOString() },
      })),
    };
  }

  /** Subscribes to every resource of the type; resolves at the first update, failure or timeout. */
  private firstUpdate<C extends { readonly name?: string }, B>(
    source: XdsConfigSourceConfig,
    typeUrl: string,
    statsPrefix: string,
    api: ResourceSetApi<C, B>,
    target: ResourceSetTarget<C, B>,
  ): Promise<void> {
    return new Promise((resolve) => {
      this.watches.push(
        this.deps.subscriptions.subscribe(source, typeUrl, [], this.deps.stats.scope(statsPrefix), {
          onUpdate: (resources, version) => {
            try {
              api.onUpdate(resources, version);
            } finally {
              resolve();
            }
          },
          onFailure: (reason) => {
            this.deps.log.warn(`${target.api}: ${reason === 'fetch_timeout' ? 'initial fetch timed out' : 'management server unreachable'}; starting without its ${target.noun}s`);
            resolve();
          },
        }),
      );
    });
  }
}
