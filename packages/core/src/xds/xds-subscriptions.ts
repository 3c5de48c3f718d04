import { configSourceFile, type ApiConfigSourceConfig, type ApiType, type XdsConfigSourceConfig } from '../config/envoy/config-source.js';
import { FilesystemMux } from './filesystem-mux.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { Category } from '../registry/categories.js';
import type { ExtensionRegistry } from '../registry/registry.js';
import type { ServerContext } from '../server/context.js';
import { ServiceKey } from '../server/services.js';
import { createStatsSet, type StatsScope } from '../stats/store.js';
import type { FieldType } from '../config/schema/types.js';
import type { ConfigIssues } from '../server/config-issues.js';
import { decodeResource, describeIssues } from './resource-decoder.js';
import { XdsRejection, type XdsMux, type XdsMuxFactory, type XdsResource, type XdsWatch, type XdsWatchCallbacks } from './xds-types.js';

/** Envoy's default `initial_fetch_timeout`. */
const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

/** The subscription stats Envoy keeps for each xDS subscription, under its own prefix. */
const SUBSCRIPTION_STATS = {
  counters: ['init_fetch_timeout', 'update_attempt', 'update_failure', 'update_rejected', 'update_success'] as const,
  gauges: ['update_time'] as const,
};

/**
 * The xDS subscriptions of one server: one mux per management server (the ADS one shared by
 * every `ads: {}` source), and per watch Envoy's subscription stats and initial fetch timeout.
 * The transports themselves are extensions (`envoy.config_mux.*`).
 */
export class XdsSubscriptions {
  private adsMux: XdsMux | undefined;
  private readonly muxes = new Map<string, XdsMux>();

  constructor(
    private readonly registry: ExtensionRegistry,
    private readonly server: ServerContext,
    private readonly adsConfig: ApiConfigSourceConfig | undefined,
    private readonly issues: ConfigIssues,
    private readonly log: Logger,
  ) {}

  /**
   * Watches `names` (none: every resource) of `typeUrl` from `source`. The callbacks see each
   * accepted update; an XdsRejection they throw NACKs it and is counted as rejected.
   */
  subscribe(source: XdsConfigSourceConfig, typeUrl: string, names: readonly string[], statsScope: StatsScope, callbacks: XdsWatchCallbacks): XdsWatch {
    const stats = createStatsSet(statsScope, SUBSCRIPTION_STATS);
    const timeoutMs = source.initial_fetch_timeout ?? DEFAULT_INITIAL_FETCH_TIMEOUT_MS;
    let first = true;
    const fetchTimer = timeoutMs > 0 ? setTimeout(() => {
      first = false;
      stats.init_fetch_timeout.inc();
      stats.update_attempt.inc();
      callbacks.onFailure('fetch_timeout');
    }, timeoutMs) : undefined;
    fetchTimer?.unref();
    const settle = () => {
      first = false;
      clearTimeout(fetchTimer);
    };
    const counted: XdsWatchCallbacks = {
      onUpdate: (resources: readonly XdsResource[], version: string) => {
        settle();
        stats.update_attempt.inc();
        try {
          callbacks.onUpdate(resources, version);
        } catch (err) {
          stats.update_rejected.inc();
          throw err instanceof XdsRejection ? err : new XdsRejection(err instanceof Error ? err.message : String(err));
        }
        stats.update_success.inc();
        stats.update_time.set(Date.now());
      },
      onFailure: (reason) => {
        stats.update_attempt.inc();
        stats.update_failure.inc();
        // The first failure ends the initial fetch: the server does not wait for ever.
        if (first) {
          settle();
          callbacks.onFailure(reason);
        }
      },
    };
    // Envoy counts the subscription's start as an attempt too.
    stats.update_attempt.inc();
    const watch = this.muxFor(source).watch(typeUrl, names, counted);
    return {
      cancel: () => {
        clearTimeout(fetchTimer);
        watch.cancel();
      },
    };
  }

  /**
   * Config-time checks of a config source, with Envoy's messages where Envoy has one; problems
   * go to the issue reporter. `staticClusters`: an `envoy_grpc` cluster must be one of them.
   */
  checkSource(source: XdsConfigSourceConfig, staticClusters: boolean): void {
    if (source.ads && !this.adsConfig) {
      this.server.configIssue(source, 'ads', 'ADS must be configured to support an ADS config source', 'add dynamic_resources.ads_config');
    }
    if (source.api_config_source) this.checkApiSource(source.api_config_source, staticClusters);
  }

  /** Checks `ads_config` or an `api_config_source`: a transport for its api_type, one gRPC service, a known cluster. */
  checkApiSource(api: ApiConfigSourceConfig, staticClusters: boolean): void {
    const issue = (target: object, field: string, message: string, hint?: string) => this.server.configIssue(target, field, message, hint);
    if (api.api_type === undefined) {
      issue(api, 'api_type', 'an api_config_source needs api_type', 'GRPC for state of the world');
      return;
    }
    if (!this.muxFactory(api.api_type)) {
      issue(api, 'api_type', `no loaded extension speaks xDS api_type ${api.api_type}`, 'load @nodevoy/config-mux-grpc');
    }
    const services = api.grpc_services ?? [];
    if (services.length !== 1) {
      issue(api, 'grpc_services', `envoy.config.core.v3.ApiConfigSource::${api.api_type} must have a single gRPC service specified`);
      return;
    }
    const grpc = services[0]?.envoy_grpc;
    if (!staticClusters || !grpc) return;
    const cluster = this.server.clusterManager.getCluster(grpc.cluster_name);
    if (!cluster) {
      issue(grpc, 'cluster_name', `Unknown gRPC client cluster '${grpc.cluster_name}'`, 'define it in static_resources.clusters');
    } else if (cluster.transportSocket) {
      // Connecting in plaintext to a server that wants TLS would fail on every attempt, silently.
      issue(grpc, 'cluster_name', `cluster '${grpc.cluster_name}' has a transport_socket: nodevoy reaches management servers in plaintext only (TLS to them is not implemented yet)`);
    }
  }

  /**
   * Parses a resource by the schema its YAML form has and builds it, with the problems the
   * build reports (an unknown cluster) counted as the resource's own: an XdsRejection names them all.
   */
  build<C, B>(schema: FieldType<C>, resource: XdsResource, build: (config: C) => B): B {
    const decoded = decodeResource(schema, resource, this.registry);
    if (!decoded.ok) throw new XdsRejection(describeIssues(decoded.issues));
    const built = this.issues.reportingTo(decoded.parse, () => build(decoded.value));
    if (decoded.parse.issues.length > 0) throw new XdsRejection(describeIssues(decoded.parse.issues));
    return built;
  }

  stop(): void {
    this.adsMux?.stop();
    for (const mux of this.muxes.values()) mux.stop();
  }

  private muxFor(source: XdsConfigSourceConfig): XdsMux {
    if (source.ads) {
      if (!this.adsConfig) throw new ConfigError([{ path: 'ads', message: 'config source wants ADS, but dynamic_resources has no ads_config' }]);
      this.adsMux ??= this.createMux(this.adsConfig, true);
      return this.adsMux;
    }
    const api = source.api_config_source;
    const key = JSON.stringify(api ?? configSourceFile(source));
    let mux = this.muxes.get(key);
    if (!mux) this.muxes.set(key, (mux = api ? this.createMux(api, false) : this.fileMux(source)));
    return mux;
  }

  private fileMux(source: XdsConfigSourceConfig): XdsMux {
    const file = configSourceFile(source);
    return new FilesystemMux(file.path, file.watchedDirectory, this.log);
  }

  private muxFactory(apiType: ApiType): XdsMuxFactory | undefined {
    return this.registry.list<XdsMuxFactory>(Category.configMux).find((f) => f.apiTypes.includes(apiType));
  }

  private createMux(source: ApiConfigSourceConfig, aggregated: boolean): XdsMux {
    const apiType = source.api_type ?? 'GRPC';
    const factory = this.muxFactory(apiType);
    // checkApiSource refused such a config already.
    if (!factory) throw new ConfigError([{ path: 'api_type', message: `no loaded extension speaks xDS api_type ${apiType}` }]);
    this.log.info(`xDS: ${apiType} via ${factory.name}`);
    return factory.createMux(source, { server: this.server, aggregated });
  }
}

/** The server's xDS subscriptions, for cluster types (EDS) and filters (RDS) that subscribe. */
export const XDS_SUBSCRIPTIONS = new ServiceKey<XdsSubscriptions>('xds subscriptions');
