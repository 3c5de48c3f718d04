import { writeFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { AdminServer, logAdminAddress } from '../admin/admin-server.js';
import type { AdminSource, ServerState } from '../admin/admin-source.js';
import { ConfigError, NodevoyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { internalAddress, socketAddress, type Address } from '../network/address.js';
import { ClientConnectionFactories } from '../network/client-connection-factories.js';
import { TcpClientConnectionFactory } from '../network/tcp-client-connection-factory.js';
import { Category } from '../registry/categories.js';
import type { ExtensionRegistry } from '../registry/registry.js';
import type { BootstrapExtension, BootstrapExtensionFactory, ClientConnectionFactoryDefinition, StatsSink, StatsSinkFactory } from '../registry/types.js';
import { Runtime } from '../runtime/runtime.js';
import { StatsFlusher } from '../stats/flusher.js';
import { snapshotStats } from '../stats/snapshot.js';
import { StatsStore } from '../stats/store.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import type { Cluster } from '../upstream/cluster.js';
import { ListenerManager } from '../listener/listener-manager.js';
import { ConfigIssues } from './config-issues.js';
import type { ServerContext, ServerLifecycle, ServerMode } from './context.js';
import { describeServer } from './server-info.js';
import { ServiceRegistry } from './services.js';
import { createServerStats, type ServerStats } from './server-stats.js';
import { workerContext } from './worker.js';
import { loadXxHash64 } from '../hashing/xx-hash-64.js';
import { NO_OVERLOAD, OverloadManager } from '../overload/overload-manager.js';
import { ConfigGraph, describeCycle } from '../graph/config-graph.js';
import { SecretManager, type Secret } from '../secrets/secret-manager.js';
import { CERTIFICATE_REPORTS, CertificateReports, type CertificateGroup } from '../admin/certificates.js';
import { DynamicResources } from '../xds/dynamic-resources.js';
import { XDS_SUBSCRIPTIONS, XdsSubscriptions } from '../xds/xds-subscriptions.js';

export interface ServerOptions {
  readonly registry: ExtensionRegistry;
  readonly config: LoadedConfig;
  readonly log: Logger;
  readonly mode?: ServerMode;
  /** `--drain-time-s`: how long a drain waits for connections before closing them. */
  readonly drainTimeMs?: number;
  /** Echoed by `/server_info` as `command_line_options`. */
  readonly commandLineOptions?: Readonly<Record<string, unknown>>;
  /** The version string `/server_info` and `--version` show. */
  readonly version?: string;
  /** `--admin-address-path`: where to write the bound admin address once admin is up. */
  readonly adminAddressPath?: string;
  /**
   * One of `--concurrency` workers: its index (for `worker_<N>` stats) and the worker count.
   * A worker serves no admin of its own (its primary does, for all) and shares its listen
   * sockets with the other workers. Default: the only worker.
   */
  readonly worker?: { readonly index: number; readonly count: number };
}

/** Envoy's default drain time (`--drain-time-s 600`). */
const DEFAULT_DRAIN_TIME_MS = 600_000;
/** Envoy's `stats_flush_interval` default. */
const DEFAULT_STATS_FLUSH_INTERVAL_MS = 5_000;

/**
 * One nodevoy server: its config, registries, stats, clusters, listeners and admin. Every
 * piece of runtime state hangs off this object, so two servers in one process never meet.
 */
export class Server implements AdminSource {
  readonly stats = new StatsStore();
  readonly runtime: Runtime;
  readonly services = new ServiceRegistry();
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  readonly secrets: SecretManager;
  private readonly certificateReports = new CertificateReports();
  readonly context: ServerContext;
  readonly startTimeMs = Date.now();
  state: ServerState = 'PRE_INITIALIZING';

  private readonly log: Logger;
  private readonly issues: ConfigIssues;
  private readonly clientConnections: ClientConnectionFactories;
  private readonly bootstrapExtensions: BootstrapExtension[] = [];
  private readonly statsFlusher: StatsFlusher | undefined;
  private readonly serverStats: ServerStats;
  private readonly drainCallbacks: (() => void)[] = [];
  private readonly shutdownCallbacks: (() => void)[] = [];
  private readonly exitWaiters: ((code: number) => void)[] = [];
  private admin: AdminServer | undefined;
  /** The listener -> cluster -> internal listener graph of the config (`--graph`). */
  readonly graph: ConfigGraph;
  private connectionIds = 0;
  private draining = false;
  private healthCheckFailed = false;
  private stopped = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly overloadManager: OverloadManager | undefined;
  private readonly xds: XdsSubscriptions;
  private readonly dynamicResources: DynamicResources | undefined;

  /** Builds a server from a parsed config; every config problem is in the thrown ConfigError. */
  constructor(private readonly options: ServerOptions) {
    const { config, registry } = options;
    this.log = options.log;
    this.issues = new ConfigIssues(config.parse);
    this.runtime = new Runtime(config.bootstrap.layered_runtime);
    this.serverStats = createServerStats(this.stats);
    const nextConnectionId = () => ++this.connectionIds;
    this.clientConnections = new ClientConnectionFactories({ nextConnectionId, log: this.log.child('connection') });
    this.clientConnections.install(new TcpClientConnectionFactory({ nextConnectionId, log: this.log.child('connection') }));
    this.secrets = new SecretManager(registry, this.stats, this.log.child('secret'), (options.mode ?? 'serve') === 'serve');
    this.services.set(CERTIFICATE_REPORTS, this.certificateReports);

    const server = this;
    const lifecycle: ServerLifecycle = {
      get draining() {
        return server.draining;
      },
      get healthCheckFailed() {
        return server.healthCheckFailed;
      },
      onDrain: (cb) => this.drainCallbacks.push(cb),
      onShutdown: (cb) => this.shutdownCallbacks.push(cb),
    };
    this.context = {
      mode: options.mode ?? 'serve',
      bootstrap: config.bootstrap,
      stats: this.stats,
      runtime: this.runtime,
      log: this.log,
      services: this.services,
      // A getter: the cluster manager is built with this context.
      get clusterManager() {
        return server.clusterManager;
      },
      get overload() {
        return server.overloadManager ?? NO_OVERLOAD;
      },
      clientConnections: this.clientConnections,
      secrets: this.secrets,
      lifecycle,
      nextConnectionId,
      configIssue: (target, field, message, hint) => this.issues.configIssue(target, field, message, hint),
    };
    const overloadConfig = config.bootstrap.overload_manager;
    this.overloadManager = overloadConfig ? new OverloadManager(overloadConfig, this.context, this.issues, this.stats, this.log.child('overload')) : undefined;
    const worker = options.worker ?? { index: 0, count: 1 };
    const thisWorker = workerContext(worker.index, this.overloadManager?.bufferAccount);
    this.clusterManager = new ClusterManager(registry, this.context, this.issues, this.log.child('upstream'), thisWorker);
    this.listenerManager = new ListenerManager(
      this.context,
      thisWorker,
      this.log.child('config'),
      worker.count > 1,
      options.drainTimeMs ?? DEFAULT_DRAIN_TIME_MS,
    );
    this.serverStats.concurrency.set(worker.count);

    this.createBootstrapExtensions();
    this.statsFlusher = this.createStatsFlusher();
    for (const definition of registry.list<ClientConnectionFactoryDefinition>(Category.clientConnection)) {
      // A bootstrap extension may already have installed this kind (internal listeners do).
      if (!this.clientConnections.has(definition.addressKind)) this.clientConnections.install(definition.createFactory(this.context));
    }
    this.addStaticSecrets();
    // Before clusters: an EDS cluster, static or not, subscribes through it when it initializes.
    const dynamic = config.bootstrap.dynamic_resources;
    this.xds = new XdsSubscriptions(registry, this.context, dynamic?.ads_config, this.issues, this.log.child('xds'));
    this.services.set(XDS_SUBSCRIPTIONS, this.xds);
    this.clusterManager.addClusters(config.bootstrap.static_resources?.clusters ?? []);
    this.listenerManager.addListeners(config.bootstrap.static_resources?.listeners ?? []);
    if (dynamic?.ads_config) this.xds.checkApiSource(dynamic.ads_config, true);
    for (const source of [dynamic?.cds_config, dynamic?.lds_config]) if (source) this.xds.checkSource(source, true);
    this.graph = new ConfigGraph(this.listenerManager.listeners, config.bootstrap.static_resources?.clusters ?? []);
    this.rejectInternalCycle();
    for (const { cluster, listener } of this.graph.dangling()) {
      this.log.warn(`cluster '${cluster}' has an endpoint for internal listener '${listener}', which no listener declares: its connections will fail`);
    }
    if (config.parse.issues.length > 0) throw new ConfigError(config.parse.issues);
    if (dynamic && this.context.mode === 'serve') {
      this.dynamicResources = new DynamicResources({
        config: dynamic,
        subscriptions: this.xds,
        clusterManager: this.clusterManager,
        listenerManager: this.listenerManager,
        issues: this.issues,
        services: registry,
        stats: this.stats,
        log: this.log.child('xds'),
      });
    }
    for (const extension of this.bootstrapExtensions) extension.onServerInitialized?.();
  }

  /** Resolves clusters, binds listeners and admin; the server is LIVE when this resolves. */
  async start(): Promise<void> {
    const started = performance.now();
    this.state = 'INITIALIZING';
    try {
      // Admin first, as Envoy: it answers (and /ready says not LIVE) while clusters warm up.
      const adminAddress = this.options.config.bootstrap.admin?.address?.socket_address;
      if (adminAddress && !this.options.worker) {
        this.admin = new AdminServer(this, socketAddress(adminAddress.address, adminAddress.port_value ?? 0));
        await this.admin.start();
        logAdminAddress(this.log, this.admin.boundAddress);
        if (this.options.adminAddressPath) writeFileSync(this.options.adminAddressPath, this.admin.boundAddress.asString);
      }
      // Consistent hashing (ring hash, Maglev, route hash policies) hashes with it from here on.
      await loadXxHash64();
      this.listenerManager.registerInternalListeners();
      await this.clusterManager.initialize();
      await this.dynamicResources?.initialize();
      await this.listenerManager.start();
    } catch (err) {
      this.stop();
      throw err;
    }
    this.state = 'LIVE';
    this.serverStats.live.set(1);
    this.serverStats.state.set(0);
    this.serverStats.initialization_time_ms.record(performance.now() - started);
    this.refreshTimer = setInterval(() => this.refreshServerStats(), 1000);
    this.refreshTimer.unref();
    this.overloadManager?.start();
    if (!this.options.worker) this.statsFlusher?.startPeriodic(this.statsFlushIntervalMs, () => snapshotStats(this.stats));
    this.refreshServerStats();
    this.log.info('all listeners started');
  }

  /** The admin address actually bound (port 0 resolved), if admin is configured. */
  get adminAddress(): Address | undefined {
    return this.admin?.boundAddress;
  }

  /** Resolves with the exit code when the server stopped (quit, drain end, stop). */
  waitForExit(): Promise<number> {
    return new Promise((resolve) => (this.stopped ? resolve(0) : this.exitWaiters.push(resolve)));
  }

  /**
   * Graceful stop (SIGTERM, `/quitquitquit`): stop accepting, let filters wind down, wait up
   * to the drain time for connections to finish, then close what is left and stop.
   */
  async drainAndStop(): Promise<void> {
    if (this.stopped) return;
    if (!this.draining) {
      this.drainListeners();
    }
    const deadline = Date.now() + (this.options.drainTimeMs ?? DEFAULT_DRAIN_TIME_MS);
    while (this.listenerManager.activeConnections() > 0 && Date.now() < deadline && !this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
    this.stop();
  }

  drainListeners(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    this.state = 'DRAINING';
    this.serverStats.state.set(1);
    this.log.info('draining listeners');
    this.listenerManager.startDraining();
    for (const cb of this.drainCallbacks) cb();
  }

  /** `/healthcheck/fail` and `/healthcheck/ok`: health checks fail (connections drain) or pass again; `server.live` says which. */
  setHealthCheckFailed(failed: boolean): void {
    this.healthCheckFailed = failed;
    if (this.state === 'LIVE') this.serverStats.live.set(failed ? 0 : 1);
  }

  /** Immediate stop: closes listeners, connections, clusters and admin. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.overloadManager?.stop();
    this.statsFlusher?.stop();
    this.dynamicResources?.stop();
    this.xds.stop();
    this.listenerManager.stop();
    this.clusterManager.stop();
    this.secrets.stop();
    for (const cb of this.shutdownCallbacks) cb();
    for (const extension of [...this.bootstrapExtensions].reverse()) extension.onShutdown?.();
    this.admin?.stop();
    this.serverStats.live.set(0);
    for (const resolve of this.exitWaiters.splice(0)) resolve(0);
  }

  // AdminSource

  quit(): void {
    setImmediate(() => void this.drainAndStop());
  }

  listenerAddresses(): { name: string; address: Address }[] {
    return this.listenerManager.listeners.map((entry) => ({
      name: entry.name,
      address: entry.socket ? entry.socket.boundAddress : internalAddress(entry.internal?.name ?? entry.name),
    }));
  }

  clusters(): readonly Cluster[] {
    return this.clusterManager.all();
  }

  serverInfo(): Record<string, unknown> {
    return describeServer({
      version: this.options.version ?? 'nodevoy',
      state: this.state,
      startTimeMs: this.startTimeMs,
      node: this.options.config.bootstrap.node,
      commandLineOptions: this.options.commandLineOptions ?? {},
      registry: this.options.registry,
    });
  }

  configDump(): Record<string, unknown> {
    const plain = this.options.config.plain;
    const resources = (plain['static_resources'] ?? plain['staticResources'] ?? {}) as Record<string, unknown[] | undefined>;
    const lastUpdated = new Date(this.startTimeMs).toISOString();
    return {
      configs: [
        { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: plain, last_updated: lastUpdated },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
          static_clusters: (resources['clusters'] ?? []).map((cluster) => ({
            cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...(cluster as object) },
            last_updated: lastUpdated,
          })),
          ...this.dynamicResources?.clustersDump(),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
          static_listeners: (resources['listeners'] ?? []).map((listener) => ({
            listener: { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', ...(listener as object) },
            last_updated: lastUpdated,
          })),
          ...this.dynamicResources?.listenersDump(),
        },
      ],
    };
  }

  certificates(): CertificateGroup[] {
    return this.certificateReports.all();
  }

  /** A cycle of internal hops would spin inside the process: a config error, as nodevoy has no dynamic config. */
  private rejectInternalCycle(): void {
    const cycle = this.graph.findCycle();
    const first = cycle?.[0];
    if (!cycle || !first) return;
    this.issues.configIssue(
      first.listener.config,
      undefined,
      `internal listeners form a cycle: ${describeCycle(cycle)}; a connection would loop inside the process`,
      'break the cycle; `nodevoy --mode validate --graph` draws it',
    );
  }

  private addStaticSecrets(): void {
    const secrets = this.options.config.bootstrap.static_resources?.secrets ?? [];
    const seen = new Set<string>();
    for (const secret of secrets) {
      const { name } = secret.config as Secret;
      if (seen.has(name)) this.issues.configIssue(secret.config as object, 'name', `Duplicate static secret name ${name}`);
      seen.add(name);
    }
    this.secrets.addStatic(secrets);
  }

  /** The `stats_sinks`, ready to send (the primary of several workers flushes through its own). */
  createStatsSinks(): StatsSink[] {
    return (this.options.config.bootstrap.stats_sinks ?? []).map((entry) => (entry.typed.target as StatsSinkFactory).createStatsSink(entry.typed.config, this.context));
  }

  /** `stats_flush_interval`: 5 s by default, as Envoy's. */
  get statsFlushIntervalMs(): number {
    return this.options.config.bootstrap.stats_flush_interval ?? DEFAULT_STATS_FLUSH_INTERVAL_MS;
  }

  /**
   * A serving server sends its histogram values to the sinks; a lone server flushes its counters
   * and gauges too, a worker leaves those to its primary, which adds up every worker's.
   */
  private createStatsFlusher(): StatsFlusher | undefined {
    if ((this.options.config.bootstrap.stats_sinks ?? []).length === 0 || this.context.mode !== 'serve') return undefined;
    const flusher = new StatsFlusher(this.createStatsSinks());
    flusher.watchHistograms(this.stats);
    return flusher;
  }

  private createBootstrapExtensions(): void {
    for (const entry of this.options.config.bootstrap.bootstrap_extensions ?? []) {
      const factory = entry.typed.target as BootstrapExtensionFactory;
      try {
        this.bootstrapExtensions.push(factory.createBootstrapExtension(entry.typed.config, this.context));
      } catch (err) {
        if (err instanceof NodevoyError) this.issues.configIssue(entry, undefined, err.message);
        else throw err;
      }
    }
  }

  private refreshServerStats(): void {
    const memory = process.memoryUsage();
    this.serverStats.uptime.set(Math.floor((Date.now() - this.startTimeMs) / 1000));
    this.serverStats.memory_allocated.set(memory.heapUsed);
    this.serverStats.memory_heap_size.set(memory.heapTotal);
    this.serverStats.memory_physical_size.set(memory.rss);
  }
}
