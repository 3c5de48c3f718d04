import { randomUUID } from 'node:crypto';
import type { FilterChainConfig, ListenerConfig } from '../config/envoy/listener.js';
import type { Logger } from '../log/logger.js';
import { addressStatName, socketAddress, type Address, internalAddress } from '../network/address.js';
import type { ListenerFilter, ListenerFilterFactory } from '../registry/types.js';
import { createAccessLoggers } from '../formatter/access-log.js';
import type { FilterFactoryContext, ServerContext } from '../server/context.js';
import type { WorkerContext } from '../server/worker.js';
import { createStatsSet, type Gauge } from '../stats/store.js';
import { INTERNAL_ADDRESS_RUNTIME_KEY } from '../upstream/cluster-manager.js';
import { DEFAULT_BUFFER_LIMIT_BYTES } from '../upstream/cluster.js';
import { buildFilterChain, type FilterChain } from './filter-chain.js';
import { compileMatch, FilterChainMatcher, matchSignature } from './filter-chain-matcher.js';
import { INTERNAL_LISTENER_REGISTRY, type InternalListenerHandle } from './internal-listener-registry.js';
import { Listener, ListenerDrainDecision } from './listener.js';
import { validateListener, type ListenerForm } from './listener-validation.js';
import { TcpListenerSocket } from './tcp-listener.js';

const DEFAULT_LISTENER_FILTERS_TIMEOUT_MS = 15_000;

/** A built listener: its accepting side plus how it is reached. */
export interface ActiveListenerEntry {
  readonly name: string;
  readonly config: ListenerConfig;
  readonly listener: Listener;
  readonly form: ListenerForm;
  /** TCP listeners: the kernel socket once bound. */
  readonly socket?: TcpListenerSocket;
  /** Internal listeners: the handle registered with the internal listener registry. */
  readonly internal?: InternalListenerHandle;
  /** From LDS (not `static_resources`): the version it came with and when. */
  readonly dynamic?: { readonly version: string; readonly lastUpdated: Date };
  /** Settles once every init target of its filters did: until then the listener warms. */
  readonly warm: Promise<void>;
  /** Called once it is out of service for good. */
  readonly removed: (() => void)[];
}

/** What an LDS update did to one listener. */
export type ListenerChange = 'added' | 'updated';

/**
 * Builds, starts, drains and stops the listeners of one server (on its one worker). Listeners
 * from LDS are added, replaced and removed while the server runs: a replaced or removed
 * listener stops accepting at once and drains its connections for the drain time, as Envoy's.
 */
export class ListenerManager {
  private readonly entries = new Map<string, ActiveListenerEntry>();
  /** LDS listeners waiting for their init targets (RDS) before they replace or join the active ones. */
  private readonly warming = new Map<string, ActiveListenerEntry>();
  private readonly warmWaiters: (() => void)[] = [];
  /** Replaced and removed listeners whose connections are draining. */
  private readonly drainingEntries = new Set<ActiveListenerEntry>();
  private readonly stats;
  private readonly totalConnections: Gauge;
  private started = false;

  constructor(
    private readonly context: ServerContext,
    private readonly worker: WorkerContext,
    private readonly log: Logger,
    /** One of several worker processes: listen sockets are shared with the others. */
    private readonly sharedSockets = false,
    /** `--drain-time-s`: how long a replaced or removed listener's connections may finish. */
    private readonly drainTimeMs = 600_000,
  ) {
    this.stats = createStatsSet(context.stats.scope('listener_manager'), {
      counters: [
        'listener_added',
        'listener_create_failure',
        'listener_create_success',
        'listener_in_place_updated',
        'listener_modified',
        'listener_removed',
        'listener_stopped',
      ] as const,
      gauges: ['total_listeners_active', 'total_listeners_draining', 'total_listeners_warming', 'workers_started'] as const,
    });
    this.totalConnections = context.stats.gauge('server.total_connections');
  }

  get listeners(): readonly ActiveListenerEntry[] {
    return [...this.entries.values()];
  }

  /** Validates and builds every listener; problems go to the context's issue reporter. */
  addListeners(configs: readonly ListenerConfig[]): void {
    for (const config of configs) {
      const entry = this.build(config, undefined);
      if (entry) this.adopt(entry);
    }
  }

  /**
   * Registers the internal listeners before clusters initialize, so that health checks of
   * internal endpoints reach them in the first round (nothing else connects before `start`).
   */
  registerInternalListeners(): void {
    for (const entry of this.entries.values()) {
      if (entry.internal) this.context.services.get(INTERNAL_LISTENER_REGISTRY)?.register(this.worker, entry.internal);
    }
  }

  /** Binds TCP listeners and registers internal ones: from here connections are accepted. */
  async start(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => entry.warm));
    for (const entry of this.entries.values()) await this.open(entry);
    this.started = true;
    this.stats.workers_started.set(1);
  }

  /**
   * Validates and builds a listener from LDS without touching what serves: problems go to the
   * context's issue reporter (the result is then undefined). `commitListener` puts it in service.
   */
  prepareListener(config: ListenerConfig, version: string): ActiveListenerEntry | undefined {
    const name = config.name ?? '';
    const previous = this.entries.get(name);
    if (previous && previous.dynamic === undefined) {
      this.context.configIssue(config, 'name', `error updating listener: '${name}' is a static listener and cannot be updated or removed`);
      return undefined;
    }
    return this.build(config, { version, lastUpdated: new Date() }, previous?.socket && sameAddress(previous, config) ? previous.socket : undefined);
  }

  /**
   * Puts a prepared listener in service, replacing the one of its name: that one stops accepting
   * and drains. On the same address the socket is handed over, so no connection is refused in
   * between; a socket that cannot be bound is logged and the listener dropped, as Envoy's
   * workers do.
   */
  commitListener(built: ActiveListenerEntry): ListenerChange {
    const { name } = built;
    const change = this.entries.has(name) || this.warming.has(name) ? 'updated' : 'added';
    this.discardWarming(name);
    this.warming.set(name, built);
    this.stats.total_listeners_warming.inc();
    void built.warm.then(() => {
      if (this.warming.get(name) !== built) return;
      this.warming.delete(name);
      this.stats.total_listeners_warming.dec();
      this.swapIn(built);
      if (this.warming.size === 0) for (const resolve of this.warmWaiters.splice(0)) resolve();
    });
    return change;
  }

  /** A prepared listener that will not serve (its update was bad): what its filters subscribed to ends. */
  discardListener(entry: ActiveListenerEntry): void {
    this.finished(entry);
  }

  isWarming(name: string): boolean {
    return this.warming.has(name);
  }

  /** Resolves once no LDS listener is warming. */
  whenWarm(): Promise<void> {
    return this.warming.size === 0 ? Promise.resolve() : new Promise((resolve) => this.warmWaiters.push(resolve));
  }

  /** A warmed listener goes into service, replacing the one of its name. */
  private swapIn(built: ActiveListenerEntry): void {
    const { name } = built;
    const previous = this.entries.get(name);
    if (previous) {
      if (previous.socket && previous.socket !== built.socket) previous.socket.stopAccepting();
      this.entries.delete(name);
      this.drainOut(previous, 'listener update');
      this.stats.listener_modified.inc();
      this.stats.total_listeners_active.dec();
    }
    this.adopt(built, previous !== undefined);
    if (this.started) {
      this.open(built).catch((err: unknown) => {
        this.log.error(`listener '${name}' failed to start: ${err instanceof Error ? err.message : String(err)}`);
        this.stats.listener_create_failure.inc();
        if (this.entries.get(name) === built) {
          this.entries.delete(name);
          this.stats.total_listeners_active.dec();
          this.finished(built);
        }
      });
    }
  }

  /** A listener still warming is dropped for a newer version, or removed. */
  private discardWarming(name: string): boolean {
    const warming = this.warming.get(name);
    if (!warming) return false;
    this.warming.delete(name);
    this.stats.total_listeners_warming.dec();
    this.finished(warming);
    if (this.warming.size === 0) for (const resolve of this.warmWaiters.splice(0)) resolve();
    return true;
  }

  private finished(entry: ActiveListenerEntry): void {
    for (const callback of entry.removed.splice(0)) callback();
  }

  /** Removes a listener LDS no longer has: it stops accepting and its connections drain. */
  removeListener(name: string): boolean {
    const discarded = this.discardWarming(name);
    const entry = this.entries.get(name);
    if (!entry || entry.dynamic === undefined) return discarded;
    this.entries.delete(name);
    entry.socket?.stopAccepting();
    this.unregisterInternal(entry);
    this.drainOut(entry, 'listener removed');
    this.stats.listener_removed.inc();
    this.stats.total_listeners_active.dec();
    return true;
  }

  /** The names of the listeners LDS gave (the ones an update may remove). */
  dynamicListenerNames(): string[] {
    const active = [...this.entries.values()].filter((e) => e.dynamic !== undefined).map((e) => e.name);
    return [...new Set([...active, ...this.warming.keys()])];
  }

  /** Stops accepting on kernel sockets and starts the drain of every listener. */
  startDraining(): void {
    for (const entry of this.entries.values()) {
      entry.socket?.stopAccepting();
      entry.listener.startDraining();
    }
    this.stats.total_listeners_draining.set(this.entries.size + this.drainingEntries.size);
  }

  activeConnections(): number {
    let n = 0;
    for (const entry of [...this.entries.values(), ...this.drainingEntries]) n += entry.listener.activeConnections;
    return n;
  }

  /** Closes everything: sockets, registry entries, then every live connection. */
  stop(): void {
    for (const name of [...this.warming.keys()]) this.discardWarming(name);
    for (const entry of this.entries.values()) {
      entry.socket?.stopAccepting();
      this.unregisterInternal(entry);
    }
    for (const entry of [...this.drainingEntries, ...[...this.entries.values()].reverse()]) entry.listener.closeAllConnections('server shutdown');
    this.drainingEntries.clear();
    this.stats.total_listeners_active.set(0);
  }

  /** Puts an entry in service; `replacing`: it takes the place of one of its name (not counted as added, as Envoy). */
  private adopt(entry: ActiveListenerEntry, replacing = false): void {
    entry.socket?.serve(entry.listener);
    this.entries.set(entry.name, entry);
    if (!replacing) this.stats.listener_added.inc();
    this.stats.total_listeners_active.inc();
  }

  private async open(entry: ActiveListenerEntry): Promise<void> {
    if (entry.socket && !entry.socket.isBound) await entry.socket.bind();
    if (entry.internal) this.context.services.get(INTERNAL_LISTENER_REGISTRY)?.register(this.worker, entry.internal);
    this.stats.listener_create_success.inc();
  }

  private unregisterInternal(entry: ActiveListenerEntry): void {
    if (entry.internal) this.context.services.get(INTERNAL_LISTENER_REGISTRY)?.unregister(this.worker, entry.internal);
  }

  /** A listener leaving service: its connections get the drain time to finish, then are closed. */
  private drainOut(entry: ActiveListenerEntry, reason: string): void {
    entry.listener.startDraining();
    this.drainingEntries.add(entry);
    this.stats.total_listeners_draining.inc();
    const finish = () => {
      if (!this.drainingEntries.delete(entry)) return;
      entry.listener.closeAllConnections(reason);
      this.stats.total_listeners_draining.dec();
      this.finished(entry);
    };
    const timer = setTimeout(finish, this.drainTimeMs);
    timer.unref();
    entry.listener.onIdle(() => {
      clearTimeout(timer);
      finish();
    });
  }

  /** Validates and builds one listener (not yet accepting); undefined when it has problems. */
  private build(config: ListenerConfig, dynamic: ActiveListenerEntry['dynamic'], inheritedSocket?: TcpListenerSocket): ActiveListenerEntry | undefined {
    const name = config.name || randomUUID();
    const issue = (field: string | undefined, message: string, hint?: string) => this.context.configIssue(config, field, message, hint);
    if (dynamic === undefined && this.entries.has(name)) {
      issue('name', `error adding listener named '${name}': duplicate listener name`, 'give each listener a unique name');
      return undefined;
    }
    const form = validateListener(
      config,
      name,
      {
        registryInstalled: this.context.services.get(INTERNAL_LISTENER_REGISTRY) !== undefined,
        runtimeAllows: this.context.runtime.getBoolean(INTERNAL_ADDRESS_RUNTIME_KEY, true),
      },
      issue,
    );
    if (!form) {
      this.stats.listener_create_failure.inc();
      return undefined;
    }
    const address: Address = form.kind === 'tcp' ? socketAddress(form.ip, form.port) : internalAddress(form.key);
    const label = address.asString;
    if (form.kind === 'tcp' && form.port !== 0) {
      const clash = [...this.entries.values()].find((e) => e.name !== name && e.form.kind === 'tcp' && e.form.port === form.port && e.form.ip === form.ip);
      if (clash) {
        issue(
          'address',
          `error adding listener: '${name}' has duplicate address '${label}' as existing listener, to check if the listener has duplicated addresses with other listeners or 'enable_reuse_port' is set to 'false' for the listener`,
        );
        return undefined;
      }
    }
    if (form.kind === 'internal' && form.legacy) {
      this.log.info(
        `listener '${name}' declares an internal listener the Envoy 1.23 way (address: envoy_internal_address); nodevoy runs it, Envoy >= 1.24 rejects it: ` +
          `use 'internal_listener: {}' and no address`,
      );
    }
    const chains = config.filter_chains ?? [];
    if (chains.length === 0 && !config.default_filter_chain) {
      issue('filter_chains', `error adding listener '${label}': no filter chains specified`, 'add filter_chains or default_filter_chain');
      return undefined;
    }
    if (!this.checkDuplicateMatchers(chains, label, issue)) return undefined;

    const statsPrefix = `listener.${config.stat_prefix || (form.kind === 'internal' ? `envoy_internal_${form.key}` : addressStatName(address))}`;
    const drain = new ListenerDrainDecision(this.context.lifecycle, config.drain_type);
    const initTargets: Promise<void>[] = [];
    const removed: (() => void)[] = [];
    const factoryContext: FilterFactoryContext = {
      server: this.context,
      listener: { name, isInternal: form.kind === 'internal', statsPrefix, trafficDirection: config.traffic_direction ?? 'UNSPECIFIED' },
      drainDecision: drain,
      listenerScope: { addInitTarget: (target) => void initTargets.push(target), onRemoved: (callback) => void removed.push(callback) },
    };
    const built = chains.map((chain) => compileMatch<FilterChain>(buildFilterChain(chain, factoryContext), chain.filter_chain_match));
    const defaultChain = config.default_filter_chain ? buildFilterChain(config.default_filter_chain, factoryContext) : undefined;
    const listenerFilters = (config.listener_filters ?? []).map((entry): (() => ListenerFilter) =>
      (entry.typed.target as ListenerFilterFactory).createListenerFilterFactory(entry.typed.config, factoryContext),
    );

    const listener = new Listener({
      name,
      accessLoggers: createAccessLoggers(config.access_log, this.context),
      isInternal: form.kind === 'internal',
      statsScope: this.context.stats.scope(statsPrefix),
      matcher: new FilterChainMatcher(built, defaultChain),
      listenerFilters,
      listenerFiltersTimeoutMs: config.listener_filters_timeout ?? DEFAULT_LISTENER_FILTERS_TIMEOUT_MS,
      continueOnListenerFiltersTimeout: config.continue_on_listener_filters_timeout ?? false,
      bufferLimit: config.per_connection_buffer_limit_bytes ?? DEFAULT_BUFFER_LIMIT_BYTES,
      server: this.context,
      worker: this.worker,
      log: this.log,
      totalConnections: this.totalConnections,
      drain,
    });
    const warm = Promise.all(initTargets).then(() => undefined);
    const common = { name, config, listener, form, warm, removed, ...(dynamic ? { dynamic } : {}) };
    if (form.kind === 'internal') return { ...common, internal: { name: form.key, acceptInternal: (io) => listener.accept(io) } };
    return { ...common, socket: inheritedSocket ?? new TcpListenerSocket(socketAddress(form.ip, form.port), config.tcp_backlog_size, this.sharedSockets) };
  }

  private checkDuplicateMatchers(
    chains: readonly FilterChainConfig[],
    label: string,
    issue: (field: string | undefined, message: string) => void,
  ): boolean {
    const seen = new Map<string, string>();
    for (const chain of chains) {
      const signature = matchSignature(chain.filter_chain_match);
      const earlier = seen.get(signature);
      if (earlier !== undefined) {
        issue(
          'filter_chains',
          `error adding listener '${label}': filter chain '${chain.name ?? ''}' has the same matching rules defined as '${earlier}'. duplicate matcher is: ${signature}`,
        );
        return false;
      }
      seen.set(signature, chain.name ?? '');
    }
    return true;
  }
}

/** A replacement that keeps the socket: same kernel address, and a real port (port 0 binds anew). */
function sameAddress(previous: ActiveListenerEntry, config: ListenerConfig): boolean {
  const socket = config.address?.socket_address;
  return previous.form.kind === 'tcp' && socket !== undefined && socket.port_value !== undefined && socket.port_value !== 0 && previous.form.port === socket.port_value && previous.form.ip === socket.address;
}
